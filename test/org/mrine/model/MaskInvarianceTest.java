package org.mrine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.tensor.HostTensor;

/** Data where the mask is 0 must not influence any output, loss term or gradient. */
class MaskInvarianceTest {

    private record Run(Map<String, HostTensor> outputs, Map<String, Double> losses, float[] grads) {
    }

    private static Run run(ModelConfig cfg, Batch batch) {
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            TestModels.randomize(model, 17);
            Map<String, Double> losses = model.lossAndGradient(batch);
            return new Run(model.outputs(), losses, model.grads.flat().toArray());
        }
    }

    @Test
    void missingSamplesNeverMatter() {
        ModelConfig cfg = TestModels.config(4, 4,
                List.of(TestModels.poisson("s", 6, 8), TestModels.gaussian("y", 3, 8)), 8);
        Batch batch = TestModels.batch(cfg, 4, 20, 0.6, 5);
        // same batch, with garbage (NaN, Inf, huge values) wherever a sample is missing
        List<float[]> garbage = new ArrayList<>();
        int changed = 0;
        for (int i = 0; i < batch.data().size(); i++) {
            float[] x = batch.data().get(i).clone();
            float[] m = batch.masks().get(i);
            int n = x.length / m.length;
            for (int r = 0; r < m.length; r++) {
                if (m[r] != 0f) continue;
                for (int c = 0; c < n; c++) {
                    x[r * n + c] = switch ((r + c) % 3) {
                        case 0 -> Float.NaN;
                        case 1 -> Float.POSITIVE_INFINITY;
                        default -> 1e30f;
                    };
                    changed++;
                }
            }
            garbage.add(x);
        }
        assertTrue(changed > 50, "the test must change many missing entries, changed " + changed);
        Run clean = run(cfg, batch);
        Run dirty = run(cfg, new Batch(batch.trials(), batch.steps(), garbage, batch.masks()));
        assertEquals(clean.losses(), dirty.losses());
        assertArrayEquals(clean.grads(), dirty.grads());
        for (String k : clean.outputs().keySet()) {
            assertArrayEquals(clean.outputs().get(k).data(), dirty.outputs().get(k).data(), k);
        }
        assertTrue(Double.isFinite(clean.losses().get("total_loss")));
    }
}
