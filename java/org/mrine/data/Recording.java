package org.mrine.data;

import java.util.List;
import java.util.Map;

/**
 * What an importer read from a file, in the file's own time (seconds), before anything is binned:
 * spike trains, neural series, behavior series and optionally a trials table.
 *
 * @param spikes   spike times (null when the file has none or they were not asked for)
 * @param neural   continuous or count series that become modalities, in order
 * @param behavior series that become the dataset's behavior, in order
 * @param trials   the file's trials (null when it has none or it was told to ignore them)
 * @param start    start of the recorded span (seconds)
 * @param end      end of the recorded span (seconds)
 * @param rowMs    for files of binned rows (.mat, .npz, CSV): the spacing of the rows in ms, the
 *                 default bin width; NaN for files of events and series at their own rates (NWB)
 * @param info     facts to keep in the dataset's info (source file, format, ...)
 */
public record Recording(String source, SpikeTrains spikes, List<Series> neural, List<Series> behavior,
                        Intervals trials, double start, double end, double rowMs, Map<String, String> info) {

    public Recording {
        neural = List.copyOf(neural);
        behavior = List.copyOf(behavior);
        info = Map.copyOf(info);
    }

    /** The recorded span from everything the recording holds (series, spikes, observation intervals, trials). */
    public static double[] span(SpikeTrains spikes, List<Series> neural, List<Series> behavior, Intervals... tables) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (List<Series> list : List.of(neural, behavior)) {
            for (Series s : list) {
                if (s.samples() == 0) continue;
                lo = Math.min(lo, s.times().start());
                hi = Math.max(hi, s.times().end());
            }
        }
        if (spikes != null && spikes.totalSpikes() > 0) {
            lo = Math.min(lo, spikes.first());
            hi = Math.max(hi, spikes.last());
        }
        if (spikes != null && spikes.observed() != null && spikes.observed().size() > 0) {
            Intervals m = spikes.observed().merged();
            lo = Math.min(lo, m.starts()[0]);
            hi = Math.max(hi, m.stops()[m.size() - 1]);
        }
        for (Intervals t : tables) {
            if (t == null) continue;
            for (int i = 0; i < t.size(); i++) {
                lo = Math.min(lo, t.starts()[i]);
                hi = Math.max(hi, t.stops()[i]);
            }
        }
        return new double[] {lo, hi};
    }
}
