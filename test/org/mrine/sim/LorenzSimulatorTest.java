package org.mrine.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;

/** The stochastic Lorenz benchmark: its statistics, sampling pattern, drops and determinism. */
class LorenzSimulatorTest {
    private static final LorenzOptions SMALL = LorenzOptions.DEFAULTS.withSize(60, 100);

    @Test
    void sameSeedSameDatasetOtherSeedOtherDataset(@TempDir Path dir) {
        Dataset a = LorenzSimulator.simulate(SMALL), b = LorenzSimulator.simulate(SMALL);
        assertArrayEquals(a.behavior(), b.behavior());
        assertArrayEquals(a.modality("s").values(), b.modality("s").values());
        assertArrayEquals(a.modality("y").values(), b.modality("y").values());
        Dataset c = LorenzSimulator.simulate(SMALL.withSeeds(99, 2));
        assertFalse(java.util.Arrays.equals(a.behavior(), c.behavior()));
        // and it survives the file format
        a.save(dir.resolve("d.safetensors"));
        Dataset back = Dataset.load(dir.resolve("d.safetensors"));
        assertArrayEquals(a.modality("s").values(), back.modality("s").values());
        assertEquals(a.behaviorNames(), back.behaviorNames());
    }

    @Test
    void latentIsZScoredAndMovesLikeLorenz() {
        Dataset d = LorenzSimulator.simulate(SMALL);
        assertEquals(3, d.behaviorDim());
        int n = d.trials() * d.steps();
        for (int j = 0; j < 3; j++) {
            double mean = 0, sq = 0, lag1 = 0;
            for (int i = 0; i < n; i++) mean += d.behavior()[i * 3 + j];
            mean /= n;
            for (int i = 0; i < n; i++) sq += Math.pow(d.behavior()[i * 3 + j] - mean, 2);
            for (int i = 1; i < n; i++) lag1 += (d.behavior()[i * 3 + j] - mean) * (d.behavior()[(i - 1) * 3 + j] - mean);
            assertEquals(0, mean, 1e-5, "mean of latent " + j);
            assertEquals(1, sq / n, 1e-4, "variance of latent " + j);
            // a smooth trajectory sampled every 10 ms: neighbouring steps are strongly correlated
            assertTrue(lag1 / sq > 0.9, "lag-1 autocorrelation of latent " + j + " = " + lag1 / sq);
        }
        // the Lorenz butterfly: x changes sign (two lobes), z does not go negative before z-scoring, so
        // x and y are positively correlated (dy/dt has the x (rho - z) term)
        double xy = 0;
        for (int i = 0; i < n; i++) xy += d.behavior()[i * 3] * d.behavior()[i * 3 + 1];
        assertTrue(xy / n > 0.5, "corr(x, y) = " + xy / n);
    }

    @Test
    void spikeRatesAreAFewToAFewTensPerSecondAndFollowTheLatent() {
        Dataset d = LorenzSimulator.simulate(SMALL);
        ModalityData s = d.modality("s");
        assertEquals(20, s.channels());
        assertEquals(1.0, s.availability());
        int n = d.trials() * d.steps();
        double total = 0;
        for (int ch = 0; ch < 20; ch++) {
            double count = 0;
            for (int c = 0; c < n; c++) {
                float v = s.values()[c * 20 + ch];
                assertTrue(v >= 0 && v == Math.rint(v), "counts are non-negative integers");
                count += v;
            }
            double hz = count / n / 0.010;
            assertTrue(hz > 2 && hz < 60, "channel " + ch + " fires at " + hz + " Hz");
            total += hz;
        }
        double meanHz = total / 20;
        assertTrue(meanHz > 5 && meanHz < 30, "mean rate " + meanHz);
        // the population count tracks some direction of the latent: regress it on the latent
        double best = 0;
        for (int ch = 0; ch < 20; ch++) {
            for (int j = 0; j < 3; j++) {
                double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
                for (int c = 0; c < n; c++) {
                    double x = d.behavior()[c * 3 + j], y = s.values()[c * 20 + ch];
                    sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
                }
                double r = (sxy - sx * sy / n) / Math.sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
                best = Math.max(best, Math.abs(r));
            }
        }
        assertTrue(best > 0.15, "some channel correlates with some latent dimension, best |r| = " + best);
    }

