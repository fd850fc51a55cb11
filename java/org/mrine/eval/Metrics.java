package org.mrine.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.mrine.io.Json;
import org.mrine.io.TempFiles;

/**
 * {@code metrics.json} and the printed table. Schema:
 *
 * <pre>
 * {"models": {"mrine": {"modalities": ["s", "y"],
 *                       "cc_filtered": m, "cc_filtered_sem": e, "cc_smoothed": m, "cc_smoothed_sem": e,
 *                       "cc_filtered_slow": m, ... (at the slower modality's samples; when there is one)
 *                       "folds": [{"fold": 1, "cc_filtered": .., "cc_smoothed": .., ...}, ...],
 *                       "train_seconds": s},
 *             "spikes_only": {...}, "field_only": {...}},
 *  "protocol": {"folds": K, "slow_modality": "y", "decoder": ..., "metric": ...},
 *  "drop_robustness": {"modality": "s", "probabilities": [...],
 *                      "models": {"mrine": {"cc_filtered": [..], "cc_filtered_sem": [..], "cc_smoothed": [..], ...}}}}
 * </pre>
 * Undefined numbers (a single fold's s.e.m., the smoothed scores of the causal Wiener filter,
 * whose entry also has {@code "kind": "wiener", "lags": L}) are null; models without a drop sweep
 * (the Wiener filter) are absent from drop_robustness.models.
 */
public final class Metrics {
    private Metrics() {
    }

    private record Key(String name, ToDoubleFunction<Scores> get) {
    }

    private static final List<Key> KEYS = List.of(
            new Key("cc_filtered", Scores::filtered), new Key("cc_smoothed", Scores::smoothed),
            new Key("cc_filtered_slow", Scores::filteredSlow), new Key("cc_smoothed_slow", Scores::smoothedSlow));

    public static Map<String, Object> toJson(CvResult r, Map<String, Object> extra) {
        Map<String, Object> models = new LinkedHashMap<>();
        for (ModelChoice m : r.models()) {
            List<FoldResult> folds = r.folds(m.name());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("modalities", new ArrayList<Object>(m.modalities()));
            if (m.isWiener()) {
                o.put("kind", "wiener");
                o.put("lags", (long) m.wienerLags());
            }
            for (Key k : KEYS) {
                if (k.name().endsWith("_slow") && r.slowModality() == null) continue;
                Summary s = Summary.of(folds, k.get());
                o.put(k.name(), num(s.mean()));
                o.put(k.name() + "_sem", num(s.sem()));
            }
            List<Object> perFold = new ArrayList<>();
            double seconds = 0;
            for (FoldResult f : folds) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("fold", (long) f.fold() + 1);
                for (Key k : KEYS) {
                    if (k.name().endsWith("_slow") && r.slowModality() == null) continue;
                    e.put(k.name(), num(k.get().applyAsDouble(f.scores())));
                }
                e.put("epochs", (long) f.history().size());
                e.put("final_train_loss", f.history().isEmpty() ? null : num(f.history().get(f.history().size() - 1).trainTotal()));
                perFold.add(e);
                seconds += f.seconds();
            }
            o.put("folds", perFold);
            o.put("train_seconds", seconds);
            models.put(m.name(), o);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("models", models);
        Map<String, Object> protocol = new LinkedHashMap<>();
        protocol.put("folds", (long) r.folds());
        protocol.put("split", "contiguous blocks of trials");
        protocol.put("slow_modality", r.slowModality());
        protocol.put("decoder", "OLS with intercept from filtered or smoothed latents, fit on the training folds"
                + (r.models().stream().anyMatch(ModelChoice::isWiener)
                ? "; wiener: OLS with intercept from the counts of the current and previous L bins (zeros before a trial's start)" : ""));
        protocol.put("metric", "Pearson CC per behavior dimension over the concatenated held-out series, averaged over dimensions; mean and s.e.m. over folds");
        out.put("protocol", protocol);
        if (r.dropModality() != null) out.put("drop_robustness", dropJson(r));
        out.putAll(extra);
        return out;
    }

