package org.mrine.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.backend.cpu.Blas;
import org.mrine.backend.cpu.CpuCalibration;
import org.mrine.backend.cpu.StepProbe;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;
import org.mrine.train.SplitMix64;

/**
 * One fwd+bwd training step (loss and every gradient) at a given size, with training noise as in
 * training (dropout 0.1, time dropout 0.3): milliseconds per sample-step = step time / (B*T).
 */
public final class TrainStep {
    private TrainStep() {
    }

    /** Timed repeats of one set-up: ms per sample-step of each repeat, and the flops of one step (CPU backend; 0 elsewhere). */
    public record Result(double[] msPerSampleStep, long flopsPerStep) {
        /** The JSON object: median and spread of ms per sample-step, and GFLOP/s against the machine's peak. */
        public Map<String, Object> toJson(int trials, int steps, double peakGflopsOneCore, int threads) {
            Map<String, Object> t = new LinkedHashMap<>();
            double median = Stats.median(msPerSampleStep);
            t.put("ms_per_sample_step", Stats.round(median, 5));
            t.put("ms_per_sample_step_stats", Stats.summary(msPerSampleStep, 5));
            t.put("trials", trials);
            t.put("steps", steps);
            if (flopsPerStep > 0) {
                double gflops = flopsPerStep / (median * trials * steps * 1e6);
                t.put("gflop_per_step", Stats.round(flopsPerStep / 1e9, 3));
                t.put("gflops", Stats.round(gflops, 2));
                if (peakGflopsOneCore > 0) {
                    t.put("share_of_one_core_peak", Stats.round(gflops / peakGflopsOneCore, 3));
                    t.put("share_of_peak_on_threads", Stats.round(gflops / (peakGflopsOneCore * threads), 3));
                }
            }
            return t;
        }
    }

    /**
     * {@code repeats} timed steps after a warm-up: at least {@code warmup} untimed steps and
     * {@code warmupSeconds} of them, and then more until the JIT has settled, at most six times as
     * long (see {@link #warmUp}).
     */
    public static Result measure(String backend, ModelConfig cfg, int trials, int steps, int fieldEvery, int warmup,
                                 double warmupSeconds, int repeats) {
        try (Backend be = Backends.create(backend)) {
            Runnable step = step(be, cfg, trials, steps, fieldEvery);
            warmUp(step, warmup, warmupSeconds);
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                step.run();
                ms[i] = (System.nanoTime() - t0) / 1e6 / ((double) trials * steps);
            }
            long flops = backend.equals("cpu") ? Blas.countFlops(step) : 0;
            return new Result(ms, flops);
        }
    }

    /** One fwd+bwd step of a model initialized from seed 1 on the set-up's synthetic batch, with training noise. */
    private static Runnable step(Backend be, ModelConfig cfg, int trials, int steps, int fieldEvery) {
        MrineModel model = new MrineModel(cfg, be);
        model.initialize(new SplittableRandom(1));
        Batch batch = BenchSetups.batch(cfg, trials, steps, fieldEvery, 2);
        SplitMix64 noiseRng = new SplitMix64(3);  // the training's stream, so the dropout factors take its path
        return () -> model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, noiseRng));
    }

    /**
     * The paper-size training step (B = 32, T = 50, as {@code mrine bench}'s {@code train.T50}) on
     * the CPU backend, warmed up under the tuning in force, for the calibration to time at each
     * thread count ({@link CpuCalibration#timeStepsWith}).
     */
    public static StepProbe calibrationStep() {
        final int trials = 32, steps = 50;
        Backend be = Backends.create("cpu");
        try {
            Runnable step = step(be, BenchSetups.paper(), trials, steps, BenchSetups.FIELD_EVERY);
            warmUp(step, 3, 2);
            return new StepProbe() {
                @Override
                public void step() {
                    step.run();
                }

                @Override
                public int sampleSteps() {
                    return trials * steps;
                }

                @Override
                public void close() {
                    be.close();
                }
            };
        } catch (RuntimeException | Error e) {
            be.close();
            throw e;
        }
    }

    private static final java.lang.management.CompilationMXBean JIT = java.lang.management.ManagementFactory.getCompilationMXBean();

    /**
     * Runs step at least {@code minSteps} times and for at least {@code seconds}, then on until the
     * JIT has settled: three steps in a row none faster than the best by 2%, and no compilation
     * finished during the last of them; at most six times {@code seconds}. The Vector API kernels
     * run ten times slower until C2 has compiled them, and on a loaded machine (2 cores, other
     * processes) that took more than the 10 s a fixed warm-up gave: a figure then measured the JIT.
     */
    static void warmUp(Runnable step, int minSteps, double seconds) {
        long start = System.nanoTime(), minEnd = start + (long) (seconds * 1e9), maxEnd = start + (long) (6 * seconds * 1e9);
        double best = Double.MAX_VALUE;
        int stale = 0;
        for (int i = 0; ; i++) {
            long compiled = JIT.getTotalCompilationTime(), t0 = System.nanoTime();
            step.run();
            long t1 = System.nanoTime();
            double took = t1 - t0;
            if (took < best * 0.98) {
                best = took;
                stale = 0;
            } else {
                stale++;
            }
            boolean settled = stale >= 3 && JIT.getTotalCompilationTime() == compiled;
            if (i + 1 >= minSteps && t1 >= minEnd && (settled || t1 >= maxEnd)) return;
        }
    }

}
