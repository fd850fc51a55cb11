package org.mrine.sweep.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.io.Json;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;
import org.mrine.sweep.CellExecutor;
import org.mrine.sweep.CellResult;
import org.mrine.sweep.Grid;
import org.mrine.sweep.LocalExecutor;
import org.mrine.sweep.SweepPlan;
import org.mrine.train.TrainConfig;

/**
 * What Spark costs a sweep and what it gains: the embedded context's start-up, the overhead per
 * cell (Wiener-filter cells of a few milliseconds, Spark local[2] against two plain threads), and
 * the throughput in cells per hour of small MRINE cells with one and two executor cores.
 *
 * <pre>spark/bench/run [OUT.json]</pre>
 */
public final class SweepBenchmark {
    private SweepBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("mrine-sweep-bench");
        Dataset raw = LorenzSimulator.simulate(LorenzOptions.DEFAULTS.withSize(120, 50));
        Path data = dir.resolve("data.safetensors");
        raw.save(data);
        String hash = SweepPlan.sha256(Files.readAllBytes(data));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine", org.mrine.bench.MachineInfo.describe());
        out.put("cores", (long) Runtime.getRuntime().availableProcessors());

        // overhead: 10 Wiener candidates x 5 outer x (3 inner + 1) = 200 cells of milliseconds each
        Grid tiny = Grid.parse("evaluation: {wiener_lags: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}\nmodel: {latent_dim: 4}\n", "tiny grid",
                TrainConfig.defaults());
        SweepPlan wienerOnly = SweepPlan.of(tiny, tiny.all(), raw, "s", 5, 3, hash);
        List<org.mrine.sweep.CellSpec> wienerCells = wienerOnly.cells().stream().filter(org.mrine.sweep.CellSpec::isWiener).toList();
        long t0 = System.nanoTime();
        CellExecutor spark = new SparkExecutor("local[2," + SparkExecutor.TASK_RETRIES + "]", 0);
        double startup = (System.nanoTime() - t0) / 1e9;
        run(spark, data, wienerCells.subList(0, 20));  // warm-up: JIT, broadcast, class loading
        double sparkSeconds = run(spark, data, wienerCells);
        spark.close();
        double threadSeconds;
        try (CellExecutor threads = new LocalExecutor(2)) {
            run(threads, data, wienerCells.subList(0, 20));
            threadSeconds = run(threads, data, wienerCells);
        }
        Map<String, Object> overhead = new LinkedHashMap<>();
        overhead.put("context_startup_s", startup);
        overhead.put("cells", (long) wienerCells.size());
        overhead.put("spark_local2_s", sparkSeconds);
        overhead.put("threads2_s", threadSeconds);
        overhead.put("per_cell_overhead_ms", (sparkSeconds - threadSeconds) * 2 / wienerCells.size() * 1000);
        out.put("spark_overhead", overhead);
        System.out.println("overhead: " + Json.write(overhead));

        // throughput: 2 settings x 2 outer x (2 inner + 1) = 12 small MRINE cells (n_a = n_x = 8, 150 optimizer steps)
        Grid small = Grid.parse("""
                model: {embedding_dim: 8, latent_dim: [6, 8], hidden: [32], fusion_hidden: [32]}
                training: {max_steps: 150, patience_steps: 0, validate_every: 0}
                """, "small grid", TrainConfig.defaults());
        List<org.mrine.sweep.CellSpec> cells = SweepPlan.of(small, small.all(), raw, null, 2, 2, hash).cells();
        Map<String, Object> throughput = new LinkedHashMap<>();
        for (int cores : new int[] {1, 2}) {
            try (CellExecutor ex = new SparkExecutor("local[" + cores + "," + SparkExecutor.TASK_RETRIES + "]", 0)) {
                run(ex, data, cells.subList(0, 2));
                double s = run(ex, data, cells);
                throughput.put("executors_" + cores + "_cells_per_hour", cells.size() / s * 3600);
                System.out.printf("%d executor cores: %d cells in %.1f s%n", cores, cells.size(), s);
            }
        }
        throughput.put("cell", "n_a = n_x = 8, hidden [32], 150 optimizer steps, 120 simulated trials x 50 steps (2 modalities)");
        out.put("throughput", throughput);
        String json = Json.write(out);
        System.out.println(json);
        if (args.length > 0) Files.writeString(Path.of(args[0]), json + "\n");
    }

    private static double run(CellExecutor ex, Path data, List<org.mrine.sweep.CellSpec> cells) {
        List<CellResult> results = new ArrayList<>();
        long t0 = System.nanoTime();
        ex.run(data, cells, results::add);
        double s = (System.nanoTime() - t0) / 1e9;
        for (CellResult r : results) if (r.failed()) throw new IllegalStateException(r.error());
        return s;
    }
}
