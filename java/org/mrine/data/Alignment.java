package org.mrine.data;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.mrine.io.FormatException;
import org.mrine.model.Likelihood;
import org.mrine.model.ModalityNames;

/**
 * A {@link Recording} onto the common time grid, cut into trials: the {@link Dataset} the engine
 * reads. Spikes become the Poisson modality {@code spikes}; each neural series a modality under
 * its name; behavior is concatenated in order (velocities after the positions they derive from).
 *
 * <p>Trials: from the recording's trials table (each trial from its start, snapped down to the
 * grid; T = {@code --trial-ms}, else the longest trial, so a shorter trial's window runs on into
 * what was recorded after it), or consecutive windows over the recorded span ({@code --trial-ms},
 * else windows of {@value ImportOptions#DEFAULT_WINDOW_MS} ms, or one trial for a short recording:
 * {@link ImportOptions#defaultWindowSteps}). Windows where no modality has a
 * sample (a pause in the recording) are dropped.
 */
public final class Alignment {
    private Alignment() {
    }

    /** The dataset and what the user should know about how it was made. */
    public record Result(Dataset dataset, List<String> notes) {
    }

    public static Result align(Recording r, ImportOptions o) {
        o.validate(r.source());
        List<String> notes = new ArrayList<>();
        if (r.spikes() == null && r.neural().isEmpty()) {
            throw new FormatException(r.source() + ": no spikes and no neural series to import; expected a units table or a series to use as a modality");
        }
        if (!(r.end() > r.start())) {
            throw new FormatException(r.source() + ": the recording spans no time (from " + r.start() + " to " + r.end() + " s)");
        }
        double binMs = binMs(r, o);
        TimeGrid g = grid(r, o, binMs, notes);

        List<Series> behavior = new ArrayList<>(r.behavior());
        if (o.velocity) for (Series s : r.behavior()) behavior.add(Velocity.of(s));
        long widest = r.spikes() == null ? 0 : r.spikes().units();
        for (Series s : r.neural()) widest = Math.max(widest, s.channels());
        for (Series s : behavior) widest = Math.max(widest, s.channels());
        if ((long) g.trials() * g.steps() * widest > Integer.MAX_VALUE - 8) {
            throw new FormatException(r.source() + ": " + g.trials() + " trials × " + g.steps() + " steps × " + widest
                    + " channels is too many values for one array; use a larger --bin-ms or shorter trials");
        }

        List<ModalityData> mods = new ArrayList<>();
        Map<String, String> info = new LinkedHashMap<>(r.info());
        Set<String> taken = new HashSet<>();
        if (r.spikes() != null) {
            Intervals observed = r.spikes().observed() != null ? r.spikes().observed()
                    : new Intervals(r.source(), new double[] {r.start()}, new double[] {r.end()});
            Binner.Placed p = Binner.spikeCounts(r.spikes(), g, observed);
            String name = unique("spikes", taken);
            mods.add(new ModalityData(name, Likelihood.POISSON, p.channels(), p.values(), p.mask()));
            info.put("modality." + name, r.spikes().units() + " units from " + r.spikes().source());
        }
        for (Series s : r.neural()) {
            Binner.Placed p = Binner.series(s, g, r.source());
            String name = unique(ModalityNames.allowed(s.name()), taken);
            if (!name.equals(s.name())) {
                notes.add("modality '" + s.name() + "' is named '" + name + "' (" + (ModalityNames.problem(s.name()) != null
                        ? ModalityNames.problem(s.name()) : "the name was taken") + ")");
            }
            mods.add(new ModalityData(name, s.likelihood(), p.channels(), p.values(), p.mask()));
            info.put("modality." + name, s.channels() + " channels from " + s.source() + ", sample period " + Text.num(s.times().period() * 1000) + " ms");
        }

        List<float[]> behValues = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Series s : behavior) {
            Binner.Placed p = Binner.behavior(s, g, r.source());
            behValues.add(p.values());
            names.addAll(s.channelNames());
            if (p.held() > 0) {
                notes.add(String.format(Locale.ROOT, "behavior %s: %d of %d steps had no sample and hold the previous value",
                        s.name(), p.held(), (long) g.trials() * g.steps()));
            }
            info.put("behavior." + s.name(), s.source());
        }
        int D = names.size();
        float[] beh = interleave(behValues, behavior, g.trials() * g.steps(), D);

