package org.mrine.eval;

/** Pearson correlation coefficients, accumulated in double. */
public final class Pearson {
    private Pearson() {
    }

    /**
     * Correlation of column {@code k} of a [n, D] with column {@code k} of b [n, D]; 0 when either
     * column is constant (no linear relation can be measured, and a constant decoder earns nothing).
     */
    public static double column(float[] a, float[] b, int dims, int k) {
        final int n = a.length / dims;
        double ma = 0, mb = 0;
        for (int r = 0; r < n; r++) {
            ma += a[r * dims + k];
            mb += b[r * dims + k];
        }
        ma /= n;
        mb /= n;
        double sab = 0, saa = 0, sbb = 0;
        for (int r = 0; r < n; r++) {
            double x = a[r * dims + k] - ma, y = b[r * dims + k] - mb;
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
    }

    /** Per-dimension correlations averaged over the D dimensions. */
    public static double meanOverDims(float[] a, float[] b, int dims) {
        if (a.length != b.length) throw new IllegalArgumentException("correlation of " + a.length + " with " + b.length + " values");
        double s = 0;
        for (int k = 0; k < dims; k++) s += column(a, b, dims, k);
        return s / dims;
    }
}
