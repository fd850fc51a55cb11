package org.mrine.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.sim.LorenzSimulator;
import org.mrine.stream.LinearReadout;
import org.mrine.serve.RealtimeThread;
import org.mrine.stream.StreamingDecoder;

/**
 * Per-step latency of {@link StreamingDecoder#push}, single thread: spikes every step, the second
 * modality every {@code fieldEvery}th step, after a warm-up long enough for the covariances to
 * reach their steady state (or with the shortcut off: the full covariance update every step).
 */
public final class StreamLatency {
    private StreamLatency() {
    }

    /** {@link #measure(ModelConfig, int, boolean, int, int, int, long)} in one round. */
    public static Map<String, Object> measure(ModelConfig cfg, int fieldEvery, boolean shortcut, int warmup, int steps, long seed) {
        return measure(cfg, fieldEvery, shortcut, warmup, steps, 1, seed);
    }

    /**
     * {@code rounds} rounds of {@code steps} timed pushes after {@code warmup} untimed ones: the
     * percentiles of each round, reported as their median over the rounds with their spread
     * ({@code p99_us_stats}), so one disturbed round shows as spread instead of as the figure.
     */
    public static Map<String, Object> measure(ModelConfig cfg, int fieldEvery, boolean shortcut, int warmup, int steps,
                                              int rounds, long seed) {
        return measure(cfg, fieldEvery, shortcut, warmup, steps, rounds, seed, Double.NaN);
    }

    /**
     * The same with the spike counts drawn from a Poisson law of mean {@code spikesPerBin} per
     * channel and step (NaN: 0, 1 or 2 with equal chance, the other figures' data: a mean of one
     * spike per bin, 100 Hz at 10 ms bins).
     */
    public static Map<String, Object> measure(ModelConfig cfg, int fieldEvery, boolean shortcut, int warmup, int steps,
                                              int rounds, long seed, double spikesPerBin) {
        return measure(cfg, fieldEvery, shortcut, warmup, steps, rounds, seed, spikesPerBin, -1, 0);
    }

    /**
     * The same with the timed pushes (and the machine's spin control) on the calling thread pinned
     * to {@code cpu} (negative: not pinned) and under SCHED_FIFO at {@code fifoPriority} (0: not),
     * as {@code mrine serve --pin-cpu --realtime} runs its decoding thread: placed after the
     * warm-up, put back after.
     */
    public static Map<String, Object> measure(ModelConfig cfg, int fieldEvery, boolean shortcut, int warmup, int steps,
                                              int rounds, long seed, double spikesPerBin, int cpu, int fifoPriority) {
        try (Backend be = Backends.create("cpu")) {
            MrineModel model = new MrineModel(cfg, be);
            model.initialize(new SplittableRandom(seed));
            int X = cfg.latentDim();
            StreamingDecoder dec = new StreamingDecoder(model, be, new LinearReadout(X, 2, new float[X * 2], new float[2]), shortcut);
            int ns = cfg.modalities().get(0).channels(), ny = cfg.modalities().get(1).channels();
            SplittableRandom rng = new SplittableRandom(seed + 1);
            int distinct = 1000;
            float[][][] samples = new float[distinct][][];
            for (int t = 0; t < distinct; t++) {
                float[] s = new float[ns], y = new float[ny];
                for (int c = 0; c < ns; c++) s[c] = Double.isNaN(spikesPerBin) ? rng.nextInt(3) : LorenzSimulator.poisson(rng, spikesPerBin);
                for (int c = 0; c < ny; c++) y[c] = (float) rng.nextGaussian();
                samples[t] = new float[][] {s, y};
            }
            float[][] spikesOnly = new float[2][];
            for (int t = 0; t < warmup; t++) dec.push(step(samples, spikesOnly, t, fieldEvery));
            RealtimeThread.Placement before = cpu >= 0 || fifoPriority != 0 ? RealtimeThread.place(cpu, fifoPriority) : null;
            try {
                return timed(dec, samples, spikesOnly, warmup, steps, rounds, fieldEvery, shortcut, fifoPriority > 0);
            } finally {
                if (before != null) before.close();
            }
        }
    }

    private static Map<String, Object> timed(StreamingDecoder dec, float[][][] samples, float[][] spikesOnly, int warmup, int steps, int rounds,
                                             int fieldEvery, boolean shortcut, boolean pauses) {
        double[] p50 = new double[rounds], p99 = new double[rounds], p999 = new double[rounds], max = new double[rounds];
        double[] rate = new double[rounds];
        long[] nanos = new long[steps];
        int t = warmup;
        for (int r = 0; r < rounds; r++) {
            long start = System.nanoTime(), paused = 0;
            for (int i = 0; i < steps; i++, t++) {
                // under SCHED_FIFO, 1 ms off the CPU after every 1,000 pushes (untimed), as a decoder
                // that waits for its next bin is: a thread that never yields is stopped by the
                // kernel's real-time throttling for 50 ms of every second
                if (pauses && i % 1000 == 999) {
                    long p0 = System.nanoTime();
                    LockSupport.parkNanos(1_000_000);
                    paused += System.nanoTime() - p0;
                }
                float[][] in = step(samples, spikesOnly, t, fieldEvery);
                long t0 = System.nanoTime();
                dec.push(in);
                nanos[i] = System.nanoTime() - t0;
            }
            double seconds = (System.nanoTime() - start - paused) / 1e9;
            Arrays.sort(nanos);
            p50[r] = Stats.sortedUs(nanos, 0.5);
            p99[r] = Stats.sortedUs(nanos, 0.99);
            p999[r] = Stats.sortedUs(nanos, 0.999);
            max[r] = Stats.sortedUs(nanos, 1);
            rate[r] = steps / seconds;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("p50_us", Stats.round(Stats.median(p50), 3));
        out.put("p99_us", Stats.round(Stats.median(p99), 3));
        out.put("p999_us", Stats.round(Stats.median(p999), 3));
        out.put("max_us", Stats.round(Arrays.stream(max).max().orElse(0), 3));
        out.put("steps_per_s", Stats.round(Stats.median(rate), 1));
        out.put("steps", steps);
        out.put("rounds", rounds);
        if (rounds > 1) {
            out.put("p50_us_stats", Stats.summary(p50, 3));
            out.put("p99_us_stats", Stats.summary(p99, 3));
        }
        out.put("shortcut", shortcut);
        out.put("full_covariance_updates", dec.fullCovarianceUpdates());
        // the same number of plain spins as long as this figure's median: the tail the machine
        // alone gives code of that length (a VM's interrupts), to judge p99 and p99.9 against
        out.put("machine_spin", MachineJitter.spin(Stats.median(p50), steps));
        return out;
        }

    private static float[][] step(float[][][] samples, float[][] buf, int t, int fieldEvery) {
        float[][] s = samples[t % samples.length];
        if (t % fieldEvery == 0) return s;
        buf[0] = s[0];
        buf[1] = null;
        return buf;
    }
}
