package org.mrine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.tensor.Tensor;

/**
 * Hand-written gradients against central finite differences of the total loss, entry by entry:
 * for every trainable tensor its largest-gradient entry and a few random ones. The engine is
 * float32, so the step is large enough that rounding of the loss stays far below the signal,
 * and small enough that the O(h^2) truncation does too.
 */
class GradientCheckTest {
    private static final float STEP = 5e-3f;
    /** Relative agreement per entry... */
    private static final double RELATIVE = 1e-2;
    /** ...plus a floor relative to the tensor's largest gradient entry, for entries near zero. */
    private static final double FLOOR = 2e-3;
    private static final int RANDOM_ENTRIES = 3;

    private record Check(String name, int index, double analytic, double numeric, double gradMax) {
        boolean ok() {
            return Math.abs(analytic - numeric) <= RELATIVE * Math.max(Math.abs(analytic), Math.abs(numeric)) + FLOOR * gradMax + 1e-6;
        }
    }

    private static List<Check> check(ModelConfig cfg, Batch batch, long seed) {
        return check(cfg, batch, seed, () -> null);
    }

    /** noise supplies the same dropout draws on every call, so the loss is one deterministic function. */
    private static List<Check> check(ModelConfig cfg, Batch batch, long seed, Supplier<TrainingNoise> noise) {
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            TestModels.randomize(model, seed);
            model.lossAndGradient(batch, noise.get());
            // every difference quotient below runs the model again and overwrites the gradients
            Map<String, float[]> analytic = new HashMap<>();
            for (String name : model.trainableNames()) analytic.put(name, model.grads.get(name).toArray());
            SplittableRandom rng = new SplittableRandom(seed + 1);
            List<Check> checks = new ArrayList<>();
            for (String name : model.trainableNames()) {
                Tensor p = model.params.get(name);
                float[] g = analytic.get(name);
                int largest = 0;
                for (int i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[largest])) largest = i;
                double gradMax = Math.abs(g[largest]);
                float[] orig = p.toArray();
                int[] entries = new int[1 + RANDOM_ENTRIES];
                entries[0] = largest;
                for (int e = 1; e < entries.length; e++) entries[e] = rng.nextInt(g.length);
                for (int i : entries) {
                    double plus = lossWith(model, batch, noise, p, orig, i, STEP);
                    double minus = lossWith(model, batch, noise, p, orig, i, -STEP);
                    checks.add(new Check(name, i, g[i], (plus - minus) / (2 * STEP), gradMax));
                }
                p.copyFrom(orig);
            }
            return checks;
        }
    }

    private static double lossWith(MrineModel model, Batch batch, Supplier<TrainingNoise> noise, Tensor p, float[] orig,
                                   int index, float step) {
        float[] moved = orig.clone();
        moved[index] += step;
        p.copyFrom(moved);
        return model.lossAndGradient(batch, noise.get()).get("total_loss");
    }

    private static void assertAllAgree(List<Check> checks, int expectedTensors) {
        assertEquals(expectedTensors, checks.stream().map(Check::name).distinct().count(), "every trainable tensor is checked");
        StringBuilder bad = new StringBuilder();
        for (Check c : checks) {
            if (!c.ok()) bad.append(String.format("%n  %s[%d]: analytic %.6e, finite difference %.6e, max |g| %.3e", c.name, c.index, c.analytic, c.numeric, c.gradMax));
        }
        assertTrue(bad.isEmpty(), "gradients disagree with finite differences:" + bad);
    }

    @Test
    void twoModalitiesWithMissingSamples() {
        ModelConfig cfg = TestModels.config(4, 3,
                List.of(TestModels.poisson("s", 5, 6, 6), TestModels.gaussian("y", 4, 6)), 6);
        Batch batch = TestModels.batch(cfg, 3, 14, 0.7, 11);
        List<Check> checks = check(cfg, batch, 3);
        // backbone 4 + encoders 6 + 4 + fusion 4 + modality LDMs 8 + decoders 6 + 4
        assertAllAgree(checks, 36);
    }

    @Test
    void threeModalities() {
        ModelConfig cfg = TestModels.config(3, 4,
                List.of(TestModels.poisson("s", 4, 5), TestModels.gaussian("y", 3, 5), TestModels.gaussian("z", 2, 4)), 5);
        Batch batch = TestModels.batch(cfg, 2, 12, 0.8, 21);
        List<Check> checks = check(cfg, batch, 5);
        assertTrue(checks.stream().anyMatch(c -> c.name.equals("encoder.ldm_z.R_log_diag")));
        assertAllAgree(checks, checks.size() / (1 + RANDOM_ENTRIES));
    }

    @Test
    void singleModality() {
        ModelConfig cfg = TestModels.config(3, 2, List.of(TestModels.poisson("s", 5, 6, 4)));
        Batch batch = TestModels.batch(cfg, 2, 15, 0.6, 31);
        List<Check> checks = check(cfg, batch, 7);
        assertAllAgree(checks, checks.size() / (1 + RANDOM_ENTRIES));
    }

    @Test
    void withDropoutAndTimeDropout() {
        ModelConfig cfg = TestModels.config(4, 3,
                List.of(TestModels.poisson("s", 5, 6), TestModels.gaussian("y", 4, 6)), 6);
        Batch batch = TestModels.batch(cfg, 3, 14, 0.8, 13);
        List<Check> checks = check(cfg, batch, 9, () -> new TrainingNoise(0.1, 0.3, new SplittableRandom(99)));
        assertAllAgree(checks, checks.size() / (1 + RANDOM_ENTRIES));
    }

    @Test
    void singleModalityWithDropout() {
        ModelConfig cfg = TestModels.config(3, 2, List.of(TestModels.gaussian("y", 4, 5)));
        Batch batch = TestModels.batch(cfg, 2, 12, 0.9, 17);
        List<Check> checks = check(cfg, batch, 19, () -> new TrainingNoise(0.1, 0.3, new SplittableRandom(7)));
        assertAllAgree(checks, checks.size() / (1 + RANDOM_ENTRIES));
    }
}
