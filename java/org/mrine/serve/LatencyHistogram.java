package org.mrine.serve;

import java.util.Locale;

/** Latencies in 1 µs buckets up to 100 ms (the rest in one overflow bucket, with the exact maximum); no allocation per value. */
public final class LatencyHistogram {
    private final long[] counts = new long[100_001];
    private long n, max;

    public void add(long nanos) {
        long us = Math.max(0, nanos / 1000);
        counts[(int) Math.min(us, counts.length - 1)]++;
        n++;
        if (nanos > max) max = nanos;
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        n = 0;
        max = 0;
    }

    public long count() {
        return n;
    }

    /** The q-quantile in microseconds (upper edge of its bucket), 0 when empty. */
    public double quantileUs(double q) {
        if (n == 0) return 0;
        long rank = (long) Math.ceil(q * n), seen = 0;
        for (int i = 0; i < counts.length; i++) {
            seen += counts[i];
            if (seen >= Math.max(1, rank)) return i == counts.length - 1 ? maxUs() : i + 1;
        }
        return maxUs();
    }

    public double maxUs() {
        return max / 1e3;
    }

    public String summary() {
        return String.format(Locale.ROOT, "p50 %.0f us, p99 %.0f us, p99.9 %.0f us, max %.0f us over %d bins",
                quantileUs(0.5), quantileUs(0.99), quantileUs(0.999), maxUs(), n);
    }
}
