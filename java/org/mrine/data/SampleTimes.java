package org.mrine.data;

import org.mrine.io.FormatException;

/**
 * When the samples of a series were taken, in seconds: a regular rate from a starting time (NWB
 * {@code starting_time} + {@code rate}) or one timestamp per sample (NWB {@code timestamps}).
 */
public sealed interface SampleTimes {

    /** Number of samples S. */
    int count();

    /** Time of sample {@code i} in seconds. */
    double time(int i);

    /** The first sample index whose time is at or after {@code t}; {@link #count()} when none. */
    int firstAtOrAfter(double t);

    /** Typical spacing of samples in seconds (1/rate, or the median timestamp difference). */
    double period();

    /** Time of the first sample (NaN when there are none). */
    default double start() {
        return count() == 0 ? Double.NaN : time(0);
    }

    /** End of the covered span: one period after the last sample. */
    default double end() {
        return count() == 0 ? Double.NaN : time(count() - 1) + period();
    }

    /** Samples at {@code start + i / rate}. */
    record Regular(double startTime, double rate, int count) implements SampleTimes {
        public Regular {
            if (!(rate > 0) || Double.isInfinite(rate)) throw new IllegalArgumentException("rate must be positive, got " + rate);
            if (!Double.isFinite(startTime)) throw new IllegalArgumentException("starting time must be finite, got " + startTime);
            if (count < 0) throw new IllegalArgumentException("negative sample count " + count);
        }

        @Override
        public double time(int i) {
            return startTime + i / rate;
        }

        @Override
        public int firstAtOrAfter(double t) {
            double i = Math.ceil((t - startTime) * rate - 1e-9);
            if (i <= 0) return 0;
            return i >= count ? count : (int) i;
        }

        @Override
        public double period() {
            return 1 / rate;
        }
    }

    /** One strictly increasing timestamp per sample. */
    record Explicit(double[] times, double period) implements SampleTimes {

        @Override
        public int count() {
            return times.length;
        }

        @Override
        public double time(int i) {
            return times[i];
        }

        @Override
        public int firstAtOrAfter(double t) {
            int lo = 0, hi = times.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (times[mid] < t) lo = mid + 1;
                else hi = mid;
            }
            return lo;
        }

        /**
         * Checks that {@code times} are finite and strictly increasing and takes the median
         * difference as the period; {@code where} names the file and path for the error.
         */
        public static Explicit of(double[] times, String where) {
            for (int i = 0; i < times.length; i++) {
                if (!Double.isFinite(times[i])) {
                    throw new FormatException(where + ": timestamp " + i + " is " + times[i] + ", expected a finite time in seconds");
                }
                if (i > 0 && times[i] <= times[i - 1]) {
                    throw new FormatException(where + ": timestamps are not increasing at index " + i + " (" + times[i]
                            + " after " + times[i - 1] + "); expected strictly increasing times in seconds");
                }
            }
            return new Explicit(times, medianStep(times));
        }

        private static double medianStep(double[] t) {
            if (t.length < 2) return 1;
            double[] d = new double[t.length - 1];
            for (int i = 1; i < t.length; i++) d[i - 1] = t[i] - t[i - 1];
            java.util.Arrays.sort(d);
            return d[d.length / 2];
        }
    }
}
