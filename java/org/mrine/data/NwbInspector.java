package org.mrine.data;

import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code mrine inspect} for NWB files: units, series, intervals, and what an import would take. */
final class NwbInspector {
    private NwbInspector() {
    }

    static String describe(Path file) {
        StringBuilder out = new StringBuilder();
        try (Hdf5 h = Hdf5.open(file)) {
            NwbCatalog cat = NwbCatalog.scan(h);
            String version = h.attrString(h.root(), "nwb_version");
            out.append(file.getFileName()).append(": ").append(version == null ? "HDF5 (no nwb_version attribute)" : "NWB " + version);
            String id = rootString(h, "identifier"), start = rootString(h, "session_start_time"), desc = rootString(h, "session_description");
            if (id != null) out.append(", identifier ").append(id);
            out.append('\n');
            if (start != null) out.append("  session start ").append(start).append('\n');
            if (desc != null && !desc.isBlank()) out.append("  description: ").append(desc).append('\n');

            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            out.append('\n');
            if (cat.units.isEmpty()) out.append("units: none\n");
            for (NwbCatalog.Table t : cat.units) {
                double[] span = units(h, t, out);
                lo = Math.min(lo, span[0]);
                hi = Math.max(hi, span[1]);
            }

            out.append('\n');
            if (cat.series.isEmpty()) out.append("time series: none\n");
            else out.append("time series (").append(cat.series.size()).append("):\n");
            for (NwbCatalog.Entry e : cat.series) {
                double[] span = series(h, e, out);
                lo = Math.min(lo, span[0]);
                hi = Math.max(hi, span[1]);
            }

            out.append('\n');
            if (cat.intervals.isEmpty()) out.append("intervals: none\n");
            for (NwbCatalog.Table t : cat.intervals) {
                double[] span = intervals(h, t, out);
                lo = Math.min(lo, span[0]);
                hi = Math.max(hi, span[1]);
            }
            if (lo < hi) out.append("\nrecorded span: ").append(Text.num(lo)).append(" to ").append(Text.num(hi)).append(" s, ")
                    .append(Text.duration(hi - lo)).append('\n');
            plan(cat, h, out, hi - lo);
        }
        return out.toString();
    }

    private static String rootString(Hdf5 h, String name) {
        Dataset d = h.datasetOrNull(h.root(), name);
        if (d == null) return null;
        String[] s = h.strings(d);
        return s.length == 0 ? null : s[0];
    }

    private static double[] units(Hdf5 h, NwbCatalog.Table t, StringBuilder out) {
        SpikeTrains st;
        try {
            st = NwbReader.units(h, t.path());
        } catch (org.mrine.io.FormatException e) {
            out.append("units ").append(t.path()).append(": unreadable: ").append(e.getMessage()).append('\n');
            return new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        }
        int[] counts = new int[st.units()];
        for (int u = 0; u < counts.length; u++) counts[u] = st.times()[u].length;
        int[] sorted = counts.clone();
        Arrays.sort(sorted);
        double first = st.first(), last = st.last();
        out.append("units ").append(t.path()).append(": ").append(st.units()).append(" units, ").append(st.totalSpikes())
                .append(" spike times from ").append(Text.num(first)).append(" to ").append(Text.num(last)).append(" s\n");
        double dur = last - first;
        out.append("  spikes per unit: min ").append(sorted[0]).append(", median ").append(sorted[sorted.length / 2])
                .append(", max ").append(sorted[sorted.length - 1]);
        if (dur > 0) out.append(" (mean rate ").append(Text.short4(st.totalSpikes() / (double) st.units() / dur)).append(" Hz per unit)");
        out.append('\n');
        out.append("  columns: ").append(String.join(", ", t.columns())).append('\n');
        Group g = h.group(t.path(), "a units table");
        Dataset eg = h.datasetOrNull(g, "electrode_group");
        if (eg != null && h.typeName(eg).equals("object references")) {
            Map<String, Integer> groups = new LinkedHashMap<>();
            for (String p : h.referencePaths(eg)) groups.merge(p, 1, Integer::sum);
            List<String> parts = new ArrayList<>();
            groups.forEach((p, n) -> parts.add(p + " (" + n + (n == 1 ? " unit)" : " units)")));
            out.append("  electrode groups: ").append(String.join(", ", parts)).append('\n');
        }
        if (st.observed() != null) {
            Intervals m = st.observed().merged();
            double covered = 0;
            for (int i = 0; i < m.size(); i++) covered += m.duration(i);
            out.append("  observed (obs_intervals, all units): ").append(m.size()).append(" intervals, ").append(Text.duration(covered)).append('\n');
        }
        return new double[] {first, last};
    }

