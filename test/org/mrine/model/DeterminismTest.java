package org.mrine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;

/**
 * The same batch, parameters and noise seed give the same bits, whatever the JIT has compiled
 * by then and however the worker threads were scheduled: resume equality and every reported
 * number depend on it.
 */
class DeterminismTest {

    @Test
    void repeatedStepsAreBitwiseEqual() {
        ModelConfig cfg = TestModels.config(16, 16,
                List.of(TestModels.poisson("s", 12, 32, 32), TestModels.gaussian("y", 8, 32)), 32);
        Batch batch = TestModels.batch(cfg, 6, 40, 0.8, 1);
        float[] first = null;
        double firstLoss = 0;
        for (int run = 0; run < 6; run++) {
            try (CpuBackend be = new CpuBackend()) {
                MrineModel model = new MrineModel(cfg, be);
                TestModels.randomize(model, 2);
                double loss = model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, new SplittableRandom(3))).get("total_loss");
                float[] grads = model.grads.flat().toArray();
                if (first == null) {
                    first = grads;
                    firstLoss = loss;
                } else {
                    assertEquals(firstLoss, loss, 0.0, "run " + run);
                    assertArrayEquals(first, grads, "run " + run);
                }
            }
        }
    }
}
