package org.mrine.serve;

import org.mrine.model.Likelihood;

/**
 * The samples of each modality that fell into one bin: a Poisson modality's counts are summed,
 * a Gaussian modality's values averaged (as {@code mrine import} bins a recording); a modality
 * with no sample is missing, never interpolated. The live node and the offline replay of a
 * recording both bin through this class, in the same order, so their sums are the same bits.
 */
final class BinSums {
    private final Likelihood[] likelihood;
    private final float[][] sum;   // [M][N_m]
    private final int[] count;     // [M]
    long bin = Long.MIN_VALUE;

    BinSums(Likelihood[] likelihood, int[] channels) {
        this.likelihood = likelihood;
        sum = new float[channels.length][];
        for (int m = 0; m < channels.length; m++) sum[m] = new float[channels[m]];
        count = new int[channels.length];
    }

    void add(int m, float[] values) {
        float[] s = sum[m];
        for (int c = 0; c < s.length; c++) s[c] += values[c];
        count[m]++;
    }

    /** Fills out[m] with modality m's sample of this bin (written into buffers[m]), or null when none arrived; then clears. */
    void take(float[][] out, float[][] buffers) {
        for (int m = 0; m < sum.length; m++) {
            if (count[m] == 0) {
                out[m] = null;
                continue;
            }
            float[] s = sum[m], b = buffers[m];
            if (likelihood[m] == Likelihood.POISSON || count[m] == 1) {
                System.arraycopy(s, 0, b, 0, s.length);
            } else {
                float n = count[m];
                for (int c = 0; c < s.length; c++) b[c] = s[c] / n;
            }
            out[m] = b;
        }
        clear();
    }

    int count(int m) {
        return count[m];
    }

    void clear() {
        for (int m = 0; m < sum.length; m++) {
            if (count[m] != 0) java.util.Arrays.fill(sum[m], 0f);
            count[m] = 0;
        }
        bin = Long.MIN_VALUE;
    }
}