        // Drop windows where no modality has a sample (e.g. a pause in the recording).
        List<Integer> keep = new ArrayList<>();
        for (int b = 0; b < g.trials(); b++) {
            boolean any = false;
            for (ModalityData m : mods) for (int j = 0; j < g.steps() && !any; j++) any = m.mask()[b * g.steps() + j] != 0;
            if (any) keep.add(b);
        }
        if (keep.isEmpty()) {
            throw new FormatException(r.source() + ": no trial window holds any sample of any modality; check the trials table and --bin-ms");
        }
        info.put("trials", g.description());
        info.put("source", r.source());
        Dataset d = new Dataset(mods, g.trials(), g.steps(), beh, D, names, binMs, info);
        if (keep.size() < g.trials()) {
            notes.add((g.trials() - keep.size()) + " of " + g.trials() + " windows held no sample and were dropped");
            d = d.subset(keep.stream().mapToInt(Integer::intValue).toArray());
        }
        // the same checks as a dataset file gets when it is read
        return new Result(d.withSource(r.source()).validate(r.source() + " (as imported)"), notes);
    }

    /** Trial windows on the grid from the trials table, or consecutive windows over the span. */
    /**
     * The bin width: the user's; else for a file of rows their spacing, or the smallest whole
     * multiple of it that reaches the default {@value ImportOptions#DEFAULT_BIN_MS} ms (1 ms rows
     * give 10 ms bins); else the default.
     */
    static double binMs(Recording r, ImportOptions o) {
        if (o.binMs != null) return o.binMs;
        if (Double.isNaN(r.rowMs())) return ImportOptions.DEFAULT_BIN_MS;
        double row = Double.parseDouble(String.format(Locale.ROOT, "%.9g", r.rowMs())); // median timestamp steps carry rounding noise
        if (row >= ImportOptions.DEFAULT_BIN_MS) return row;
        double k = Math.ceil(ImportOptions.DEFAULT_BIN_MS / row - 1e-9);
        return Double.parseDouble(String.format(Locale.ROOT, "%.9g", k * row));
    }

    static TimeGrid grid(Recording r, ImportOptions o, double binMs, List<String> notes) {
        final double bin = binMs / 1000;
        final double origin = r.start();
        Integer fixed = null;
        if (o.trialMs != null) {
            fixed = (int) Math.min(Integer.MAX_VALUE, Math.round(o.trialMs / binMs));
            if (fixed < 1) {
                throw new FormatException(r.source() + ": --trial-ms " + Text.num(o.trialMs) + " is shorter than one bin of " + Text.num(binMs)
                        + " ms; expected a trial of at least one bin (or a smaller --bin-ms)");
            }
            if (Math.abs(fixed * binMs - o.trialMs) > 1e-9 * o.trialMs) {
                notes.add("--trial-ms " + Text.num(o.trialMs) + " is not a whole number of " + Text.num(binMs) + " ms bins: using " + fixed + " steps");
            }
        }
        Intervals trials = o.ignoreTrials ? null : r.trials();
        if (trials != null && trials.size() > 0) {
            double longest = 0;
            double[] starts = new double[trials.size()];
            for (int i = 0; i < starts.length; i++) {
                longest = Math.max(longest, trials.duration(i));
                starts[i] = TimeGrid.snap(origin, bin, trials.starts()[i]);
            }
            int T = fixed != null ? fixed : (int) Math.max(1, Math.ceil(longest / bin - TimeGrid.EPS));
            checkSize(r, (long) T * starts.length);
            String how = fixed != null ? "--trial-ms" : "the longest trial";
            return new TimeGrid(origin, bin, starts, T, starts.length + " trials from " + trials.source() + ", each " + T + " steps of " + Text.num(binMs) + " ms from its start (" + how + ")");
        }
        long total = TimeGrid.binsIn(r.start(), r.end(), bin);
        if (total < 1) {
            throw new FormatException(r.source() + ": the recording spans " + Text.num((r.end() - r.start()) * 1000) + " ms, less than one " + Text.num(binMs) + " ms bin");
        }
        int T;
        String how;
        if (fixed != null) {
            T = fixed;
            how = "--trial-ms";
            if (total < T) {
                throw new FormatException(r.source() + ": the recording spans " + total + " bins of " + Text.num(binMs) + " ms, shorter than one " + T + "-step --trial-ms window");
            }
        } else if (ImportOptions.defaultWindowSteps(total, binMs) == total) {
            T = (int) Math.min(total, Integer.MAX_VALUE);
            how = "the whole recording";
        } else {
            T = (int) ImportOptions.defaultWindowSteps(total, binMs);
            how = "default windows of " + (long) ImportOptions.DEFAULT_WINDOW_MS + " ms; set --trial-ms to choose";
        }
        long n = total / T;
        checkSize(r, n * T);
        double[] starts = new double[(int) n];
        for (int k = 0; k < n; k++) starts[k] = origin + (double) k * T * bin;
        if (total % T != 0) notes.add("the last " + (total % T) + " bins (less than one window) were left out");
        return new TimeGrid(origin, bin, starts, T, n + " consecutive windows of " + T + " steps of " + Text.num(binMs) + " ms from " + Text.num(origin) + " s (" + how + ")");
    }

    private static void checkSize(Recording r, long cells) {
        if (cells > 200_000_000L) {
            throw new FormatException(r.source() + ": " + cells + " (trial, step) cells is too many; use a larger --bin-ms or shorter trials");
        }
    }

    /** Behavior series [B*T, C_k] each → one [B*T, D] array, series after series. */
    private static float[] interleave(List<float[]> parts, List<Series> series, int cells, int D) {
        float[] out = new float[Math.toIntExact((long) cells * D)];
        int off = 0;
        for (int k = 0; k < parts.size(); k++) {
            int C = series.get(k).channels();
            float[] p = parts.get(k);
            for (int cell = 0; cell < cells; cell++) System.arraycopy(p, cell * C, out, cell * D + off, C);
            off += C;
        }
        return out;
    }

    private static String unique(String name, Set<String> taken) {
        String n = name;
        for (int k = 2; !taken.add(n); k++) n = name + k;
        return n;
    }
}
