package org.mrine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** OLS with intercept and Pearson correlation against closed forms. */
class LinearDecoderTest {

    @Test
    void simpleRegressionHasTheTextbookSlopeAndIntercept() {
        // x = 1..5, y = (2, 4, 5, 4, 5): slope = Sxy / Sxx = 6 / 10, intercept = 4 - 0.6 * 3 = 2.2
        float[] x = {1, 2, 3, 4, 5}, y = {2, 4, 5, 4, 5};
        LinearDecoder d = LinearDecoder.fit(x, 1, y, 1);
        assertEquals(0.6, d.weight(0, 0), 1e-12);
        assertEquals(2.2, d.intercept(0), 1e-12);
        float[] p = d.predict(new float[] {10});
        assertEquals(8.2f, p[0], 1e-5f);
    }

    @Test
    void recoversAnExactAffineMapWithSeveralFeaturesAndTargets() {
        SplittableRandom rng = new SplittableRandom(3);
        int n = 200, p = 4, dims = 2;
        double[][] w = {{1.5, -2}, {0.25, 0}, {-1, 3}, {0, 0.5}};
        double[] b = {0.7, -4};
        float[] x = new float[n * p], y = new float[n * dims];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) x[r * p + i] = (float) rng.nextGaussian();
            for (int k = 0; k < dims; k++) {
                double s = b[k];
                for (int i = 0; i < p; i++) s += w[i][k] * x[r * p + i];
                y[r * dims + k] = (float) s;
            }
        }
        LinearDecoder d = LinearDecoder.fit(x, p, y, dims);
        for (int k = 0; k < dims; k++) {
            assertEquals(b[k], d.intercept(k), 1e-5);
            for (int i = 0; i < p; i++) assertEquals(w[i][k], d.weight(i, k), 1e-5, "w[" + i + "][" + k + "]");
        }
    }

    @Test
    void collinearFeaturesStillFitExactly() {
        // the second feature duplicates the first, the third is constant: X^T X is singular
        int n = 50;
        float[] x = new float[n * 3], y = new float[n];
        for (int r = 0; r < n; r++) {
            x[r * 3] = r;
            x[r * 3 + 1] = r;
            x[r * 3 + 2] = 7;
            y[r] = 2 * r + 1;
        }
        LinearDecoder d = LinearDecoder.fit(x, 3, y, 1);
        float[] pred = d.predict(x);
        for (int r = 0; r < n; r++) assertEquals(y[r], pred[r], 1e-3f);
        assertEquals(d.weight(0, 0), d.weight(1, 0), 1e-9, "minimum norm: the weight is shared equally");
        assertEquals(1.0, d.weight(0, 0), 1e-9);
    }

    @Test
    void pearsonMatchesClosedForms() {
        float[] a = {1, 2, 3, 4, 5};
        assertEquals(1.0, Pearson.column(a, new float[] {3, 5, 7, 9, 11}, 1, 0), 1e-12);
        assertEquals(-1.0, Pearson.column(a, new float[] {5, 4, 3, 2, 1}, 1, 0), 1e-12);
        // (2, 4, 5, 4, 5): Sxy = 6, Sxx = 10, Syy = 6 -> r = 6 / sqrt(60)
        assertEquals(6 / Math.sqrt(60), Pearson.column(a, new float[] {2, 4, 5, 4, 5}, 1, 0), 1e-12);
        assertEquals(0.0, Pearson.column(a, new float[] {3, 3, 3, 3, 3}, 1, 0), 0, "constant: 0 by convention");
        // two dimensions interleaved [n, 2]: the mean of 1 and -1
        float[] two = {1, 5, 2, 4, 3, 3, 4, 2, 5, 1};
        float[] ref = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
        assertEquals(0.0, Pearson.meanOverDims(two, ref, 2), 1e-12);
        assertEquals(1.0, Pearson.column(two, ref, 2, 0), 1e-12);
        assertEquals(-1.0, Pearson.column(two, ref, 2, 1), 1e-12);
    }

    @Test
    void symmetricEigenDecomposesAKnownMatrix() {
        // [[2, 1], [1, 2]] has eigenvalues 3 and 1 with vectors (1, 1)/sqrt2 and (1, -1)/sqrt2
        SymmetricEigen e = new SymmetricEigen(new double[][] {{2, 1}, {1, 2}});
        assertEquals(3, e.values[0], 1e-12);
        assertEquals(1, e.values[1], 1e-12);
        assertEquals(1 / Math.sqrt(2), Math.abs(e.vectors[0][0]), 1e-12);
        assertEquals(e.vectors[0][0], e.vectors[1][0], 1e-12);
        assertEquals(-e.vectors[0][1], e.vectors[1][1], 1e-12);
    }

    @Test
    void summaryIsMeanAndStandardErrorOverFolds() {
        Summary s = Summary.of(new double[] {1, 2, 3, 4, 5});
        assertEquals(3, s.mean(), 1e-12);
        assertEquals(Math.sqrt(2.5) / Math.sqrt(5), s.sem(), 1e-12);
    }

    @Test
    void foldsAreContiguousDisjointAndCoverEveryTrial() {
        Folds f = new Folds(23, 5);
        boolean[] seen = new boolean[23];
        for (int k = 0; k < 5; k++) {
            int[] test = f.test(k), train = f.train(k);
            assertEquals(23, test.length + train.length);
            for (int i = 1; i < test.length; i++) assertEquals(test[i - 1] + 1, test[i], "contiguous");
            assertEquals(k == 0 ? 4 : k == 4 ? 5 : test.length, test.length);
            for (int t : test) {
                assertEquals(false, seen[t], "trial " + t + " held out twice");
                seen[t] = true;
                for (int r : train) assertEquals(false, r == t);
            }
        }
        for (boolean s : seen) assertEquals(true, s);
    }
}
