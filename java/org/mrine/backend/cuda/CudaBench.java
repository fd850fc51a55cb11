package org.mrine.backend.cuda;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mrine.bench.BenchSetups;
import org.mrine.bench.MachineInfo;
import org.mrine.io.Json;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;
import org.mrine.train.Adam;

/**
 * The GPU benchmark of issue 6, run by bench/gpu-run.sh on the device machine: one training step
 * (loss and every gradient, with dropout 0.1 and time dropout 0.3 as in training; then the clip and
 * the Adam update) at the paper's size for T = 50 and 100 (B = 32), and a large case (800 + 800
 * channels, B = 64, T = 100). Every timed step ends with a device synchronization, so the time is
 * the GPU's, not the time to enqueue. Writes one JSON object with {@code "backend": "cuda"},
 * {@code "device"}, the timings, and, when given the JUnit XML report of the GPU test run,
 * {@code "gpu_tests": {"run", "failed", "skipped"}}; the {@code mrine bench --json} object, when
 * given, is merged in underneath (its training-step numbers do not wait for the device).
 *
 * <pre>
 * usage: CudaBench [--out FILE] [--junit-xml FILE] [--bench-json FILE] [--quick] [--base FILE]
 *   --base FILE   merge into an earlier result instead of measuring again
 * </pre>
 */
public final class CudaBench {
    private CudaBench() {
    }

    public static void main(String[] args) throws IOException {
        Path out = null, junit = null, benchJson = null, base = null;
        boolean quick = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--junit-xml" -> junit = Path.of(args[++i]);
                case "--bench-json" -> benchJson = Path.of(args[++i]);
                case "--quick" -> quick = true;
                case "--base" -> base = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>();
        if (benchJson != null && Files.exists(benchJson)) {
            String text = Files.readString(benchJson).strip();
            if (text.startsWith("{")) result.putAll(Json.object(Json.parse(text), benchJson.toString()));
        }
        if (base != null) {
            // a merge: keep what was measured, add the bench object and the test summary
            result.putAll(Json.object(Json.parse(Files.readString(base)), base.toString()));
            if (junit != null) result.put("gpu_tests", junitSummary(junit));
            write(result, out);
            return;
        }
        result.put("backend", "cuda");
        CudaDevice.Probe probe = CudaDevice.probe();
        result.put("device", probe.available() ? probe.name() : "none: " + probe.reason());
        if (junit != null) result.put("gpu_tests", junitSummary(junit));
        if (probe.available()) {
            try (CudaBackend be = new CudaBackend()) {
                result.put("dense_products", be.gemmEngine());
            }
            int warmup = quick ? 1 : 3, repeats = quick ? 2 : 10;
            Map<String, Object> train = new LinkedHashMap<>();
            train.put("T50", measure(BenchSetups.paper(), 32, 50, warmup, repeats));
            train.put("T100", measure(BenchSetups.paper(), 32, 100, warmup, repeats));
            train.put("high_channel_B64_T100", measure(BenchSetups.highChannel(), 64, 100, warmup, repeats));
            result.put("cuda_train_step", train);
            result.put("goal", "<= 10 ms per training step at B = 32, T = 100 (paper size)");
        }
        result.put("machine", MachineInfo.describe());
        result.put("commit", MachineInfo.commit());
        result.put("date", java.time.LocalDate.now().toString());
        write(result, out);
    }

    private static void write(Map<String, Object> result, Path out) throws IOException {
        String json = Json.write(result);
        if (out != null) Files.writeString(out, json + "\n");
        System.out.println(json);
    }

    /** Median milliseconds of the step's phases over {@code repeats} runs after {@code warmup}. */
    static Map<String, Object> measure(ModelConfig cfg, int trials, int steps, int warmup, int repeats) {
        try (CudaBackend be = new CudaBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            model.initialize(new SplittableRandom(1));
            Adam adam = new Adam(be, model.params, model.grads, 0.9, 0.999, 1e-8);
            Batch batch = BenchSetups.batch(cfg, trials, steps, 5, 2);
            SplittableRandom noiseRng = new SplittableRandom(3);
            double[] loss = new double[repeats], step = new double[repeats], full = new double[repeats];
            for (int i = 0; i < warmup + repeats; i++) {
                long t0 = System.nanoTime();
                model.loss(batch);
                be.synchronize();
                long t1 = System.nanoTime();
                model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, noiseRng));
                be.synchronize();
                long t2 = System.nanoTime();
                model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, noiseRng));
                Adam.clip(be, model.grads, 0.1);
                adam.step(1e-3);
                be.synchronize();
                long t3 = System.nanoTime();
                if (i >= warmup) {
                    loss[i - warmup] = (t1 - t0) / 1e6;
                    step[i - warmup] = (t2 - t1) / 1e6;
                    full[i - warmup] = (t3 - t2) / 1e6;
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("trials", trials);
            m.put("steps", steps);
            m.put("channels", cfg.modalities().stream().mapToInt(x -> x.channels()).sum());
            m.put("ms_forward_and_loss", median(loss));
            m.put("ms_loss_and_gradient", median(step));
            m.put("ms_training_step", median(full));
            m.put("ms_per_sample_step", median(step) / ((double) trials * steps));
            m.put("repeats", repeats);
            return m;
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** Totals of a JUnit XML report (the console launcher's legacy XML: one testsuite element). */
    static Map<String, Object> junitSummary(Path xml) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        if (!Files.exists(xml)) {
            m.put("error", "no report at " + xml);
            return m;
        }
        String text = Files.readString(xml);
        Matcher suite = Pattern.compile("<testsuite\\b([^>]*)>").matcher(text);
        long tests = 0, failures = 0, errors = 0, skipped = 0;
        while (suite.find()) {
            tests += attribute(suite.group(1), "tests");
            failures += attribute(suite.group(1), "failures");
            errors += attribute(suite.group(1), "errors");
            skipped += attribute(suite.group(1), "skipped");
        }
        m.put("run", tests - skipped);
        m.put("failed", failures + errors);
        m.put("skipped", skipped);
        return m;
    }

    private static long attribute(String attrs, String name) {
        Matcher a = Pattern.compile("\\b" + name + "=\"(\\d+)\"").matcher(attrs);
        return a.find() ? Long.parseLong(a.group(1)) : 0;
    }
}
