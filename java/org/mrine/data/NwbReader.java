package org.mrine.data;

import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import org.mrine.model.Likelihood;

/**
 * Reads an NWB 2.x file (HDF5) into a {@link Recording}.
 *
 * <ul>
 *   <li>spikes: the units table's {@code spike_times}, a ragged column cut by
 *       {@code spike_times_index} (end offsets); {@code obs_intervals} (ragged the same way) say
 *       where units were recorded;</li>
 *   <li>series: {@code data} [S] or [S, C, ...] times the {@code conversion} (plus {@code offset})
 *       attributes, at {@code starting_time} + i / {@code rate} or at {@code timestamps};</li>
 *   <li>trials: {@code start_time}/{@code stop_time} of an intervals table (default
 *       /intervals/trials).</li>
 * </ul>
 * Defaults: the units table, every LFP-rate ElectricalSeries and RoiResponseSeries as modalities,
 * every SpatialSeries and series in a behavior module or container as behavior.
 */
public final class NwbReader {
    private NwbReader() {
    }

    public static Recording read(Path file, ImportOptions o) {
        try (Hdf5 h = Hdf5.open(file)) {
            NwbCatalog cat = NwbCatalog.scan(h);
            String where = h.file;

            SpikeTrains spikes = null;
            String unitsPath = o.spikes;
            if (unitsPath == null && !cat.units.isEmpty()) unitsPath = cat.units.getFirst().path();
            if (unitsPath != null && !unitsPath.equals("none")) spikes = units(h, unitsPath);

            List<Series> neural = new ArrayList<>();
            if (!o.fields.isEmpty()) {
                for (String spec : o.fields) {
                    String[] s = ImportOptions.splitLikelihood(spec);
                    NwbCatalog.Entry e = entry(h, cat, s[0]);
                    Likelihood lik = s[1] != null ? Likelihood.parse(s[1], where) : Likelihood.GAUSSIAN;
                    neural.add(series(h, e, Series.Role.NEURAL, lik));
                }
            } else {
                for (NwbCatalog.Entry e : cat.ofKind(NwbCatalog.Kind.LFP, NwbCatalog.Kind.CALCIUM)) {
                    neural.add(series(h, e, Series.Role.NEURAL, Likelihood.GAUSSIAN));
                }
            }
            List<Series> behavior = new ArrayList<>();
            List<NwbCatalog.Entry> beh = new ArrayList<>();
            if (!o.behavior.isEmpty()) for (String p : o.behavior) beh.add(entry(h, cat, p));
            else beh.addAll(cat.ofKind(NwbCatalog.Kind.BEHAVIOR));
            for (NwbCatalog.Entry e : beh) behavior.add(series(h, e, Series.Role.BEHAVIOR, Likelihood.GAUSSIAN));

            if (spikes == null && neural.isEmpty()) {
                throw new FormatException(where + ": no units table (/units) and no LFP or calcium series; expected spikes or a neural"
                        + " TimeSeries (name one with --field PATH)" + (cat.series.isEmpty() ? "" : "; series in the file: "
                        + cat.series.stream().map(NwbCatalog.Entry::path).toList()));
            }

            Intervals trials = null;
            String tablePath = o.intervals.startsWith("/") ? o.intervals : "/intervals/" + o.intervals;
            if (h.find(tablePath) != null) trials = intervals(h, tablePath);
            else if (!o.intervals.equals("trials")) {
                throw new FormatException(where + ": " + tablePath + ": no such group; expected an intervals table with start_time and stop_time");
            }
            Intervals epochs = h.find("/intervals/epochs") != null && !tablePath.equals("/intervals/epochs")
                    ? intervals(h, "/intervals/epochs") : null;

            double[] span = Recording.span(spikes, neural, behavior, trials, epochs);
            Map<String, String> info = new LinkedHashMap<>();
            info.put("format", "nwb " + nonNull(h.attrString(h.root(), "nwb_version")));
            Dataset id = h.datasetOrNull(h.root(), "identifier");
            if (id != null) info.put("identifier", h.strings(id)[0]);
            return new Recording(where, spikes, neural, behavior, trials, span[0], span[1], Double.NaN, info);
        }
    }

    private static String nonNull(String s) {
        return s == null ? "?" : s;
    }

