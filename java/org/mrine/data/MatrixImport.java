package org.mrine.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mrine.io.FormatException;
import org.mrine.model.Likelihood;

/**
 * Rows of binned data (.mat, .npz, CSV) into a {@link Recording}: spike counts, neural fields
 * and behavior as matrices with time on one axis (found from the lengths: the one length all
 * variables share, or stated with {@code --time-axis}), one row per sample at a fixed spacing
 * (given, or from a {@code bin_ms}/{@code dt} variable) or at the times of a timestamps
 * variable. A row with a NaN is a missing sample: a gap in a field's mask, a held behavior value.
 */
public final class MatrixImport {
    private MatrixImport() {
    }

    static final List<String> SPIKE_NAMES = List.of("spikes", "spike_counts", "counts", "binned_spikes", "S");
    static final List<String> FIELD_NAMES = List.of("lfp", "calcium", "fluorescence", "dff", "field");
    static final List<String> BEHAVIOR_NAMES = List.of("vel", "velocity", "hand_vel", "behavior", "pos", "position", "cursor_pos");
    static final List<String> TIME_NAMES = List.of("timestamp", "timestamps", "time", "times", "t", "time_s");
    static final List<String> BIN_MS_NAMES = List.of("bin_ms", "binMs", "bin_size_ms", "dt_ms");
    static final List<String> BIN_S_NAMES = List.of("dt", "bin_size", "bin_s", "binsize");

    /** A spec resolved to the arrays it names (oriented to [L, C] later, when L is known). */
    private record Block(String spec, String name, List<NumericArray> arrays) {
    }

    public static Recording read(VariableSource src, ImportOptions o) {
        o.validate(src.file());
        final String where = src.file();
        final boolean csv = src.format().equals("csv");
        Set<String> used = new HashSet<>();

        String tsName = o.timestamps != null ? o.timestamps : firstPresent(src, TIME_NAMES, csv);
        if (tsName != null) used.add(tsName);

        String spikeSpec = o.spikes;
        if (spikeSpec == null) spikeSpec = csv ? (src.matching("unit_*").isEmpty() ? null : "unit_*") : firstPresent(src, SPIKE_NAMES, false);
        if ("none".equals(spikeSpec)) spikeSpec = null;

        List<String> fieldSpecs = new ArrayList<>(o.fields);
        if (fieldSpecs.isEmpty() && !csv) {
            for (String n : FIELD_NAMES) if (src.names().contains(n)) fieldSpecs.add(n);
        }

        Block spikes = spikeSpec == null ? null : block(src, spikeSpec, "spikes", used);
        List<Block> fields = new ArrayList<>();
        List<Likelihood> fieldLik = new ArrayList<>();
        for (String spec : fieldSpecs) {
            String[] s = ImportOptions.splitLikelihood(spec);
            fields.add(block(src, s[0], null, used));
            fieldLik.add(s[1] == null ? Likelihood.GAUSSIAN : Likelihood.parse(s[1], where));
        }
        List<Block> behavior = new ArrayList<>();
        if (!o.behavior.isEmpty()) {
            for (String spec : o.behavior) behavior.add(block(src, spec, null, used));
        } else if (csv) {
            for (String n : src.names()) if (!used.contains(n) && !isBinVariable(n)) behavior.add(block(src, n, null, used));
        } else {
            String b = firstPresent(src, BEHAVIOR_NAMES, false);
            if (b != null) behavior.add(block(src, b, null, used));
        }
        if (spikes == null && fields.isEmpty()) {
            throw new FormatException(where + ": no spike counts and no field named; expected --spikes VAR or --field VAR (variables: "
                    + CsvReader.abbreviated(src.names()) + ")");
        }

        // The time axis and the common length L.
        List<Block> all = new ArrayList<>();
        if (spikes != null) all.add(spikes);
        all.addAll(fields);
        all.addAll(behavior);
        NumericArray ts = tsName == null ? null : src.read(tsName);
        int L = commonLength(all, ts, o.timeAxis, where);

        double toSec = o.timeUnit.equals("ms") ? 1e-3 : 1;
        SampleTimes times;
        double rowMs;
        if (ts != null) {
            if (ts.data().length != L) {
                throw new FormatException(where + ": timestamps " + tsName + " has " + ts.data().length + " values for " + L + " rows; expected one per row");
            }
            double[] t = ts.data().clone();
            for (int i = 0; i < t.length; i++) t[i] *= toSec;
            times = SampleTimes.Explicit.of(t, where + ": " + tsName);
            rowMs = times.period() * 1000;
        } else {
            rowMs = rowSpacingMs(src, o, where);
            times = new SampleTimes.Regular(0, 1000 / rowMs, L);
        }

        List<Series> neural = new ArrayList<>();
        Series spikeSeries = null;
        if (spikes != null) {
            spikeSeries = series(spikes, "spikes", Series.Role.NEURAL, Likelihood.POISSON, true, L, o.timeAxis, times, where);
            checkCounts(spikeSeries, where);
            neural.add(spikeSeries);
        }
        for (int k = 0; k < fields.size(); k++) {
            Likelihood lik = fieldLik.get(k);
            neural.add(series(fields.get(k), fields.get(k).name(), Series.Role.NEURAL, lik, lik == Likelihood.POISSON, L, o.timeAxis, times, where));
        }
        List<Series> beh = new ArrayList<>();
        for (Block b : behavior) beh.add(series(b, b.name(), Series.Role.BEHAVIOR, Likelihood.GAUSSIAN, false, L, o.timeAxis, times, where));

        Intervals trials = null;
        if (o.trialsVar != null) trials = trials(src.read(o.trialsVar), toSec, where);

        double[] span = Recording.span(null, neural, beh);
        Map<String, String> info = new LinkedHashMap<>();
        info.put("format", src.format());
        info.put("rows", L + (ts != null ? " rows with timestamps from " + tsName : " rows at " + Text.num(rowMs) + " ms"));
        return new Recording(where, null, neural, beh, trials, span[0], span[1], rowMs, info);
    }

