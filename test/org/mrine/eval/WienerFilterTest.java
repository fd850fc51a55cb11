package org.mrine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/** The causal Wiener filter baseline: its lagged design matrix and its fit. */
class WienerFilterTest {

    @Test
    void designMatrixMatchesAHandBuiltOne() {
        // 2 trials x 3 steps x 2 channels; the value of (trial b, step t, channel c) is 100b + 10t + c + 1,
        // trial 1 step 1 has no sample (mask 0: counts as zeros)
        float[] values = new float[2 * 3 * 2], mask = {1, 1, 1, 1, 0, 1};
        for (int b = 0; b < 2; b++) for (int t = 0; t < 3; t++) for (int c = 0; c < 2; c++) values[(b * 3 + t) * 2 + c] = 100 * b + 10 * t + c + 1;
        ModalityData m = new ModalityData("s", Likelihood.POISSON, 2, values, mask);
        // trials in the order {1, 0}, 2 lags: row = [x_t (2 channels), x_{t-1}, x_{t-2}], zeros before the trial's start
        float[] expected = {
                101, 102, 0, 0, 0, 0,        // trial 1, t=0
                0, 0, 101, 102, 0, 0,        // trial 1, t=1 (masked)
                121, 122, 0, 0, 101, 102,    // trial 1, t=2
                1, 2, 0, 0, 0, 0,            // trial 0, t=0
                11, 12, 1, 2, 0, 0,          // trial 0, t=1
                21, 22, 11, 12, 1, 2};       // trial 0, t=2
        assertArrayEquals(expected, WienerFilter.design(m, 3, new int[] {1, 0}, 2));
        // no lags: the counts themselves
        assertArrayEquals(new float[] {1, 2, 11, 12, 21, 22}, WienerFilter.design(m, 3, new int[] {0}, 0));
    }

    @Test
    void recoversAnExactLinearFunctionOfCurrentAndLaggedCounts() {
        final int B = 30, T = 25, C = 3, D = 2, lags = 5;
        SplittableRandom rng = new SplittableRandom(11);
        float[] counts = new float[B * T * C], mask = new float[B * T];
        java.util.Arrays.fill(mask, 1);
        for (int i = 0; i < counts.length; i++) counts[i] = rng.nextInt(5);
        double[][][] w = new double[lags + 1][C][D];
        for (double[][] a : w) for (double[] b : a) for (int k = 0; k < D; k++) b[k] = rng.nextGaussian();
        float[] behavior = new float[B * T * D];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) {
                for (int k = 0; k < D; k++) {
                    double y = 0.5 * k - 1;
                    for (int l = 0; l <= lags && l <= t; l++) {
                        for (int c = 0; c < C; c++) y += w[l][c][k] * counts[((b * T) + t - l) * C + c];
                    }
                    behavior[(b * T + t) * D + k] = (float) y;
                }
            }
        }
        behavior[(3 * T + 4) * D + 1] = Float.NaN; // a gap in the recording: left out of fitting and scoring
        behavior[(B - 1) * T * D] = Float.NaN;
        Dataset data = new Dataset(List.of(new ModalityData("s", Likelihood.POISSON, C, counts, mask)), B, T, behavior, D,
                List.of("a", "b"), 50, Map.of());
        ModelChoice wiener = ModelChoice.parse(List.of("wiener"), data, lags).get(0);
        assertTrue(wiener.isWiener());
        assertEquals(List.of("s"), wiener.modalities());
        Folds folds = new Folds(B, 5);
        for (int k = 0; k < 5; k++) {
            FoldResult r = WienerFilter.runFold(data, wiener, k, folds.train(k), folds.test(k), null);
            assertEquals(1.0, r.scores().filtered(), 1e-5, "fold " + k);
            assertTrue(Double.isNaN(r.scores().smoothed()), "no smoothed score");
            assertNull(r.decodedSmoothed());
            assertTrue(r.history().isEmpty() && r.dropScores().isEmpty());
        }
        // too few lags cannot explain the behavior
        FoldResult fewer = WienerFilter.runFold(data, ModelChoice.parse(List.of("wiener"), data, 1).get(0), 0, folds.train(0),
                folds.test(0), null);
        assertTrue(fewer.scores().filtered() < 0.99, "1 lag: " + fewer.scores().filtered());
    }

    @Test
    void wienerIsParsedOnlyWhereAllowedAndNeedsAModality() {
        float[] mask = new float[4];
        java.util.Arrays.fill(mask, 1);
        Dataset two = new Dataset(List.of(new ModalityData("a", Likelihood.POISSON, 1, new float[4], mask),
                new ModalityData("b", Likelihood.POISSON, 1, new float[4], mask)), 2, 2, new float[4], 1, List.of("v"), 50, Map.of());
        assertThrows(IllegalArgumentException.class, () -> ModelChoice.parse(List.of("wiener"), two)); // train: not a model
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelChoice.parse(List.of("wiener"), two, 5));
        assertTrue(e.getMessage().contains("wiener=MOD"), e.getMessage());
        ModelChoice b = ModelChoice.parse(List.of("wiener=b"), two, 3).get(0);
        assertEquals(List.of("b"), b.modalities());
        assertEquals(3, b.wienerLags());
        assertThrows(IllegalArgumentException.class, () -> ModelChoice.parse(List.of("wiener=c"), two, 3));
    }
}
