package org.mrine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;

/**
 * {@code mrine inspect}: what a file holds, as someone about to train on it wants to see it:
 * series, rates, channel counts, durations, trials, and what {@code mrine import} would make of it.
 */
public final class Inspector {
    private Inspector() {
    }

    public static String describe(Path file) {
        return switch (Importer.Format.of(file)) {
            case NWB -> NwbInspector.describe(file);
            case SAFETENSORS -> safetensors(file);
            case NPY -> array(NpyReader.read(file), file);
            case NPZ -> {
                try (VariableSource src = NpzReader.open(file)) {
                    yield variables(src, file, "NumPy .npz archive");
                }
            }
            case MAT -> {
                try (VariableSource src = MatReader.open(file)) {
                    yield variables(src, file, "MATLAB " + src.format().substring(4) + " file");
                }
            }
            case CSV -> {
                try (CsvReader src = CsvReader.open(file)) {
                    yield csv(src, file);
                }
            }
        };
    }

    // ------------------------------------------------------------------ arrays

    private static String array(NumericArray a, Path file) {
        return file.getFileName() + ": NumPy array " + a.shapeText() + " " + a.dtype() + ", " + range(a) + "\n";
    }

    /** "range -43.1 .. 12.3, 2 NaN rows" */
    private static String range(NumericArray a) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY, sum = 0;
        for (double v : a.data()) {
            if (Double.isNaN(v)) continue;
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
            sum += v;
        }
        if (lo > hi) return "all NaN";
        StringBuilder sb = new StringBuilder("range ").append(Text.num(lo)).append(" .. ").append(Text.num(hi));
        if (integral(a)) sb.append(", sum ").append(Text.num(sum));
        int nan = a.nanRows();
        if (nan > 0) sb.append(", ").append(nan).append(" rows with NaN");
        return sb.toString();
    }

    /** Whole numbers only (counts): worth a sum. */
    private static boolean integral(NumericArray a) {
        for (double v : a.data()) if (!Double.isNaN(v) && v != Math.rint(v)) return false;
        return true;
    }

    private static String variables(VariableSource src, Path file, String kind) {
        StringBuilder out = new StringBuilder();
        out.append(file.getFileName()).append(": ").append(kind).append(", ").append(src.names().size()).append(" variables\n");
        int w = 8;
        for (String n : src.names()) w = Math.max(w, n.length());
        for (String n : src.names()) {
            out.append("  ").append(pad(n, w)).append("  ");
            try {
                NumericArray a = src.read(n);
                out.append(pad(a.shapeText() + " " + a.dtype(), 18)).append("  ").append(range(a));
            } catch (FormatException e) {
                out.append(src.summary(n)).append(" (not numeric)");
            }
            out.append('\n');
        }
        plan(src, out);
        return out.toString();
    }

    private static String csv(CsvReader src, Path file) {
        StringBuilder out = new StringBuilder();
        List<String> names = src.names();
        out.append(file.getFileName()).append(": CSV table, ").append(src.rows()).append(" rows × ").append(names.size()).append(" columns\n");
        List<String> units = src.matching("unit_*");
        int w = 8;
        for (String n : names) if (!units.contains(n)) w = Math.max(w, n.length());
        for (String n : names) {
            if (units.contains(n)) continue;
            out.append("  ").append(pad(n, w)).append("  ").append(range(src.read(n))).append('\n');
        }
        if (!units.isEmpty()) {
            double total = 0, max = 0;
            for (String u : units) {
                for (double v : src.read(u).data()) {
                    if (Double.isNaN(v)) continue;
                    total += v;
                    max = Math.max(max, v);
                }
            }
            out.append("  ").append(units.size()).append(" spike columns unit_* (").append(units.getFirst()).append(" .. ")
                    .append(units.getLast()).append("): ").append(Text.num(total)).append(" spikes in all, at most ")
                    .append(Text.num(max)).append(" per row\n");
        }
        plan(src, out);
        return out.toString();
    }

    /** What the default import makes of a file of variables, or why it needs options. */
    private static void plan(VariableSource src, StringBuilder out) {
        out.append("\nmrine import defaults:\n");
        try {
            ImportOptions o = new ImportOptions();
            boolean known = MatrixImport.timesKnown(src, o);
            if (!known) o.sampleMs = 1.0; // to show the rest of the plan
            Recording r = MatrixImport.read(src, o);
            if (known) out.append("  ").append(r.info().get("rows")).append(", ").append(Text.duration(r.end() - r.start())).append('\n');
            else out.append("  ").append(r.neural().getFirst().samples()).append(" rows; their spacing is not stored in the file:"
                    + " give it with --bin-ms B (the rows are bins of B ms)\n");
            for (Series s : r.neural()) {
                out.append("  modality ").append(s.name()).append(" (").append(s.likelihood().key).append("): ").append(s.channels())
                        .append(s.channels() == 1 ? " channel" : " channels").append(" from ").append(s.source());
                long missing = 0;
                for (int i = 0; i < s.samples(); i++) if (Binner.hasNaN(s.values(), i * s.channels(), s.channels())) missing++;
                if (missing > 0) out.append(", ").append(missing).append(" rows missing (NaN)");
                out.append('\n');
            }
            List<String> beh = new ArrayList<>();
            for (Series s : r.behavior()) beh.addAll(s.channelNames());
            out.append("  behavior: ").append(beh.isEmpty() ? "none" : String.join(", ", beh)).append('\n');
            if (known) out.append("  bin: ").append(Text.num(Alignment.binMs(r, o))).append(" ms (--bin-ms)\n");
        } catch (FormatException | IllegalArgumentException e) {
            out.append("  needs options: ").append(e.getMessage()).append('\n');
        }
    }

    private static String pad(String s, int w) {
        return s.length() >= w ? s : s + " ".repeat(w - s.length());
    }

    // ------------------------------------------------------------------ safetensors

    private static String safetensors(Path file) {
        SafeTensors.Contents c = SafeTensors.read(file);
        if (!c.metadata().containsKey(Dataset.META_KEY)) {
            StringBuilder out = new StringBuilder(file.getFileName() + ": safetensors, " + c.tensors().size() + " tensors (not a mrine dataset)\n");
            for (Map.Entry<String, HostTensor> e : c.tensors().entrySet()) {
                out.append("  ").append(e.getKey()).append("  ").append(e.getValue().shapeString()).append('\n');
            }
            if (!c.metadata().isEmpty()) out.append("  metadata keys: ").append(c.metadata().keySet()).append('\n');
            return out.toString();
        }
        Dataset d = Dataset.load(file);
        double trialSec = d.steps() * d.binMs() / 1000;
        StringBuilder out = new StringBuilder();
        out.append(file.getFileName()).append(": mrine dataset, ").append(d.trials()).append(" trials × ").append(d.steps())
                .append(" steps of ").append(Text.num(d.binMs())).append(" ms (").append(Text.duration(trialSec)).append(" per trial, ")
                .append(Text.duration(trialSec * d.trials())).append(" in all)\n");
        for (ModalityData m : d.modalities()) {
            double avail = m.availability();
            out.append("  modality ").append(m.name()).append(": ").append(m.likelihood().key).append(", ").append(m.channels())
                    .append(m.channels() == 1 ? " channel" : " channels").append(", samples at ").append(Text.num(100 * avail))
                    .append("% of steps (").append(Text.num(avail * 1000 / d.binMs())).append(" Hz)");
            double sum = 0;
            long n = 0;
            for (int cell = 0; cell < m.mask().length; cell++) {
                if (m.mask()[cell] == 0) continue;
                for (int ch = 0; ch < m.channels(); ch++) sum += m.values()[cell * m.channels() + ch];
                n += m.channels();
            }
            if (n > 0 && m.likelihood().key.equals("poisson")) {
                out.append(", mean ").append(Text.short4(sum / n)).append(" per bin (").append(Text.short4(sum / n * 1000 / d.binMs())).append(" Hz)");
            } else if (n > 0) {
                out.append(", mean ").append(Text.short4(sum / n));
            }
            out.append('\n');
        }
        out.append("  behavior: ").append(d.behaviorNames().isEmpty() ? "none" : String.join(", ", d.behaviorNames())).append('\n');
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(d.info()).entrySet()) {
            out.append("  ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return out.toString();
    }
}
