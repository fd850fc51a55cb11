package org.mrine.sweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep on a real Spark standalone cluster on this machine: a master and two workers (one core
 * each) started as separate JVM processes on loopback, executors fetching the cluster jar from the
 * driver and the dataset as a broadcast. Once both workers have finished cells, one worker is
 * killed mid-sweep: Spark reruns its lost cells on the other, and every cell still equals the
 * threads run's bit for bit.
 *
 * <p>Needs the cluster jar and Spark's jars ({@code mvn verify} builds both before this runs).
 */
class SparkClusterSweepIT {
    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void stopCluster() {
        for (Process p : processes) kill(p);
        System.clearProperty("spark.driver.host");
        System.clearProperty("spark.driver.bindAddress");
    }

    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void standaloneClusterEqualsThreadsAndSurvivesALostWorker() throws Exception {
        Path[] in = SweepRuns.prepare(dir, SweepRuns.GRID);
        Path reference = dir.resolve("threads");
        SweepRuns.Run a = SweepRuns.sweep(in[0], in[1], reference, 2, "--executor", "local", "--threads", "2", "--no-final");
        assertEquals(0, a.status(), a.out());
        Map<String, String> expected = SweepRuns.cells(reference);
        assertEquals(SweepRuns.cellCount(2), expected.size());

        String master = startCluster();
        System.setProperty("spark.driver.host", "127.0.0.1");
        System.setProperty("spark.driver.bindAddress", "127.0.0.1");

        // the sweep on the cluster; once both workers' executors have finished cells, the second worker
        // (and its executor) is killed: Spark reruns its lost cells on the first
        Path cluster = dir.resolve("cluster");
        AtomicReference<SweepRuns.Run> result = new AtomicReference<>();
        Thread sweep = new Thread(() -> result.set(SweepRuns.sweep(in[0], in[1], cluster, 2, "--master", master, "--no-final")));
        sweep.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!(cellsOn(cluster, "/executor-0") > 0 && cellsOn(cluster, "/executor-1") > 0) && sweep.isAlive()
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(sweep.isAlive(), "the sweep ended before a worker could be killed: " + result.get());
        assertTrue(cellsOn(cluster, "/executor-0") > 0 && cellsOn(cluster, "/executor-1") > 0, "cells ran on both workers' executors");
        kill(processes.get(2));  // the second worker
        sweep.join(Duration.ofMinutes(8));
        assertTrue(!sweep.isAlive(), "the sweep did not finish after losing a worker");
        SweepRuns.Run b = result.get();
        assertEquals(0, b.status(), b.out());
        assertTrue(b.out().contains("master " + master), b.out());
        assertEquals(expected, SweepRuns.cells(cluster));
        assertEquals(SweepRuns.conclusions(reference), SweepRuns.conclusions(cluster));
    }

    /** Finished cells that ran on an executor whose worker name ends in {@code executor}. */
    private static long cellsOn(Path out, String executor) throws IOException {
        Path cells = out.resolve("cells");
        if (!Files.isDirectory(cells)) return 0;
        try (Stream<Path> s = Files.list(cells)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).filter(p -> {
                try {
                    return Files.readString(p).contains(executor + "\"");
                } catch (IOException e) {
                    return false;
                }
            }).count();
        }
    }

    /** A master and two one-core workers; returns the master URL once both workers registered. */
    private String startCluster() throws Exception {
        Path lib = Path.of(System.getProperty("mrine.spark.lib"));
        assertTrue(Files.isDirectory(lib), "Spark's jars are missing at " + lib + " (run mvn verify)");
        // a worker launches executors from a Spark home: an empty RELEASE file and jars/
        Path home = dir.resolve("spark-home");
        Files.createDirectories(home);
        Files.writeString(home.resolve("RELEASE"), "");
        Files.createSymbolicLink(home.resolve("jars"), lib);
        int port = freePort();
        String url = "spark://127.0.0.1:" + port;
        Path masterLog = dir.resolve("master.log");
        processes.add(start(home, masterLog, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--webui-port", Integer.toString(freePort())));
        waitFor(masterLog, "I have been elected leader", 1);
        for (int i = 1; i <= 2; i++) {
            processes.add(start(home, dir.resolve("worker" + i + ".log"), "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
                    "--cores", "1", "--memory", "1g", "--webui-port", Integer.toString(freePort()), "--work-dir",
                    dir.resolve("work" + i).toString(), url));
        }
        waitFor(masterLog, "Registering worker", 2);
        return url;
    }

    private Process start(Path home, Path log, String mainClass, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(List.of(SparkExecutor.EXECUTOR_FLAGS.split(" ")));
        cmd.add("-Xmx512m");
        cmd.add("-cp");
        cmd.add(home.resolve("jars") + "/*");
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        return pb.start();
    }

    private static void waitFor(Path log, String text, int times) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log) && Files.readString(log).split(java.util.regex.Pattern.quote(text), -1).length - 1 >= times) return;
            Thread.sleep(200);
        }
        throw new AssertionError("no '" + text + "' (x" + times + ") in " + log + " within 90 s:\n"
                + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
