package org.mrine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;

/**
 * The reference's defect: its smoothness term breaks when trials have different missing samples.
 * Ours is each trial's mean over its (consecutive available pair x channel) terms, then the mean
 * over trials with at least two available samples: computed here trial by trial and compared.
 */
class PerTrialSmoothnessTest {

    @Test
    void batchTermIsMeanOfTrialTerms() {
        ModelConfig cfg = TestModels.config(4, 4,
                List.of(TestModels.poisson("s", 5, 6), TestModels.gaussian("y", 3, 6)), 6);
        final int B = 4, T = 16;
        Batch batch = TestModels.batch(cfg, B, T, 0.55, 9);
        // trial 3 of the field modality keeps a single sample: it has no pair and must not count
        float[] my = batch.masks().get(1).clone();
        for (int t = 0; t < T; t++) my[3 * T + t] = t == 4 ? 1f : 0f;
        batch = new Batch(B, T, batch.data(), List.of(batch.masks().get(0), my));
        int[] availableS = new int[B];
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) availableS[b] += (int) batch.masks().get(0)[b * T + t];
        assertTrue(java.util.Arrays.stream(availableS).distinct().count() > 1, "trials must differ in their numbers of samples");

        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            TestModels.randomize(model, 23);
            Map<String, Double> whole = model.lossAndGradient(batch);
            double sumS = 0, sumY = 0, sumX = 0;
            int validY = 0;
            for (int b = 0; b < B; b++) {
                Map<String, Double> one = model.lossAndGradient(trial(batch, b));
                sumS += one.get("sm_reg_loss_s");
                sumX += one.get("sm_reg_loss_x");
                if (b != 3) {
                    sumY += one.get("sm_reg_loss_y");
                    validY++;
                } else {
                    assertEquals(0.0, one.get("sm_reg_loss_y"), "a trial without a pair has no term");
                }
            }
            assertEquals(sumS / B, whole.get("sm_reg_loss_s"), 1e-6 * Math.abs(sumS));
            assertEquals(sumY / validY, whole.get("sm_reg_loss_y"), 1e-6 * Math.abs(sumY));
            assertEquals(sumX / B, whole.get("sm_reg_loss_x"), 1e-6 * Math.abs(sumX));
        }
    }

    private static Batch trial(Batch batch, int b) {
        List<float[]> data = new ArrayList<>(), masks = new ArrayList<>();
        int T = batch.steps();
        for (int i = 0; i < batch.data().size(); i++) {
            float[] x = batch.data().get(i);
            int n = x.length / (batch.trials() * T);
            float[] xb = new float[T * n];
            System.arraycopy(x, b * T * n, xb, 0, T * n);
            float[] mb = new float[T];
            System.arraycopy(batch.masks().get(i), b * T, mb, 0, T);
            data.add(xb);
            masks.add(mb);
        }
        return new Batch(1, T, data, masks);
    }
}
