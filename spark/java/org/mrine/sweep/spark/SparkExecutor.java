package org.mrine.sweep.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaFutureAction;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.mrine.data.Dataset;
import org.mrine.sweep.CellExecutor;
import org.mrine.sweep.CellResult;
import org.mrine.sweep.CellSpec;
import org.mrine.sweep.CellTask;
import org.mrine.sweep.SweepPlan;

/**
 * Runs a sweep's cells as Spark tasks: one single-task job per cell, submitted together, so that
 * Spark's scheduler keeps every executor core busy and results reach the driver as each cell
 * finishes. The dataset travels as a broadcast of its file's bytes (no shared file system needed);
 * executors open it once each. Spark's task retries cover lost executors and workers: a cell is a
 * pure function of its spec and the dataset, so a retried cell gives the same result.
 *
 * <p>Masters: {@code local[N]} (embedded, the default {@code local[*]}), {@code spark://HOST:PORT}
 * (standalone), or whatever {@code spark-submit} was given (YARN, Kubernetes). For a cluster the
 * executors need this module's cluster jar ({@code mrine-spark-<v>-cluster.jar}): it is added to
 * {@code spark.jars} unless that is set already.
 */
public final class SparkExecutor implements CellExecutor {

    /** Found by {@code mrine sweep --executor spark}. */
    public static final class Provider implements CellExecutor.Provider {
        @Override
        public String name() {
            return "spark";
        }

        @Override
        public CellExecutor create(String master, int threads) {
            return new SparkExecutor(master, threads);
        }
    }

    /** Retries of a failed task before the cell (and the sweep) fails: Spark's own default on clusters. */
    static final int TASK_RETRIES = 4;

    static final String EXECUTOR_FLAGS = "--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
            + " --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED"
            + " --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
            + " --add-opens=java.base/java.lang.invoke=ALL-UNNAMED";

    private final JavaSparkContext sc;
    private final String describe;

    public SparkExecutor(String master, int threads) {
        SparkConf conf = new SparkConf(true).setAppName("mrine sweep");
        if (master == null && !conf.contains("spark.master")) master = "local[" + (threads > 0 ? threads : "*") + "," + TASK_RETRIES + "]";
        if (master != null) conf.setMaster(master);
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setIfMissing("spark.task.maxFailures", Integer.toString(TASK_RETRIES));
        // one cell per executor core: a cell trains one model, and the engine uses the machine's other cores itself
        conf.setIfMissing("spark.task.cpus", "1");
        // executors run the engine: the Vector API module, native access, and what Spark itself opens on JDK 17+
        conf.setIfMissing("spark.executor.extraJavaOptions", EXECUTOR_FLAGS);
        String m = conf.get("spark.master");
        if (!m.startsWith("local") && !conf.contains("spark.jars")) {
            Path jar = clusterJar();
            if (jar != null) conf.set("spark.jars", jar.toString());
        }
        this.sc = new JavaSparkContext(conf);
        sc.setLogLevel("WARN");
        this.describe = "Spark " + sc.version() + ", master " + m + " (" + sc.defaultParallelism() + " cores at start)";
    }

    /** The cluster jar: -Dmrine.spark.clusterJar, or a *-cluster.jar beside the jar this class came from. */
    static Path clusterJar() {
        String prop = System.getProperty("mrine.spark.clusterJar");
        if (prop != null && Files.isRegularFile(Path.of(prop))) return Path.of(prop);
        try {
            Path self = Path.of(SparkExecutor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (self.getFileName().toString().endsWith("-cluster.jar")) return self;
            Path dir = Files.isDirectory(self) ? self.getParent() : self.getParent();
            try (var files = Files.list(dir)) {
                return files.filter(f -> f.getFileName().toString().startsWith("mrine-spark-") && f.getFileName().toString().endsWith("-cluster.jar"))
                        .findFirst().orElse(null);
            }
        } catch (Exception e) {
            return null;
        }
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public void run(Path datasetFile, List<CellSpec> cells, Consumer<CellResult> done) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(datasetFile);
        } catch (IOException e) {
            throw new UncheckedIOException(datasetFile + ": cannot read: " + e.getMessage(), e);
        }
        Broadcast<byte[]> data = sc.broadcast(bytes);
        RunCell fn = new RunCell(data, SweepPlan.sha256(bytes));
        List<JavaFutureAction<List<CellResult>>> jobs = new ArrayList<>();
        for (CellSpec c : cells) {
            sc.setJobDescription("mrine cell " + c.describe());
            jobs.add(sc.parallelize(List.of(c), 1).map(fn).collectAsync());
        }
        boolean[] reported = new boolean[cells.size()];
        int left = cells.size();
        try {
            while (left > 0) {
                boolean any = false;
                for (int i = 0; i < jobs.size(); i++) {
                    if (reported[i] || !jobs.get(i).isDone()) continue;
                    List<CellResult> r;
                    try {
                        r = jobs.get(i).get();
                    } catch (ExecutionException e) {
                        // Spark gave up on the task after its retries: record why, go on with the others
                        Throwable cause = e.getCause() == null ? e : e.getCause();
                        r = List.of(CellResult.failure(cells.get(i), "Spark: " + firstLine(cause), 0, "spark"));
                    }
                    reported[i] = true;
                    left--;
                    any = true;
                    done.accept(r.get(0));
                }
                if (!any) Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            for (JavaFutureAction<?> j : jobs) j.cancel(true);
            throw new IllegalStateException("interrupted", e);
        } finally {
            data.destroy();
        }
    }

    private static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.toString() : t.getMessage();
        return m.lines().findFirst().orElse(t.toString());
    }

    @Override
    public void close() {
        sc.stop();
    }

    /** The task: a cell on the broadcast dataset, opened once per executor JVM. */
    static final class RunCell implements Function<CellSpec, CellResult> {
        private static final Map<String, Dataset> OPENED = new ConcurrentHashMap<>();
        private final Broadcast<byte[]> data;
        private final String hash;

        RunCell(Broadcast<byte[]> data, String hash) {
            this.data = data;
            this.hash = hash;
        }

        @Override
        public CellResult call(CellSpec c) throws Exception {
            Dataset raw = OPENED.computeIfAbsent(hash, h -> {
                try {
                    Path tmp = Files.createTempFile("mrine-sweep-data-", ".safetensors");
                    try {
                        Files.write(tmp, data.value());
                        return Dataset.load(tmp);
                    } finally {
                        Files.deleteIfExists(tmp);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            SparkEnv env = SparkEnv.get();
            String worker = InetAddress.getLocalHost().getHostName() + "/executor-" + (env == null ? "?" : env.executorId());
            return CellTask.run(raw, c, worker);
        }
    }
}
