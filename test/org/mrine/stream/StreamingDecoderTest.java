package org.mrine.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TestModels;
import org.mrine.tensor.HostTensor;

/** Step-by-step inference against the batch filter, the steady-state shortcut, and bad input. */
class StreamingDecoderTest {

    private static ModelConfig config() {
        return TestModels.config(6, 5, List.of(TestModels.poisson("s", 7, 12, 12), TestModels.gaussian("y", 4, 12)), 12);
    }

    /** The paper's widths (n_a = n_x = 64, hidden 128x3, 20 + 20 channels): every product on the vector kernels. */
    private static ModelConfig paperWidths() {
        return TestModels.config(64, 64, List.of(TestModels.poisson("s", 20, 128, 128, 128), TestModels.gaussian("y", 20, 128, 128, 128)), 128);
    }

    /** Samples of trial b at step t, null where the mask is 0. */
    private static float[][] samples(Batch batch, ModelConfig cfg, int b, int t) {
        float[][] out = new float[cfg.modalities().size()][];
        for (int i = 0; i < out.length; i++) {
            if (batch.masks().get(i)[b * batch.steps() + t] == 0f) continue;
            int n = cfg.modalities().get(i).channels();
            out[i] = new float[n];
            System.arraycopy(batch.data().get(i), (b * batch.steps() + t) * n, out[i], 0, n);
        }
        return out;
    }

    /** max over steps of |streamed - batch| / max |batch| for one trial. */
    private static double streamError(StreamingDecoder dec, Batch batch, ModelConfig cfg, HostTensor xFilter, int b) {
        int T = batch.steps(), X = cfg.latentDim();
        double maxDiff = 0, maxRef = 0;
        dec.reset();
        for (int t = 0; t < T; t++) {
            dec.push(samples(batch, cfg, b, t));
            for (int i = 0; i < X; i++) {
                float ref = xFilter.data()[(b * T + t) * X + i];
                maxDiff = Math.max(maxDiff, Math.abs(dec.latent()[i] - ref));
                maxRef = Math.max(maxRef, Math.abs(ref));
            }
        }
        return maxDiff / maxRef;
    }

    @Test
    void reproducesBatchFilterWithIrregularMasks() {
        irregularMasks("", config(), 3, 150, 0.6, 3, model -> TestModels.randomize(model, 5));
    }

    /**
     * The same at the paper's widths, where every product takes the vector kernels (and the
     * shortcut's mean update sums its one-row products in another order than the batch filter).
     * The paper's initialization: randomize's perturbation of A, sized for small models, would make
     * a 64-dimensional A unstable (spectral radius about 1.3).
     */
    @Test
    void reproducesBatchFilterAtPaperWidths() {
        irregularMasks(", paper widths", paperWidths(), 2, 120, 0.7, 4, model -> model.initialize(new SplittableRandom(7)));
    }

