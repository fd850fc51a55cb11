package org.mrine.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** A figure over repeats: its median and how far the repeats spread, as benchmark JSON reports them. */
public final class Stats {
    private Stats() {
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /** Linear-interpolated quantile q in [0, 1]. */
    /**
     * The q-quantile of latencies in ascending nanoseconds, in microseconds: the element at
     * floor(n q), the last one for q = 1 (so 0.5 is the upper median, 1 the maximum).
     */
    public static double sortedUs(long[] sortedNanos, double q) {
        int n = sortedNanos.length;
        return sortedNanos[Math.min(n - 1, (int) (n * q))] / 1e3;
    }

    public static double quantile(double[] v, double q) {
        double[] s = v.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int) Math.floor(pos), hi = (int) Math.ceil(pos);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /**
     * {median, min, q1, q3, max, spread, repeats, samples}: spread is (max - min) / median, the
     * swing a reader would see between the best and the worst repeat.
     */
    public static Map<String, Object> summary(double[] v, int decimals) {
        Map<String, Object> m = new LinkedHashMap<>();
        double med = median(v);
        m.put("median", round(med, decimals));
        m.put("min", round(Arrays.stream(v).min().orElse(Double.NaN), decimals));
        m.put("q1", round(quantile(v, 0.25), decimals));
        m.put("q3", round(quantile(v, 0.75), decimals));
        m.put("max", round(Arrays.stream(v).max().orElse(Double.NaN), decimals));
        m.put("spread", round((Arrays.stream(v).max().orElse(0) - Arrays.stream(v).min().orElse(0)) / med, 3));
        m.put("repeats", v.length);
        java.util.List<Double> rounded = new java.util.ArrayList<>();
        for (double x : v) rounded.add(round(x, decimals));
        m.put("samples", rounded);
        return m;
    }

    public static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }
}