    @Test
    void fieldIsSampledEveryFifthStepAndIsAffineInTheLatentPlusNoise() {
        Dataset d = LorenzSimulator.simulate(SMALL);
        ModalityData y = d.modality("y");
        assertEquals(20, y.channels());
        for (int b = 0; b < d.trials(); b++) {
            for (int t = 0; t < d.steps(); t++) {
                float m = y.mask()[b * d.steps() + t];
                assertEquals(t % 5 == 0 ? 1f : 0f, m, "mask at trial " + b + " step " + t);
                if (m == 0) for (int ch = 0; ch < 20; ch++) assertEquals(0f, y.values()[(b * d.steps() + t) * 20 + ch]);
            }
        }
        // least squares of one channel on [z, 1] over sampled steps: residual s.d. is the field noise
        int ch = 3;
        double[][] xtx = new double[4][4];
        double[] xty = new double[4];
        int n = 0;
        java.util.List<double[]> rows = new java.util.ArrayList<>();
        for (int c = 0; c < d.trials() * d.steps(); c++) {
            if (y.mask()[c] == 0) continue;
            double[] x = {d.behavior()[c * 3], d.behavior()[c * 3 + 1], d.behavior()[c * 3 + 2], 1, y.values()[c * 20 + ch]};
            rows.add(x);
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) xtx[i][j] += x[i] * x[j];
                xty[i] += x[i] * x[4];
            }
            n++;
        }
        double[] w = solve(xtx, xty);
        double rss = 0;
        for (double[] x : rows) {
            double pred = w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + w[3];
            rss += (x[4] - pred) * (x[4] - pred);
        }
        double sd = Math.sqrt(rss / (n - 4));
        assertEquals(LorenzOptions.DEFAULTS.fieldNoise(), sd, 0.1 * LorenzOptions.DEFAULTS.fieldNoise(), "residual s.d. of field channel");
        assertEquals(1, Math.sqrt(w[0] * w[0] + w[1] * w[1] + w[2] * w[2]), 0.25, "loading norm");
    }

    @Test
    void dropsRemoveTheRequestedFractionAndAreNested() {
        Dataset d0 = LorenzSimulator.simulate(SMALL);
        Dataset d3 = LorenzSimulator.simulate(SMALL.withDrops(0.3, 0.5));
        Dataset d6 = LorenzSimulator.simulate(SMALL.withDrops(0.6, 0.5));
        assertEquals(0.7, d3.modality("s").availability(), 0.02);
        assertEquals(0.2 * 0.5, d3.modality("y").availability(), 0.02);
        assertEquals(0.4, d6.modality("s").availability(), 0.02);
        float[] m3 = d3.modality("s").mask(), m6 = d6.modality("s").mask();
        for (int c = 0; c < m3.length; c++) {
            if (m6[c] > 0) assertEquals(1f, m3[c], "a sample kept at 0.6 is kept at 0.3");
            if (m3[c] > 0) {
                for (int ch = 0; ch < 20; ch++) assertEquals(d0.modality("s").values()[c * 20 + ch], d3.modality("s").values()[c * 20 + ch]);
            }
        }
        assertArrayEquals(d0.behavior(), d6.behavior(), "drops change masks, not the latent");
    }

    @Test
    void fieldRatioOneSamplesEveryStep() {
        Dataset d = LorenzSimulator.simulate(SMALL.withFieldRatio(1));
        assertEquals(1.0, d.modality("y").availability());
    }

    @Test
    void poissonDrawsHaveTheRightMeanAndVariance() {
        SplittableRandom rng = new SplittableRandom(5);
        for (double mean : new double[] {0.1, 2.5, 45}) {
            double s = 0, sq = 0;
            int n = 200_000;
            for (int i = 0; i < n; i++) {
                int k = LorenzSimulator.poisson(rng, mean);
                s += k;
                sq += (double) k * k;
            }
            double m = s / n, v = sq / n - m * m;
            assertEquals(mean, m, 4 * Math.sqrt(mean / n) + 1e-9, "mean of Poisson(" + mean + ")");
            assertEquals(mean, v, 0.03 * mean + 0.01, "variance of Poisson(" + mean + ")");
        }
    }

    @Test
    void badOptionsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> LorenzOptions.DEFAULTS.withDrops(1.0, 0));
        assertThrows(IllegalArgumentException.class, () -> LorenzOptions.DEFAULTS.withFieldRatio(0));
        assertThrows(IllegalArgumentException.class, () -> LorenzOptions.DEFAULTS.withSize(0, 100));
    }

    private static double[] solve(double[][] a, double[] b) {
        int n = b.length;
        double[][] m = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a[i], 0, m[i], 0, n);
            m[i][n] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[piv][col])) piv = r;
            double[] t = m[col];
            m[col] = m[piv];
            m[piv] = t;
            for (int r = 0; r < n; r++) {
                if (r == col) continue;
                double f = m[r][col] / m[col][col];
                for (int c = col; c <= n; c++) m[r][c] -= f * m[col][c];
            }
        }
        double[] x = new double[n];
        for (int i = 0; i < n; i++) x[i] = m[i][n] / m[i][i];
        return x;
    }
}
