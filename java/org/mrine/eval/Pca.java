package org.mrine.eval;

/** Principal components of rows of latents, for drawing trajectories. */
final class Pca {
    private Pca() {
    }

    /** The first {@code n} rows of x [*, p] projected on their top {@code k} principal components: [k][n]. */
    static double[][] project(float[] x, int p, int n, int k) {
        double[] mean = new double[p];
        for (int r = 0; r < n; r++) for (int i = 0; i < p; i++) mean[i] += x[r * p + i];
        for (int i = 0; i < p; i++) mean[i] /= n;
        double[][] cov = new double[p][p];
        for (int r = 0; r < n; r++) {
            for (int i = 0; i < p; i++) {
                double xi = x[r * p + i] - mean[i];
                for (int j = 0; j < p; j++) cov[i][j] += xi * (x[r * p + j] - mean[j]);
            }
        }
        SymmetricEigen eig = new SymmetricEigen(cov);
        double[][] out = new double[k][n];
        for (int c = 0; c < Math.min(k, p); c++) {
            for (int r = 0; r < n; r++) {
                double s = 0;
                for (int i = 0; i < p; i++) s += (x[r * p + i] - mean[i]) * eig.vectors[i][c];
                out[c][r] = s;
            }
        }
        return out;
    }
}
