package org.mrine.data;

import org.mrine.io.FormatException;

/**
 * Puts spike times and sampled series on the trials of a {@link TimeGrid}, without
 * interpolation: a step holds what falls inside its bin, its mask says whether anything did.
 *
 * <ul>
 *   <li>spike times: counts per bin; mask 1 where the bin's centre lies in the observed span;</li>
 *   <li>count series (binned spikes at a finer or equal bin): summed; mask 1 where the bin holds
 *       all of its samples (bin / sample period of them), so a partly covered bin is missing, not low;</li>
 *   <li>continuous series: the mean of the samples in the bin (one sample for a slower series);
 *       mask 1 where there is one; samples with a NaN are missing;</li>
 *   <li>behavior (no mask in a dataset): as continuous, and a bin without a sample holds the last
 *       earlier value (zero-order hold, causal), or the first later one before any exists.</li>
 * </ul>
 */
final class Binner {
    private Binner() {
    }

    /** values [B, T, C] row-major, mask [B, T]; {@code held} counts behavior bins filled by the hold. */
    record Placed(float[] values, float[] mask, int channels, long held) {
    }

    /** Spike counts of every unit [B, T, N]; {@code observed} says where units were recorded. */
    static Placed spikeCounts(SpikeTrains st, TimeGrid g, Intervals observed) {
        final int B = g.trials(), T = g.steps(), N = st.units();
        final double bin = g.binSec();
        float[] values = new float[Math.toIntExact((long) B * T * N)];
        float[] mask = new float[B * T];
        Intervals obs = observed.merged();
        for (int b = 0; b < B; b++) {
            double s = g.start(b);
            for (int j = 0; j < T; j++) mask[b * T + j] = inside(obs, s + (j + 0.5) * bin) ? 1 : 0;
            for (int n = 0; n < N; n++) {
                double[] t = st.times()[n];
                for (int i = lowerBound(t, s - bin); i < t.length; i++) {
                    double j = TimeGrid.stepOf(t[i], s, bin);
                    if (j >= T) break;
                    if (j < 0) continue;
                    int cell = b * T + (int) j;
                    if (mask[cell] != 0) values[cell * N + n] += 1;
                }
            }
        }
        return new Placed(values, mask, N, 0);
    }

    /** A neural series on the grid: counts summed (complete bins only), continuous values averaged. */
    static Placed series(Series x, TimeGrid g, String where) {
        final int B = g.trials(), T = g.steps(), C = x.channels();
        float[] values = new float[Math.toIntExact((long) B * T * C)];
        float[] mask = new float[B * T];
        double[] sum = new double[T * C];
        int[] n = new int[T];
        long perBin = x.counts() ? samplesPerBin(x, g.binSec(), where) : 1;
        for (int b = 0; b < B; b++) {
            accumulate(x, g, b, sum, n);
            for (int j = 0; j < T; j++) {
                int cell = b * T + j;
                boolean present = x.counts() ? n[j] >= perBin : n[j] > 0;
                if (!present) continue;
                mask[cell] = 1;
                for (int c = 0; c < C; c++) values[cell * C + c] = (float) (x.counts() ? sum[j * C + c] : sum[j * C + c] / n[j]);
            }
        }
        return new Placed(values, mask, C, 0);
    }

    /** A behavior series on the grid, every step filled (mean in the bin, else zero-order hold). */
    static Placed behavior(Series x, TimeGrid g, String where) {
        final int B = g.trials(), T = g.steps(), C = x.channels();
        float[] values = new float[Math.toIntExact((long) B * T * C)];
        float[] mask = new float[B * T];
        double[] sum = new double[T * C];
        int[] n = new int[T];
        long held = 0;
        for (int b = 0; b < B; b++) {
            accumulate(x, g, b, sum, n);
            int before = x.times().firstAtOrAfter(g.start(b) - g.binSec()) - 1;
            float[] last = lastValid(x, before);
            if (last == null) last = firstValid(x, Math.max(0, before + 1), where);
            for (int j = 0; j < T; j++) {
                int cell = b * T + j;
                if (n[j] > 0) {
                    mask[cell] = 1;
                    for (int c = 0; c < C; c++) last[c] = (float) (sum[j * C + c] / n[j]);
                } else {
                    held++;
                }
                System.arraycopy(last, 0, values, cell * C, C);
            }
        }
        return new Placed(values, mask, C, held);
    }

    /** Sums and counts the complete (NaN-free) samples of trial b into sum [T, C] and n [T]. */
    private static void accumulate(Series x, TimeGrid g, int b, double[] sum, int[] n) {
        final int T = g.steps(), C = x.channels();
        final double s = g.start(b), bin = g.binSec();
        java.util.Arrays.fill(sum, 0);
        java.util.Arrays.fill(n, 0);
        SampleTimes times = x.times();
        float[] v = x.values();
        for (int i = times.firstAtOrAfter(s - bin); i < times.count(); i++) {
            double j = TimeGrid.stepOf(times.time(i), s, bin);
            if (j >= T) break;
            if (j < 0 || hasNaN(v, i * C, C)) continue;
            int k = (int) j;
            n[k]++;
            for (int c = 0; c < C; c++) sum[k * C + c] += v[i * C + c];
        }
    }

    /** How many samples of a count series make one bin; the bin must be a whole multiple of its period. */
    static long samplesPerBin(Series x, double binSec, String where) {
        double ratio = binSec / x.times().period();
        long m = Math.round(ratio);
        if (m < 1 || Math.abs(ratio - m) > 1e-3 * Math.max(1, ratio)) {
            throw new FormatException(where + ": " + x.source() + " holds counts per " + ms(x.times().period())
                    + " ms; the bin width (" + ms(binSec) + " ms) must be a whole multiple of that (counts cannot be split)");
        }
        return m;
    }

    private static String ms(double sec) {
        return Text.num(sec * 1000);
    }

    private static float[] lastValid(Series x, int from) {
        final int C = x.channels();
        for (int i = from; i >= 0; i--) {
            if (!hasNaN(x.values(), i * C, C)) return java.util.Arrays.copyOfRange(x.values(), i * C, i * C + C);
        }
        return null;
    }

    private static float[] firstValid(Series x, int from, String where) {
        final int C = x.channels();
        for (int k = 0; k < 2; k++) { // from the window on, then from the start of the series
            for (int i = k == 0 ? from : 0; i < x.samples(); i++) {
                if (!hasNaN(x.values(), i * C, C)) return java.util.Arrays.copyOfRange(x.values(), i * C, i * C + C);
            }
        }
        throw new FormatException(where + ": behavior " + x.source() + " has no sample without NaN; expected at least one value");
    }

    /** Whether t lies in one of the sorted, disjoint intervals. */
    private static boolean inside(Intervals merged, double t) {
        int k = lowerBound(merged.starts(), t);
        if (k < merged.size() && merged.starts()[k] == t) return true;
        return k > 0 && t < merged.stops()[k - 1];
    }

    static boolean hasNaN(float[] v, int off, int len) {
        for (int c = 0; c < len; c++) if (Float.isNaN(v[off + c])) return true;
        return false;
    }

    static int lowerBound(double[] t, double x) {
        int lo = 0, hi = t.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] < x) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