    private static boolean isBinVariable(String n) {
        return BIN_MS_NAMES.contains(n) || BIN_S_NAMES.contains(n);
    }

    private static String firstPresent(VariableSource src, List<String> candidates, boolean caseInsensitive) {
        for (String c : candidates) {
            for (String n : src.names()) if (caseInsensitive ? n.equalsIgnoreCase(c) : n.equals(c)) return n;
        }
        return null;
    }

    /** The arrays a spec names (a '*' pattern may name several columns), each checked to be a vector or matrix. */
    private static Block block(VariableSource src, String spec, String name, Set<String> used) {
        List<String> names = src.matching(spec);
        if (names.isEmpty()) {
            throw new FormatException(src.file() + ": no variable " + (spec.contains("*") ? "matches '" : "'") + spec + "'"
                    + " (it holds " + CsvReader.abbreviated(src.names()) + ")");
        }
        List<NumericArray> arrays = new ArrayList<>();
        for (String n : names) {
            NumericArray a = src.read(n);
            if (a.rank() > 2 && !(a.rank() == 3 && a.shape()[2] == 1)) {
                throw new FormatException(src.file() + ": variable " + n + " is " + a.shapeText() + ", expected a vector or a matrix");
            }
            if (a.data().length == 0) throw new FormatException(src.file() + ": variable " + n + " is empty, expected samples");
            arrays.add(a);
            used.add(n);
        }
        String base = name != null ? name : spec.contains("*") ? spec.replace("*", "").replaceAll("[_.]+$", "") : spec;
        if (base.isEmpty()) base = "series";
        base = base.replace('.', '_');
        return new Block(spec, base, arrays);
    }

    /** The length of the time axis: the one length every variable shares (or the stated axis's). */
    private static int commonLength(List<Block> blocks, NumericArray ts, String axis, String where) {
        Set<Integer> common = null;
        List<String> described = new ArrayList<>();
        List<NumericArray> arrays = new ArrayList<>();
        for (Block b : blocks) arrays.addAll(b.arrays());
        if (ts != null) arrays.add(ts);
        for (NumericArray a : arrays) {
            described.add(a.name() + " " + a.shapeText());
            Set<Integer> lengths = new HashSet<>();
            int[] s = a.shape();
            if (a.rank() <= 1 || (s[0] == 1 || s[1] == 1) && a.rank() == 2) {
                lengths.add(a.data().length); // a vector, however it is stored
            } else if (axis.equals("rows")) {
                lengths.add(s[0]);
            } else if (axis.equals("cols")) {
                lengths.add(s[1]);
            } else {
                lengths.add(s[0]);
                lengths.add(s[1]);
            }
            if (common == null) common = lengths;
            else common.retainAll(lengths);
        }
        if (common == null || common.isEmpty()) {
            throw new FormatException(where + ": mismatched lengths: " + String.join(", ", described)
                    + "; expected every variable to have one common length along the time axis");
        }
        if (common.size() > 1) {
            throw new FormatException(where + ": cannot tell the time axis: " + String.join(", ", described)
                    + " share the lengths " + common + "; state --time-axis rows or cols");
        }
        return common.iterator().next();
    }