    private static NwbCatalog.Entry entry(Hdf5 h, NwbCatalog cat, String path) {
        NwbCatalog.Entry e = cat.find(path);
        if (e == null) {
            String p = path.startsWith("/") ? path : "/" + path;
            if (h.find(p) == null) {
                throw new FormatException(h.file + ": " + p + ": no such group; expected a TimeSeries group with data and starting_time or timestamps");
            }
            throw new FormatException(h.file + ": " + p + " is not a TimeSeries; expected a group with a data dataset and starting_time (with rate) or timestamps");
        }
        return e;
    }

    // ------------------------------------------------------------------ units

    static SpikeTrains units(Hdf5 h, String path) {
        Group g = h.group(path, "a units table with spike_times and spike_times_index");
        String where = h.file + ": " + Hdf5.path(g);
        Dataset st = h.dataset(g, "spike_times", "the spike times of all units, concatenated (seconds)");
        Dataset sti = h.dataset(g, "spike_times_index", "the end offset of each unit's spike times in spike_times");
        double[] times = h.doubles(st, "spike times in seconds (float64)");
        long[] ends = offsets(h, sti, times.length, "spike_times");
        if (ends.length == 0) throw new FormatException(where + ": the units table holds no units; expected at least one unit with spike times");
        if (times.length == 0) throw new FormatException(where + ": the units table holds " + ends.length + " units but no spike times");
        double[][] perUnit = new double[ends.length][];
        for (int u = 0; u < ends.length; u++) {
            double[] t = Arrays.copyOfRange(times, (int) (u == 0 ? 0 : ends[u - 1]), (int) ends[u]);
            for (int i = 0; i < t.length; i++) {
                if (!Double.isFinite(t[i])) {
                    throw new FormatException(where + "/spike_times: unit " + u + " spike " + i + " is " + t[i] + ", expected a finite time in seconds");
                }
            }
            Arrays.sort(t); // binning needs them sorted; NWB writers normally keep them so
            perUnit[u] = t;
        }
        List<String> labels = new ArrayList<>();
        Dataset id = h.datasetOrNull(g, "id");
        double[] ids = id != null && h.isNumeric(id) ? h.doubles(id, "unit ids") : null;
        for (int u = 0; u < ends.length; u++) labels.add(ids != null && ids.length == ends.length ? "unit " + (long) ids[u] : "unit " + u);

        Intervals observed = null;
        Dataset oi = h.datasetOrNull(g, "obs_intervals");
        if (oi != null) {
            Dataset oii = h.dataset(g, "obs_intervals_index", "the end offset of each unit's rows in obs_intervals");
            double[] flat = h.doubles(oi, "observation intervals [K, 2] in seconds");
            int[] dims = h.dims(oi);
            if (dims.length != 2 || dims[1] != 2) {
                throw new FormatException(where + "/obs_intervals: shape " + Arrays.toString(dims) + ", expected [K, 2] (start, stop)");
            }
            long[] oends = offsets(h, oii, dims[0], "obs_intervals");
            if (oends.length != ends.length) {
                throw new FormatException(where + "/obs_intervals_index: " + oends.length + " rows for " + ends.length + " units; expected one per unit");
            }
            for (int u = 0; u < oends.length; u++) {
                int a = (int) (u == 0 ? 0 : oends[u - 1]), b = (int) oends[u];
                if (a == b) continue; // no intervals for this unit: no constraint
                double[] s = new double[b - a], e = new double[b - a];
                for (int k = a; k < b; k++) {
                    s[k - a] = flat[2 * k];
                    e[k - a] = flat[2 * k + 1];
                }
                Intervals unit = Intervals.of(where + "/obs_intervals", s, e);
                observed = observed == null ? unit : observed.intersect(unit);
            }
        }
        return new SpikeTrains(Hdf5.path(g), labels, perUnit, observed);
    }

