package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.Parameters;
import org.mrine.tensor.Tensor;

/** Adam and the gradient-norm clip against steps computed by hand. */
class AdamTest {

    @Test
    void twoStepsMatchTheHandComputedUpdate() {
        try (Backend be = Backends.create("cpu")) {
            Parameters p = new Parameters.Layout().add("w", 3).allocate(be.workspace());
            Parameters g = p.like(be.workspace());
            p.get("w").copyFrom(new float[] {1f, -2f, 0.5f});
            Adam adam = new Adam(be, p, g, 0.9, 0.999, 1e-8);

            // step 1, g = (0.1, -0.2, 0): m = 0.1 g, v = 0.001 g^2, m_hat = g, v_hat = g^2,
            // update = lr * g / (|g| + eps) = lr * sign(g) (exactly 0 where g = 0)
            g.get("w").copyFrom(new float[] {0.1f, -0.2f, 0f});
            adam.step(0.01);
            assertEquals(1f - 0.01f, p.get("w").get(0), 1e-7);
            assertEquals(-2f + 0.01f, p.get("w").get(1), 1e-7);
            assertEquals(0.5f, p.get("w").get(2), 0f, "no gradient, no move");

            // step 2, g = (0.3, 0.2, 0) at lr 0.02: computed in double by hand
            g.get("w").copyFrom(new float[] {0.3f, 0.2f, 0f});
            adam.step(0.02);
            // the inputs as the float32 values they are; the arithmetic in double
            double[] g1 = {0.1f, -0.2f}, g2 = {0.3f, 0.2f}, p1 = {1f - 0.01f, -2f + 0.01f};
            for (int i = 0; i < 2; i++) {
                double m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
                double v = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
                double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
                double expected = p1[i] - 0.02 * mHat / (Math.sqrt(vHat) + 1e-8);
                assertEquals(expected, p.get("w").get(i), 2e-6, "parameter " + i + " after two steps");
                assertEquals(m, adam.m.get("w").get(i), 1e-6 * Math.abs(m), "first moment " + i);
                assertEquals(v, adam.v.get("w").get(i), 1e-6 * Math.abs(v), "second moment " + i);
            }
            assertEquals(0.5f, p.get("w").get(2), 0f);
            assertEquals(2, adam.steps());
        }
    }

    @Test
    void clipScalesTheGlobalNormDownToTheLimitAndLeavesSmallGradients() {
        try (Backend be = Backends.create("cpu")) {
            Parameters g = new Parameters.Layout().add("a", 2).add("b", 1).allocate(be.workspace());
            g.get("a").copyFrom(new float[] {3f, 0f});
            g.get("b").copyFrom(new float[] {4f});
            double norm = Adam.clip(be, g, 0.1);
            assertEquals(5.0, norm, 1e-12);
            Tensor flat = g.flat();
            double coef = 0.1 / (5 + 1e-6);
            assertEquals(3 * coef, flat.get(0), 1e-7);
            assertEquals(4 * coef, flat.get(2), 1e-7);
            // below the limit: untouched
            g.get("a").copyFrom(new float[] {0.03f, 0f});
            g.get("b").copyFrom(new float[] {0.04f});
            assertEquals(0.05, Adam.clip(be, g, 0.1), 1e-8);
            assertEquals(0.03f, flat.get(0), 0f);
            // 0 disables clipping
            g.get("b").copyFrom(new float[] {40f});
            Adam.clip(be, g, 0);
            assertEquals(40f, flat.get(2), 0f);
        }
    }
}