    private static double[] series(Hdf5 h, NwbCatalog.Entry e, StringBuilder out) {
        int S = e.samples(), C = e.channels();
        out.append("  ").append(e.path()).append("  ").append(e.type());
        if (!e.container().isEmpty()) out.append(" in ").append(e.container());
        out.append('\n');
        out.append("    ").append(S).append(" samples × ").append(C).append(C == 1 ? " channel" : " channels").append(", ").append(e.dtype());
        if (!e.unit().isEmpty()) out.append(", unit ").append(e.unit());
        Group g = h.group(e.path(), "a TimeSeries");
        Dataset data = h.dataset(g, "data", "samples");
        Double conv = h.attrNumber(data, "conversion");
        if (conv != null && conv != 1) out.append(" (× ").append(Text.num(conv)).append(")");
        out.append('\n');
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        if (e.rate() != null) {
            double start = e.startingTime() == null ? 0 : e.startingTime();
            lo = start;
            hi = start + S / e.rate();
            out.append("    rate ").append(Text.num(e.rate())).append(" Hz from ").append(Text.num(start)).append(" s, ")
                    .append(Text.duration(S / e.rate())).append('\n');
        } else {
            Dataset ts = h.datasetOrNull(g, "timestamps");
            try {
                double[] t = h.doubles(ts, "timestamps");
                SampleTimes.Explicit x = SampleTimes.Explicit.of(t, h.file + ": " + e.path() + "/timestamps");
                lo = x.start();
                hi = x.end();
                int gaps = 0;
                double longest = 0;
                for (int i = 1; i < t.length; i++) {
                    double d = t[i] - t[i - 1];
                    if (d > 1.5 * x.period()) {
                        gaps++;
                        longest = Math.max(longest, d);
                    }
                }
                out.append("    timestamps from ").append(Text.num(lo)).append(" to ").append(Text.num(t[t.length - 1]))
                        .append(" s, median step ").append(Text.num(x.period() * 1000)).append(" ms (")
                        .append(Text.num(1 / x.period())).append(" Hz)");
                if (gaps > 0) out.append(", ").append(gaps).append(gaps == 1 ? " gap" : " gaps").append(" (longest ").append(Text.duration(longest)).append(")");
                if (t.length != S) out.append(", but ").append(t.length).append(" timestamps for ").append(S).append(" samples!");
                out.append('\n');
            } catch (org.mrine.io.FormatException ex) {
                out.append("    timestamps unusable: ").append(ex.getMessage()).append('\n');
            }
        }
        out.append("    → ").append(switch (e.kind()) {
            case LFP -> "a Gaussian modality (field potential)";
            case CALCIUM -> "a Gaussian modality (calcium)";
            case BEHAVIOR -> "behavior";
            case RAW_EPHYS -> "not imported by default (raw rate; name it with --field to import)";
            case IMAGE -> "not imported (images)";
            case OTHER -> "not imported by default (name it with --field or --behavior)";
        }).append('\n');
        return new double[] {lo, hi};
    }

    private static double[] intervals(Hdf5 h, NwbCatalog.Table t, StringBuilder out) {
        out.append("intervals ").append(t.path()).append(": ");
        try {
            Intervals iv = NwbReader.intervals(h, t.path());
            out.append(iv.size()).append(iv.size() == 1 ? " row" : " rows");
            if (iv.size() > 0) {
                double[] d = new double[iv.size()];
                for (int i = 0; i < d.length; i++) d[i] = iv.duration(i);
                Arrays.sort(d);
                out.append(", durations ").append(d.length == 1 ? Text.duration(d[0])
                        : "min " + Text.duration(d[0]) + ", median " + Text.duration(d[d.length / 2]) + ", max " + Text.duration(d[d.length - 1]));
            }
            out.append("; columns ").append(String.join(", ", t.columns())).append('\n');
            double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < iv.size(); i++) {
                lo = Math.min(lo, iv.starts()[i]);
                hi = Math.max(hi, iv.stops()[i]);
            }
            return new double[] {lo, hi};
        } catch (org.mrine.io.FormatException e) {
            out.append("unreadable: ").append(e.getMessage()).append('\n');
            return new double[] {Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY};
        }
    }

    private static void plan(NwbCatalog cat, Hdf5 h, StringBuilder out, double span) {
        List<String> mods = new ArrayList<>(), beh = new ArrayList<>();
        if (!cat.units.isEmpty()) mods.add("spikes (poisson) from " + cat.units.getFirst().path());
        for (NwbCatalog.Entry e : cat.ofKind(NwbCatalog.Kind.LFP, NwbCatalog.Kind.CALCIUM)) {
            mods.add((e.kind() == NwbCatalog.Kind.LFP ? "lfp" : "calcium") + " (gaussian) from " + e.path());
        }
        for (NwbCatalog.Entry e : cat.ofKind(NwbCatalog.Kind.BEHAVIOR)) beh.add(e.path());
        out.append("\nmrine import defaults (--bin-ms ").append(Text.num(ImportOptions.DEFAULT_BIN_MS)).append("):\n");
        out.append("  modalities: ").append(mods.isEmpty() ? "none (name a series with --field PATH)" : String.join("; ", mods)).append('\n');
        out.append("  behavior: ").append(beh.isEmpty() ? "none in the file" : String.join("; ", beh)).append('\n');
        boolean trials = h.find("/intervals/trials") != null;
        if (trials) {
            out.append("  trials: /intervals/trials, each as long as the longest trial (or --trial-ms)\n");
        } else {
            long bins = (long) Math.floor(span / (ImportOptions.DEFAULT_BIN_MS / 1000) + 1e-6);
            out.append("  trials: no /intervals/trials table: ");
            if (ImportOptions.defaultWindowSteps(bins, ImportOptions.DEFAULT_BIN_MS) == bins) {
                out.append("the whole recording as one trial (or --trial-ms)\n");
            } else {
                out.append("consecutive windows of ").append(Text.num(ImportOptions.DEFAULT_WINDOW_MS / 1000)).append(" s (set --trial-ms)\n");
            }
        }
    }
}
