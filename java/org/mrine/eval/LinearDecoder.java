package org.mrine.eval;

/**
 * Ordinary least squares with intercept from features x [n, p] to targets y [n, D]:
 *
 * <pre>
 * W = pinv(Xc^T Xc) Xc^T Yc,  b = mean(y) - W^T mean(x)      (Xc, Yc centered)
 * </pre>
 * in double. The pseudo-inverse (eigenvalues below 1e-12 of the largest dropped) gives the
 * minimum-norm solution when features are collinear, e.g. latent dimensions a model left unused;
 * with full-rank features it is the ordinary least-squares solution.
 */
public final class LinearDecoder {
    private final int p, d;
    private final double[][] weights; // [p][D]
    private final double[] intercept; // [D]

    private LinearDecoder(double[][] weights, double[] intercept) {
        this.p = weights.length;
        this.d = intercept.length;
        this.weights = weights;
        this.intercept = intercept;
    }

    /** Fits on rows of x [n*p] and y [n*D]. */
    public static LinearDecoder fit(float[] x, int p, float[] y, int dims) {
        final int n = x.length / p;
        if (y.length != (long) n * dims) throw new IllegalArgumentException("OLS: " + n + " feature rows but " + y.length / dims + " target rows");
        if (n == 0) throw new IllegalArgumentException("OLS: no rows to fit");
        double[] mx = new double[p], my = new double[dims];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) mx[i] += x[r * p + i];
            for (int k = 0; k < dims; k++) my[k] += y[r * dims + k];
        }
        for (int i = 0; i < p; i++) mx[i] /= n;
        for (int k = 0; k < dims; k++) my[k] /= n;
        double[][] xtx = new double[p][p], xty = new double[p][dims];
        double[] xc = new double[p];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) xc[i] = x[r * p + i] - mx[i];
            for (int i = 0; i < p; i++) {
                double xi = xc[i];
                if (xi == 0) continue;
                double[] row = xtx[i];
                for (int j = i; j < p; j++) row[j] += xi * xc[j];
                for (int k = 0; k < dims; k++) xty[i][k] += xi * (y[r * dims + k] - my[k]);
            }
        }
        for (int i = 0; i < p; i++) for (int j = 0; j < i; j++) xtx[i][j] = xtx[j][i];
        SymmetricEigen eig = new SymmetricEigen(xtx);
        double cutoff = 1e-12 * Math.max(eig.values[0], 0);
        double[][] w = new double[p][dims];
        for (int e = 0; e < p; e++) {
            double lambda = eig.values[e];
            if (!(lambda > cutoff) || lambda <= 0) continue;
            for (int k = 0; k < dims; k++) {
                double proj = 0; // v_e^T X^T y_k
                for (int i = 0; i < p; i++) proj += eig.vectors[i][e] * xty[i][k];
                double coef = proj / lambda;
                for (int i = 0; i < p; i++) w[i][k] += eig.vectors[i][e] * coef;
            }
        }
        double[] b = my.clone();
        for (int k = 0; k < dims; k++) for (int i = 0; i < p; i++) b[k] -= w[i][k] * mx[i];
        return new LinearDecoder(w, b);
    }

    /** Predictions [n*D] for rows of x [n*p]. */
    public float[] predict(float[] x) {
        final int n = x.length / p;
        float[] out = new float[n * d];
        for (int r = 0; r < n; r++) {
            for (int k = 0; k < d; k++) {
                double s = intercept[k];
                for (int i = 0; i < p; i++) s += weights[i][k] * x[r * p + i];
                out[r * d + k] = (float) s;
            }
        }
        return out;
    }

    public double weight(int feature, int target) {
        return weights[feature][target];
    }

    public double intercept(int target) {
        return intercept[target];
    }
}