    /** The block as one series: arrays oriented [L, c], channels concatenated, NaN rows kept as NaN. */
    private static Series series(Block b, String name, Series.Role role, Likelihood lik, boolean counts, int L, String axis,
                                 SampleTimes times, String where) {
        int C = 0;
        List<double[]> oriented = new ArrayList<>();
        List<Integer> widths = new ArrayList<>();
        List<String> channelNames = new ArrayList<>();
        for (NumericArray a : b.arrays()) {
            int[] s = a.shape();
            boolean vector = a.rank() <= 1 || (a.rank() == 2 && (s[0] == 1 || s[1] == 1));
            double[] v;
            int c;
            if (vector) {
                v = a.data();
                c = 1;
            } else if ((axis.equals("cols")) || (!axis.equals("rows") && s[0] != L)) {
                c = s[0]; // time on the columns: transpose
                v = new double[a.data().length];
                for (int i = 0; i < s[0]; i++) for (int j = 0; j < s[1]; j++) v[j * s[0] + i] = a.data()[i * s[1] + j];
            } else {
                c = s[1];
                v = a.data();
            }
            if (v.length != (long) L * c) {
                throw new FormatException(where + ": variable " + a.name() + " is " + a.shapeText() + "; expected " + L + " samples on its time axis");
            }
            oriented.add(v);
            widths.add(c);
            if (b.arrays().size() > 1) channelNames.add(a.name());
            else channelNames.addAll(role == Series.Role.BEHAVIOR ? Series.axisNames(name, c) : numbered(name, c));
            C += c;
        }
        float[] values = new float[L * C];
        int off = 0;
        for (int k = 0; k < oriented.size(); k++) {
            double[] v = oriented.get(k);
            int c = widths.get(k);
            for (int i = 0; i < L; i++) for (int j = 0; j < c; j++) values[i * C + off + j] = (float) v[i * c + j];
            off += c;
        }
        String source = b.arrays().size() == 1 ? b.arrays().getFirst().name() : b.spec() + " (" + b.arrays().size() + " columns)";
        return new Series(name, source, role, lik, counts, C, values, times, channelNames, "");
    }

    private static List<String> numbered(String base, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(base + "_" + i);
        return out;
    }

    /** Spike counts must be whole numbers >= 0 (NaN marks a missing row). */
    private static void checkCounts(Series s, String where) {
        float[] v = s.values();
        for (int i = 0; i < v.length; i++) {
            if (v[i] < 0 || Float.isInfinite(v[i]) || v[i] != Math.rint(v[i]) && !Float.isNaN(v[i])) {
                throw new FormatException(where + ": spike counts " + s.source() + ": value " + v[i] + " at row " + i / s.channels()
                        + ", channel " + i % s.channels() + "; expected non-negative counts (whole numbers; NaN for a missing row)");
            }
        }
    }

    /** Whether the file says when its rows were taken: a timestamps variable or a bin width variable. */
    static boolean timesKnown(VariableSource src, ImportOptions o) {
        if ((o.timestamps != null ? o.timestamps : firstPresent(src, TIME_NAMES, src.format().equals("csv"))) != null) return true;
        return !Double.isNaN(storedRowMs(src));
    }

    /** The spacing of the rows: --sample-ms, a bin variable in the file, or --bin-ms. */
    private static double rowSpacingMs(VariableSource src, ImportOptions o, String where) {
        if (o.sampleMs != null) return o.sampleMs;
        double stored = storedRowMs(src);
        if (!Double.isNaN(stored)) return stored;
        if (o.binMs != null) return o.binMs;
        throw new FormatException(where + ": the spacing of the rows is not stored in the file (no bin_ms or dt variable) and not given;"
                + " expected --bin-ms B (mrine import: the rows are bins of B ms) or --sample-ms");
    }

    /** A bin_ms (ms) or dt (s) scalar variable, at top level or in a struct; NaN when there is none. */
    static double storedRowMs(VariableSource src) {
        for (String n : src.names()) {
            String last = n.substring(n.lastIndexOf('.') + 1);
            boolean ms = BIN_MS_NAMES.contains(last), s = BIN_S_NAMES.contains(last);
            if (!ms && !s) continue;
            NumericArray a = src.read(n);
            if (a.data().length != 1) continue;
            double v = a.data()[0] * (ms ? 1 : 1000);
            if (!(v >= 1e-6 && v <= 1e9)) {
                throw new FormatException(src.file() + ": " + n + " is " + a.data()[0] + ", expected a positive bin width in "
                        + (ms ? "ms" : "seconds"));
            }
            return v;
        }
        return Double.NaN;
    }

    /** A [K, 2] (or [2, K]) table of trial start and stop times. */
    private static Intervals trials(NumericArray a, double toSec, String where) {
        int[] s = a.shape();
        boolean rows = a.rank() == 2 && s[1] == 2, cols = a.rank() == 2 && s[0] == 2 && !rows;
        if (!rows && !cols) throw new FormatException(where + ": trials " + a.name() + " is " + a.shapeText() + ", expected K×2 (start, stop)");
        int K = rows ? s[0] : s[1];
        double[] start = new double[K], stop = new double[K];
        for (int k = 0; k < K; k++) {
            start[k] = (rows ? a.data()[2 * k] : a.data()[k]) * toSec;
            stop[k] = (rows ? a.data()[2 * k + 1] : a.data()[K + k]) * toSec;
        }
        Intervals checked = Intervals.of(where + ": " + a.name(), start, stop);
        return new Intervals(a.name(), checked.starts(), checked.stops());
    }
}