    /** A VectorIndex: non-decreasing end offsets, the last equal to the target's length. */
    private static long[] offsets(Hdf5 h, Dataset index, int targetLength, String target) {
        String where = h.file + ": " + Hdf5.path(index);
        double[] v = h.doubles(index, "integer end offsets into " + target);
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (long) v[i];
            if (out[i] != v[i] || out[i] < (i == 0 ? 0 : out[i - 1]) || out[i] > targetLength) {
                throw new FormatException(where + ": entry " + i + " is " + v[i] + "; expected non-decreasing end offsets within "
                        + target + "'s " + targetLength + " elements");
            }
        }
        if (out.length > 0 && out[out.length - 1] != targetLength) {
            throw new FormatException(where + ": the last end offset is " + out[out.length - 1] + " but " + target + " holds "
                    + targetLength + " elements; expected them to match");
        }
        return out;
    }

    // ------------------------------------------------------------------ series

    static Series series(Hdf5 h, NwbCatalog.Entry e, Series.Role role, Likelihood lik) {
        Group g = h.group(e.path(), "a TimeSeries group");
        String where = h.file + ": " + e.path();
        Dataset data = h.dataset(g, "data", "the samples [S] or [S, C]");
        int S = e.samples(), C = e.channels();
        if (e.dims().length == 0 || S == 0 || C == 0) {
            throw new FormatException(where + "/data: shape " + Arrays.toString(e.dims()) + ", expected [S] or [S, C] with S, C > 0");
        }
        float[] values = h.floats(data, "numbers (the samples of " + e.type() + ")");
        // SI units: data * conversion (* channel_conversion[c], ElectricalSeries) + offset.
        Double conversion = h.attrNumber(data, "conversion"), offset = h.attrNumber(data, "offset");
        double[] perChannel = null;
        Dataset cc = h.datasetOrNull(g, "channel_conversion");
        if (cc != null) {
            perChannel = h.doubles(cc, "one conversion factor per channel");
            if (perChannel.length != C) {
                throw new FormatException(where + "/channel_conversion: " + perChannel.length + " factors for " + C + " channels; expected one per channel");
            }
        }
        if ((conversion != null && conversion != 1) || (offset != null && offset != 0) || perChannel != null) {
            double k = conversion == null ? 1 : conversion, b = offset == null ? 0 : offset;
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) (values[i] * k * (perChannel == null ? 1 : perChannel[i % C]) + b);
            }
        }
        SampleTimes times;
        Dataset ts = h.datasetOrNull(g, "timestamps");
        if (ts != null) {
            double[] t = h.doubles(ts, "timestamps in seconds (float64)");
            if (t.length != S) {
                throw new FormatException(where + "/timestamps: " + t.length + " timestamps for " + S
                        + " samples of data; expected one timestamp per sample");
            }
            times = SampleTimes.Explicit.of(t, where + "/timestamps");
        } else {
            Dataset st = h.dataset(g, "starting_time", "the time of the first sample, with a rate attribute (or timestamps)");
            double start = h.scalar(st, "the starting time in seconds");
            Double rate = h.attrNumber(st, "rate");
            if (rate == null || !(rate > 0) || rate.isInfinite()) {
                throw new FormatException(where + "/starting_time: rate attribute is " + rate + ", expected a positive sampling rate in Hz");
            }
            if (!Double.isFinite(start)) throw new FormatException(where + "/starting_time: is " + start + ", expected a finite time");
            times = new SampleTimes.Regular(start, rate, S);
        }
        String name = switch (e.kind()) {
            case LFP, RAW_EPHYS -> role == Series.Role.NEURAL ? "lfp" : e.name();
            case CALCIUM -> role == Series.Role.NEURAL ? "calcium" : e.name();
            default -> e.name();
        };
        List<String> channelNames = role == Series.Role.BEHAVIOR ? Series.axisNames(e.name(), C) : numbered(name, C);
        return new Series(name, e.path(), role, lik, lik == Likelihood.POISSON, C, values, times, channelNames, e.unit());
    }

    private static List<String> numbered(String base, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(base + "_" + i);
        return out;
    }

    // ------------------------------------------------------------------ intervals

    static Intervals intervals(Hdf5 h, String path) {
        Group g = h.group(path, "an intervals table with start_time and stop_time");
        String where = h.file + ": " + Hdf5.path(g);
        double[] start = h.doubles(h.dataset(g, "start_time", "the start of each interval (seconds)"), "start times in seconds");
        double[] stop = h.doubles(h.dataset(g, "stop_time", "the end of each interval (seconds)"), "stop times in seconds");
        Intervals checked = Intervals.of(where, start, stop);
        return new Intervals(Hdf5.path(g), checked.starts(), checked.stops());
    }
}