    /** Each trial pushed step by step, with and without the shortcut, against the batch x_filter. */
    private static void irregularMasks(String what, ModelConfig cfg, int trials, int T, double keep, long seed,
                                       java.util.function.Consumer<MrineModel> init) {
        Batch batch = TestModels.batch(cfg, trials, T, keep, seed);
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            init.accept(model);
            model.forward(batch);
            HostTensor xFilter = model.outputs().get("x_filter");
            StreamingDecoder exact = new StreamingDecoder(model, be, null, false);
            StreamingDecoder fast = new StreamingDecoder(model, be, null, true);
            for (int b = 0; b < trials; b++) {
                double e = streamError(exact, batch, cfg, xFilter, b);
                double f = streamError(fast, batch, cfg, xFilter, b);
                System.out.printf("[stream vs batch x_filter%s] trial %d: full recursion %.2e (limit 0), shortcut %.2e (limit 1e-5)%n", what, b, e, f);
                // the same operations in the same order (the encoders' zero inputs skipped adds only zeros): bit for bit
                assertEquals(0.0, e, "full recursion: relative error " + e);
                assertTrue(f <= 1e-5, "with the shortcut: relative error " + f);
            }
        }
    }

    @Test
    void periodicPatternConvergesAndFallsBackOnABreak() {
        periodicPatternWithABreak("", config(), 800, 500, model -> TestModels.randomize(model, 6));
    }

    /** The shortcut's error at the paper's widths on the periodic pattern it exists for. */
    @Test
    void periodicPatternAtPaperWidthsStaysWithinTolerance() {
        periodicPatternWithABreak(", paper widths", paperWidths(), 600, 400, model -> model.initialize(new SplittableRandom(13)));
    }

    /** Spikes every step, the field every 5th step, one spike sample missing at step breakAt. */
    private static void periodicPatternWithABreak(String what, ModelConfig cfg, int T, int breakAt,
                                                  java.util.function.Consumer<MrineModel> init) {
        Batch batch = TestModels.batch(cfg, 1, T, 1.0, 8);
        float[] ms = batch.masks().get(0).clone(), my = new float[T];
        for (int t = 0; t < T; t++) my[t] = t % 5 == 0 ? 1f : 0f;
        ms[breakAt] = 0f;
        batch = new Batch(1, T, batch.data(), List.of(ms, my));
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            init.accept(model);
            model.forward(batch);
            HostTensor xFilter = model.outputs().get("x_filter");
            StreamingDecoder fast = new StreamingDecoder(model, be, null, true);
            double err = streamError(fast, batch, cfg, xFilter, 0);
            long full = fast.fullCovarianceUpdates(), cached = fast.shortcutCovarianceSteps();
            System.out.printf("[stream, periodic pattern with a break%s] shortcut error %.2e (limit 1e-5), %d full updates, %d shortcut steps%n",
                    what, err, full, cached);
            assertTrue(err <= 1e-5, "relative error with the shortcut " + err);
            assertEquals(3L * T, full + cached);
            assertTrue(cached > 2L * T, "most steps follow converged gains: " + cached + " of " + 3 * T);
            assertTrue(full > 3, "the transient and the break are computed in full: " + full);
        }
    }

    @Test
    void badInputIsRejectedWithoutCorruptingState() {
        ModelConfig cfg = config();
        Batch batch = TestModels.batch(cfg, 1, 40, 0.8, 4);
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            // the paper's initialization: randomize's perturbation of A, sized for small models, would
            // make a 64-dimensional A unstable (spectral radius about 1.3)
            model.initialize(new SplittableRandom(7));
            StreamingDecoder clean = new StreamingDecoder(model, be, null, true);
            StreamingDecoder hit = new StreamingDecoder(model, be, null, true);
            for (int t = 0; t < 40; t++) {
                float[][] s = samples(batch, cfg, 0, t);
                clean.push(s);
                if (t == 10) {
                    assertThrows(IllegalArgumentException.class, () -> hit.push(new float[][] {new float[3], null}));
                    assertThrows(IllegalArgumentException.class, () -> hit.push(new float[][] {new float[] {0, 1, -1, 0, 0, 0, 0}, null}));
                    assertThrows(IllegalArgumentException.class, () -> hit.push(new float[][] {null}));
                }
                hit.push(s);
                assertArrayEquals(clean.latent(), hit.latent(), "step " + t);
            }
            // NaN in a sample: that sample counts as missing
            float[][] withNan = {new float[7], new float[4]};
            withNan[1][2] = Float.NaN;
            float[][] asMissing = {new float[7], null};
            clean.push(asMissing);
            hit.push(withNan);
            assertArrayEquals(clean.latent(), hit.latent());
            assertEquals(1, hit.nonFiniteSamples());
        }
    }

    /**
     * The checks a vector at a time (37 and 45 channels: whole vectors and a tail at 8 or 16 lanes):
     * a NaN or an infinity anywhere makes the sample missing, a negative count anywhere is refused
     * before any state changes, and -0 is a count of zero.
     */
    @Test
    void wideSamplesAreCheckedInEveryLane() {
        ModelConfig cfg = TestModels.config(6, 5, List.of(TestModels.poisson("s", 37, 12, 12), TestModels.gaussian("y", 45, 12)), 12);
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            model.initialize(new SplittableRandom(3));
            StreamingDecoder clean = new StreamingDecoder(model, be, null, true);
            StreamingDecoder hit = new StreamingDecoder(model, be, null, true);
            SplittableRandom rng = new SplittableRandom(4);
            long missing = 0;
            for (int t = 0; t < 60; t++) {
                float[] spikes = new float[37], field = new float[45];
                for (int c = 0; c < 37; c++) spikes[c] = rng.nextInt(3);
                for (int c = 0; c < 45; c++) field[c] = (float) rng.nextGaussian();
                int at = t % 45;
                if (t % 5 == 1) {
                    // a negative count in a whole vector or in the tail: refused, nothing changes
                    float[] bad = spikes.clone();
                    bad[at % 37] = -1f;
                    assertThrows(IllegalArgumentException.class, () -> hit.push(new float[][] {bad, field}), "negative count at " + at % 37);
                }
                float[][] theirs = {spikes, field}, ours = {spikes.clone(), field.clone()};
                switch (t % 5) {
                    case 2 -> {
                        ours[1][at] = Float.NaN;
                        theirs = new float[][] {spikes, null};
                        missing++;
                    }
                    case 3 -> {
                        ours[0][at % 37] = t % 2 == 0 ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                        theirs = new float[][] {null, field};
                        missing++;
                    }
                    case 4 -> {
                        ours[1][at] = Float.NEGATIVE_INFINITY;
                        theirs = new float[][] {spikes, null};
                        missing++;
                    }
                    case 0 -> {
                        // -0 counts where the clean decoder sees +0
                        for (int c = 0; c < 37; c++) if (ours[0][c] == 0f) ours[0][c] = -0f;
                    }
                    default -> {
                    }
                }
                clean.push(theirs);
                hit.push(ours);
                assertArrayEquals(clean.latent(), hit.latent(), "step " + t);
            }
            assertEquals(missing, hit.nonFiniteSamples());
            assertEquals(36, missing);
        }
    }

    @Test
    void steadyStatePushAllocatesNothing() {
        steadyStatePushAllocatesNothing(config(), false);
        // 20 + 20 channels: the samples' checks run on whole vectors too (the paper's initialization:
        // randomize's perturbation would make a 64-dimensional A unstable)
        steadyStatePushAllocatesNothing(paperWidths(), true);
    }

    private static void steadyStatePushAllocatesNothing(ModelConfig cfg, boolean paperInitialization) {
        Batch batch = TestModels.batch(cfg, 1, 600, 1.0, 9);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            if (paperInitialization) model.initialize(new SplittableRandom(8)); else TestModels.randomize(model, 8);
            int X = cfg.latentDim();
            StreamingDecoder dec = new StreamingDecoder(model, be, new LinearReadout(X, 2, new float[X * 2], new float[2]), true);
            float[][][] steps = new float[600][][];
            for (int t = 0; t < 600; t++) steps[t] = samples(batch, cfg, 0, t);
            // long enough for the JIT to compile the push path with C2: the Vector API allocates
            // its vectors until then (interpreted and C1 code box them)
            for (int t = 0; t < 30_000; t++) dec.push(steps[t % 300]);
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int t = 300; t < 600; t++) dec.push(steps[t]);
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated < 300 * 16, "steady-state pushes allocated " + allocated + " bytes (" + cfg.latentDim() + " latents)");
        }
    }
}