    private static Map<String, Object> dropJson(CvResult r) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("modality", r.dropModality());
        o.put("retrained", r.dropRetrained());
        o.put("note", r.dropRetrained()
                ? "a model trained per drop level on data with the modality's samples dropped at random from every trial"
                : "models trained once (with time dropout); the modality's samples dropped at random from every trial before inference and decoder fitting");
        List<Object> probs = new ArrayList<>();
        for (double p : r.dropLevels()) probs.add(p);
        o.put("probabilities", probs);
        Map<String, Object> models = new LinkedHashMap<>();
        for (ModelChoice m : r.models()) {
            if (r.folds(m.name()).get(0).dropScores().isEmpty()) continue; // no sweep (Wiener filter)
            Map<String, Object> e = new LinkedHashMap<>();
            for (Key k : KEYS.subList(0, 2)) {
                List<Object> means = new ArrayList<>(), sems = new ArrayList<>();
                for (Summary s : dropSummaries(r, m.name(), k.get())) {
                    means.add(num(s.mean()));
                    sems.add(num(s.sem()));
                }
                e.put(k.name(), means);
                e.put(k.name() + "_sem", sems);
            }
            models.put(m.name(), e);
        }
        o.put("models", models);
        return o;
    }

    /** Per drop level, the summary over folds of one score. */
    public static List<Summary> dropSummaries(CvResult r, String model, ToDoubleFunction<Scores> score) {
        List<Summary> out = new ArrayList<>();
        List<FoldResult> folds = r.folds(model);
        for (int i = 0; i < r.dropLevels().length; i++) {
            final int level = i;
            out.add(Summary.of(folds.stream().mapToDouble(f -> score.applyAsDouble(f.dropScores().get(level))).toArray()));
        }
        return out;
    }

    private static Object num(double d) {
        return Double.isFinite(d) ? d : null;
    }

    public static void write(Path file, Map<String, Object> json) {
        TempFiles.writeString(file, Json.write(json) + "\n");
    }

    /** The table printed at the end of evaluate and demo (and put in report.md). */
    public static String table(CvResult r, boolean markdown) {
        List<String> head = new ArrayList<>(List.of("model", "modalities", "CC filtered", "CC smoothed"));
        if (r.slowModality() != null) {
            head.add("CC filtered @" + r.slowModality());
            head.add("CC smoothed @" + r.slowModality());
        }
        List<List<String>> rows = new ArrayList<>();
        for (ModelChoice m : r.models()) {
            List<FoldResult> f = r.folds(m.name());
            List<String> row = new ArrayList<>(List.of(m.name(), String.join("+", m.modalities()),
                    Summary.of(f, Scores::filtered).format(), Summary.of(f, Scores::smoothed).format()));
            if (r.slowModality() != null) {
                row.add(Summary.of(f, Scores::filteredSlow).format());
                row.add(Summary.of(f, Scores::smoothedSlow).format());
            }
            rows.add(row);
        }
        StringBuilder sb = new StringBuilder();
        if (markdown) {
            sb.append("| ").append(String.join(" | ", head)).append(" |\n");
            sb.append("|").append("---|".repeat(head.size())).append("\n");
            for (List<String> row : rows) sb.append("| ").append(String.join(" | ", row)).append(" |\n");
            return sb.toString();
        }
        int[] w = new int[head.size()];
        for (int i = 0; i < w.length; i++) {
            w[i] = head.get(i).length();
            for (List<String> row : rows) w[i] = Math.max(w[i], row.get(i).length());
        }
        appendRow(sb, head, w);
        for (List<String> row : rows) appendRow(sb, row, w);
        sb.append(String.format(Locale.ROOT, "(mean ± s.e.m. over %d folds; Pearson CC of decoded behavior, averaged over dimensions)%n", r.folds()));
        return sb.toString();
    }

    private static void appendRow(StringBuilder sb, List<String> cells, int[] w) {
        for (int i = 0; i < cells.size(); i++) {
            sb.append(cells.get(i)).append(" ".repeat(w[i] - cells.get(i).length() + 2));
        }
        while (sb.length() > 0 && sb.charAt(sb.length() - 1) == ' ') sb.setLength(sb.length() - 1);
        sb.append('\n');
    }
}
