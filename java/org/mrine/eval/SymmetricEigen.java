package org.mrine.eval;

/**
 * Eigen-decomposition of a small symmetric matrix by cyclic Jacobi rotations, in double: robust to
 * rank deficiency (latent dimensions the model left unused), which the least-squares decoder and
 * the principal components of the latents both meet. p is at most a few hundred.
 */
final class SymmetricEigen {
    final double[] values;   // [p], descending
    final double[][] vectors; // columns: vectors[i][k] is component i of eigenvector k

    SymmetricEigen(double[][] a) {
        final int p = a.length;
        double[][] m = new double[p][];
        for (int i = 0; i < p; i++) m[i] = a[i].clone();
        double[][] v = new double[p][p];
        for (int i = 0; i < p; i++) v[i][i] = 1;
        for (int sweep = 0; sweep < 100; sweep++) {
            double off = 0, diag = 0;
            for (int i = 0; i < p; i++) {
                diag += m[i][i] * m[i][i];
                for (int j = i + 1; j < p; j++) off += m[i][j] * m[i][j];
            }
            if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
            for (int i = 0; i < p; i++) {
                for (int j = i + 1; j < p; j++) {
                    if (m[i][j] == 0) continue;
                    // rotation that zeroes m[i][j] (Golub & Van Loan, symmetric Schur)
                    double theta = (m[j][j] - m[i][i]) / (2 * m[i][j]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < p; k++) {
                        double mki = m[k][i], mkj = m[k][j];
                        m[k][i] = c * mki - s * mkj;
                        m[k][j] = s * mki + c * mkj;
                    }
                    for (int k = 0; k < p; k++) {
                        double mik = m[i][k], mjk = m[j][k];
                        m[i][k] = c * mik - s * mjk;
                        m[j][k] = s * mik + c * mjk;
                    }
                    for (int k = 0; k < p; k++) {
                        double vki = v[k][i], vkj = v[k][j];
                        v[k][i] = c * vki - s * vkj;
                        v[k][j] = s * vki + c * vkj;
                    }
                }
            }
        }
        Integer[] order = new Integer[p];
        for (int i = 0; i < p; i++) order[i] = i;
        java.util.Arrays.sort(order, (x, y) -> Double.compare(m[y][y], m[x][x]));
        values = new double[p];
        vectors = new double[p][p];
        for (int k = 0; k < p; k++) {
            values[k] = m[order[k]][order[k]];
            for (int i = 0; i < p; i++) vectors[i][k] = v[i][order[k]];
        }
    }
}
