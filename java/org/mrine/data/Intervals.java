package org.mrine.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.mrine.io.FormatException;

/** Time intervals [start, stop) in seconds: trials, epochs, observation intervals. */
public record Intervals(String source, double[] starts, double[] stops) {

    public Intervals {
        if (starts.length != stops.length) {
            throw new IllegalArgumentException(source + ": " + starts.length + " starts for " + stops.length + " stops");
        }
    }

    /** Checked: finite, stop >= start; {@code where} names file and table for the error. */
    public static Intervals of(String where, double[] starts, double[] stops) {
        if (starts.length != stops.length) {
            throw new FormatException(where + ": " + starts.length + " start times but " + stops.length
                    + " stop times; expected one of each per row");
        }
        for (int i = 0; i < starts.length; i++) {
            if (!Double.isFinite(starts[i]) || !Double.isFinite(stops[i]) || stops[i] < starts[i]) {
                throw new FormatException(where + ": row " + i + " is [" + starts[i] + ", " + stops[i]
                        + "], expected finite times with start <= stop");
            }
        }
        return new Intervals(where, starts, stops);
    }

    public int size() {
        return starts.length;
    }

    public double duration(int i) {
        return stops[i] - starts[i];
    }

    public boolean contains(double t) {
        for (int i = 0; i < starts.length; i++) if (t >= starts[i] && t < stops[i]) return true;
        return false;
    }

    /** The times covered by both: the intersection of two unions of intervals, sorted and merged. */
    public Intervals intersect(Intervals other) {
        Intervals a = merged(), b = other.merged();
        List<double[]> out = new ArrayList<>();
        int i = 0, j = 0;
        while (i < a.size() && j < b.size()) {
            double lo = Math.max(a.starts[i], b.starts[j]), hi = Math.min(a.stops[i], b.stops[j]);
            if (lo < hi) out.add(new double[] {lo, hi});
            if (a.stops[i] < b.stops[j]) i++;
            else j++;
        }
        return fromPairs(source, out);
    }

    /** Sorted by start, overlapping intervals joined. */
    public Intervals merged() {
        Integer[] order = new Integer[size()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (x, y) -> Double.compare(starts[x], starts[y]));
        List<double[]> out = new ArrayList<>();
        for (int k : order) {
            if (!out.isEmpty() && starts[k] <= out.getLast()[1]) out.getLast()[1] = Math.max(out.getLast()[1], stops[k]);
            else out.add(new double[] {starts[k], stops[k]});
        }
        return fromPairs(source, out);
    }

    private static Intervals fromPairs(String source, List<double[]> pairs) {
        double[] s = new double[pairs.size()], e = new double[pairs.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = pairs.get(i)[0];
            e[i] = pairs.get(i)[1];
        }
        return new Intervals(source, s, e);
    }
}
