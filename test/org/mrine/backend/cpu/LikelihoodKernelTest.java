package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/** The likelihoods' vector kernels: their exp against Math.exp, and the vector paths against plain loops. */
class LikelihoodKernelTest {

    @Test
    void expWithinTwoUlpAndVectorEqualsScalar() {
        int n = 1 << 21;
        double worstUlp = 0;
        for (int i = 0; i < n; i++) {
            float x = -5f + 10f * i / (n - 1), want = (float) Math.exp(x);
            worstUlp = Math.max(worstUlp, Math.abs(CpuLikelihood.exp(x) - want) / Math.ulp(want));
        }
        System.out.printf("exp on [-5, 5]: worst %.1f ulp from Math.exp%n", worstUlp);
        assertTrue(worstUlp <= 2, "exp error " + worstUlp + " ulp");
        // vector lanes against the scalar twin (fewer points: the vector path may run interpreted here)
        int m = 1 << 14, lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] x = new float[m], out = new float[m];
        for (int i = 0; i < m; i++) x[i] = -5f + 10f * i / (m - 1);
        for (int i = 0; i + lanes <= m; i += lanes) {
            CpuLikelihood.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)).intoArray(out, i);
        }
        for (int i = 0; i < m - m % lanes; i++) assertEquals(CpuLikelihood.exp(x[i]), out[i], 0f, "vector and scalar exp at " + x[i]);
    }

    @Test
    void poissonAndGaussianMatchPlainLoops() {
        // N = 37: whole vectors and a tail at every vector width; masks with holes; a shift
        final int B = 3, T = 9, N = 37, shift = 2;
        SplittableRandom rng = new SplittableRandom(5);
        try (Workspace ws = new Workspace()) {
            Tensor z = ws.zeros(B, T, N), counts = ws.zeros(B, T, N), mask = ws.zeros(B, T);
            Tensor dz = ws.zeros(B, T, N);
            for (long i = 0; i < z.size(); i++) {
                z.set(i, (float) (3.5 * rng.nextGaussian()));      // some beyond the clamp
                counts.set(i, rng.nextInt(6));
            }
            for (long i = 0; i < mask.size(); i++) mask.set(i, rng.nextInt(4) == 0 ? 0f : 1f);
            float scale = 0.37f;
            double got = CpuLikelihood.poisson(z, counts, mask, shift, scale, dz);
            double want = 0;
            int compared = 0;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t + shift < T; t++) {
                    float m = mask.get((long) b * T + t + shift);
                    for (int n = 0; n < N; n++) {
                        long zi = ((long) b * T + t) * N + n, si = ((long) b * T + t + shift) * N + n;
                        float raw = z.get(zi), c = Math.min(Math.max(raw, -5f), 5f), count = counts.get(si);
                        double rate = Math.exp(c);
                        double grad = m == 0 || raw < -5 || raw > 5 ? 0 : scale * m * (count - rate);
                        if (m != 0) want += m * (count * c - rate - SpecialFunctions.logGamma(count + 1.0));
                        assertEquals(grad, dz.get(zi), 1e-6 * (1 + Math.abs(grad)), "Poisson gradient at " + zi);
                        compared++;
                    }
                }
            }
            assertEquals(want, got, 1e-6 * Math.abs(want), "Poisson log-likelihood");
            assertTrue(compared > 0);

            Tensor mu = z, y = counts, dmu = ws.zeros(B, T, N);
            float variance = 1.7f;
            got = CpuLikelihood.gaussian(mu, y, mask, shift, variance, scale, dmu);
            want = 0;
            for (int b = 0; b < B; b++) {
                for (int t = 0; t + shift < T; t++) {
                    float m = mask.get((long) b * T + t + shift);
                    for (int n = 0; n < N; n++) {
                        long mi = ((long) b * T + t) * N + n, yi = ((long) b * T + t + shift) * N + n;
                        float err = y.get(yi) - mu.get(mi);
                        if (m != 0) want += m * (-0.5 * (Math.log(2 * Math.PI) + Math.log(variance)) - (double) err * err / (2 * variance));
                        // the gradient takes the same float operations as the plain loop: bit for bit
                        assertEquals(m == 0 ? 0f : scale * m * err / variance, dmu.get(mi), 0f, "Gaussian gradient at " + mi);
                    }
                }
            }
            assertEquals(want, got, 1e-9 * Math.abs(want), "Gaussian log-likelihood");
        }
    }
}
