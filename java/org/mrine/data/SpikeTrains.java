package org.mrine.data;

import java.util.List;

/**
 * Spike times of N units in seconds, each unit's sorted ascending.
 *
 * @param observed where every unit was recorded (NWB {@code obs_intervals}, intersected over
 *                 units); null when the file does not say, then the whole recording counts
 */
public record SpikeTrains(String source, List<String> unitLabels, double[][] times, Intervals observed) {

    public SpikeTrains {
        unitLabels = List.copyOf(unitLabels);
        if (unitLabels.size() != times.length) {
            throw new IllegalArgumentException(source + ": " + unitLabels.size() + " labels for " + times.length + " units");
        }
    }

    public int units() {
        return times.length;
    }

    public long totalSpikes() {
        long n = 0;
        for (double[] t : times) n += t.length;
        return n;
    }

    /** Earliest spike time (NaN when there are no spikes). */
    public double first() {
        double m = Double.NaN;
        for (double[] t : times) if (t.length > 0 && !(t[0] >= m)) m = t[0];
        return m;
    }

    /** Latest spike time (NaN when there are no spikes). */
    public double last() {
        double m = Double.NaN;
        for (double[] t : times) if (t.length > 0 && !(t[t.length - 1] <= m)) m = t[t.length - 1];
        return m;
    }
}
