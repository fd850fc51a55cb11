package org.mrine.sweep;

import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.style.Styler;
import org.mrine.eval.Summary;
import org.mrine.io.TempFiles;
import org.mrine.io.Json;
import org.mrine.sweep.SweepPlan.Candidate;
import tools.jackson.databind.JsonNode;

/**
 * The files of a finished sweep: {@code results.csv} and {@code results.json} (every cell: setting,
 * folds, scores, time, where it ran, error), {@code summary.json} and {@code summary.md} (the chosen
 * candidate per outer fold, the nested estimates of MRINE and of the Wiener filter with their
 * paired difference, every candidate's scores, the final choice), and
 * {@code plots/score_vs_<key>.png} (held-out CC against each swept key).
 */
public final class SweepReport {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private SweepReport() {
    }

    /** The files a report writes at the top of the sweep's folder. */
    public static final java.util.List<String> FILES = java.util.List.of("results.csv", "results.json", "summary.json", "summary.md");

    /**
     * @param info what to record beside the results (data file, executor, wall time, the final checkpoint)
     * @return summary.json's object
     */
    public static Map<String, Object> write(Path out, SweepPlan plan, Map<String, CellResult> results, SweepOutcome o,
                                           Map<String, Object> info, boolean plots) {
        List<String> keys = plan.sweptKeys();
        writeCells(out, plan, results, keys);
        Map<String, Object> summary = summary(plan, results, o, info);
        TempFiles.writeString(out.resolve("summary.json"), Json.write(summary) + "\n");
        TempFiles.writeString(out.resolve("summary.md"), markdown(plan, o, info));
        if (plots) plots(out.resolve("plots"), plan, o);
        return summary;
    }

    // ------------------------------------------------------------------ every cell

    private static void writeCells(Path out, SweepPlan plan, Map<String, CellResult> results, List<String> keys) {
        StringBuilder csv = new StringBuilder("cell,family,setting");
        for (String k : keys) csv.append(',').append(k);
        csv.append(",wiener_lags,outer_fold,inner_fold,cc_filtered,cc_smoothed,held_out_loss,epochs,best_epoch,seconds,worker,error\n");
        List<Object> rows = new ArrayList<>();
        for (CellSpec c : plan.cells()) {
            CellResult r = results.get(c.id());
            if (r == null) continue;
            Candidate cand = plan.candidate(c);
            csv.append(c.id()).append(',').append(c.isWiener() ? "wiener" : "mrine").append(',').append(c.setting() + 1);
            for (String k : keys) csv.append(',').append(csvField(c.isWiener() || !cand.values().containsKey(k) ? "" : text(cand.values().get(k))));
            csv.append(',').append(c.isWiener() ? Integer.toString(c.wienerLags()) : "")
                    .append(',').append(c.outer() + 1).append(',').append(c.inner() < 0 ? "outer" : Integer.toString(c.inner() + 1))
                    .append(',').append(num(r.ccFiltered())).append(',').append(num(r.ccSmoothed())).append(',').append(num(r.heldOutLoss()))
                    .append(',').append(r.epochs()).append(',').append(r.bestEpoch()).append(',').append(String.format(Locale.ROOT, "%.2f", r.seconds()))
                    .append(',').append(csvField(r.worker() == null ? "" : r.worker())).append(',').append(csvField(r.error() == null ? "" : r.error()))
                    .append('\n');
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("family", c.isWiener() ? "wiener" : "mrine");
            row.put("setting", (long) c.setting() + 1);
            row.put("values", values(cand));
            row.putAll(r.toJson());
            row.put("setting", (long) c.setting() + 1);
            row.put("outer_fold", (long) c.outer() + 1);
            row.put("inner_fold", c.inner() < 0 ? "outer" : (Object) (long) (c.inner() + 1));
            rows.add(row);
        }
        TempFiles.writeString(out.resolve("results.csv"), csv.toString());
        TempFiles.writeString(out.resolve("results.json"), Json.write(Map.of("cells", rows)) + "\n");
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static String num(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.6g", v) : "";
    }

    private static String text(JsonNode v) {
        return v.isString() ? v.stringValue() : v.toString();
    }

    private static Map<String, Object> values(Candidate c) {
        Map<String, Object> out = new LinkedHashMap<>();
        c.values().forEach((k, v) -> out.put(k, Json.parse(v.toString())));
        return out;
    }

    // ------------------------------------------------------------------ conclusions

    private static Map<String, Object> summary(SweepPlan plan, Map<String, CellResult> results, SweepOutcome o, Map<String, Object> info) {
        Map<String, Object> s = new LinkedHashMap<>(info);
        s.put("outer_folds", (long) plan.outer().folds());
        s.put("inner_folds", (long) plan.innerFolds());
        s.put("trials", (long) plan.outer().trials());
        Map<String, Object> sel = new LinkedHashMap<>();
        sel.put("rule", o.selection().rule().key);
        sel.put("criterion", o.selection().criterion().key);
        sel.put("description", o.selection().describe());
        s.put("selection", sel);
        long failed = plan.cells().stream().filter(c -> results.containsKey(c.id()) && results.get(c.id()).failed()).count();
        s.put("cells", (long) plan.cells().size());
        s.put("cells_failed", failed);
        s.put("cell_seconds", plan.cells().stream().filter(c -> results.containsKey(c.id())).mapToDouble(c -> results.get(c.id()).seconds()).sum());
        s.put("mrine", family(o.mrine()));
        if (o.wiener() != null) {
            s.put("wiener", family(o.wiener()));
            s.put("mrine_minus_wiener", difference(o));
        }
        return s;
    }

    private static Map<String, Object> family(SweepOutcome.Family f) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("nested_cc", summaryJson(f.nested(), f.nestedCc()));
        List<Object> chosen = new ArrayList<>();
        for (int k = 0; k < f.chosen().length; k++) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("outer_fold", (long) k + 1);
            int s = f.chosen()[k];
            c.put("setting", s < 0 ? null : (Object) (long) (s + 1));
            c.put("label", s < 0 ? "every candidate failed" : f.candidates().get(s).label());
            c.put("inner_mean", s < 0 ? null : finite(Selection.summary(f.innerScores()[k][s]).mean()));
            c.put("outer_cc", finite(f.nestedCc()[k]));
            chosen.add(c);
        }
        out.put("chosen_per_outer_fold", chosen);
        List<Object> cands = new ArrayList<>();
        for (Candidate c : f.candidates()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("setting", (long) c.index() + 1);
            m.put("label", c.label());
            m.put("values", values(c));
            m.put("modalities", new ArrayList<Object>(c.modalities()));
            m.put("parameters", c.size()[0]);
            Summary cv = Selection.summary(f.outerCc()[c.index()]);
            m.put("cv_cc", summaryJson(cv, f.outerCc()[c.index()]));
            cands.add(m);
        }
        out.put("candidates", cands);
        Candidate fin = f.finalCandidate();
        if (fin != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("setting", (long) fin.index() + 1);
            m.put("label", fin.label());
            m.put("values", values(fin));
            m.put("cv_cc", summaryJson(Selection.summary(f.outerCc()[fin.index()]), f.outerCc()[fin.index()]));
            out.put("final", m);
        }
        return out;
    }

    /** MRINE's nested CC minus the Wiener filter's, fold by fold (both are scored on the same outer folds). */
    private static Map<String, Object> difference(SweepOutcome o) {
        double[] a = o.mrine().nestedCc(), b = o.wiener().nestedCc(), d = new double[a.length];
        for (int k = 0; k < a.length; k++) d[k] = a[k] - b[k];
        return summaryJson(Selection.summary(d), d);
    }

    private static Map<String, Object> summaryJson(Summary s, double[] perFold) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mean", finite(s.mean()));
        m.put("sem", finite(s.sem()));
        List<Object> folds = new ArrayList<>();
        for (double v : perFold) folds.add(finite(v));
        m.put("per_fold", folds);
        return m;
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static String markdown(SweepPlan plan, SweepOutcome o, Map<String, Object> info) {
        StringBuilder md = new StringBuilder("# Sweep\n\n");
        info.forEach((k, v) -> md.append("- ").append(k).append(": ").append(v).append('\n'));
        md.append(String.format(Locale.ROOT, "- nested cross-validation: %d outer folds x %d inner folds over %d trials (contiguous blocks)%n",
                plan.outer().folds(), plan.innerFolds(), plan.outer().trials()));
        md.append("- selection: ").append(o.selection().describe()).append("\n\n");
        md.append("## Nested estimate (held-out CC of behavior from filtered, causal latents; mean ± s.e.m. over outer folds)\n\n");
        md.append("| model | nested CC | chosen per outer fold |\n|---|---|---|\n");
        family(md, "MRINE", o.mrine());
        if (o.wiener() != null) {
            family(md, "Wiener filter", o.wiener());
            double[] a = o.mrine().nestedCc(), b = o.wiener().nestedCc(), d = new double[a.length];
            for (int k = 0; k < a.length; k++) d[k] = a[k] - b[k];
            md.append("\nMRINE minus Wiener filter, fold by fold: ").append(Selection.summary(d).format()).append("\n");
        }
        md.append("\n## Every candidate (plain ").append(plan.outer().folds()).append("-fold CV over all trials)\n\n");
        md.append("| # | setting | parameters | CC filtered |\n|---|---|---|---|\n");
        for (SweepOutcome.Family f : o.wiener() == null ? List.of(o.mrine()) : List.of(o.mrine(), o.wiener())) {
            for (Candidate c : f.candidates()) {
                md.append(String.format(Locale.ROOT, "| %s%d | %s | %d | %s%s |%n", c.isWiener() ? "w" : "", c.index() + 1, c.label(), c.size()[0],
                        Selection.summary(f.outerCc()[c.index()]).format(), c.index() == f.finalChoice() ? " (final)" : ""));
            }
        }
        return md.toString();
    }

    private static void family(StringBuilder md, String name, SweepOutcome.Family f) {
        List<String> chosen = new ArrayList<>();
        for (int s : f.chosen()) chosen.add(s < 0 ? "-" : (f.candidates().get(s).isWiener() ? "w" : "") + (s + 1));
        md.append("| ").append(name).append(" | ").append(f.nested().format()).append(" | ").append(String.join(", ", chosen)).append(" |\n");
    }

    // ------------------------------------------------------------------ plots

    /** Per swept key: the best and the mean CV CC over the settings that hold each value; the Wiener filter's best as a bar too. */
    private static void plots(Path dir, SweepPlan plan, SweepOutcome o) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create: " + e.getMessage(), e);
        }
        List<String> keys = new ArrayList<>(plan.sweptKeys());
        if (o.wiener() != null && o.wiener().candidates().size() > 1) keys.add("evaluation.wiener_lags");
        for (String key : keys) {
            boolean wienerKey = key.equals("evaluation.wiener_lags");
            SweepOutcome.Family f = wienerKey ? o.wiener() : o.mrine();
            Map<String, List<Double>> byValue = new LinkedHashMap<>();
            for (Candidate c : f.candidates()) {
                String v = wienerKey ? Integer.toString(c.wienerLags()) : text(c.values().get(key));
                double cc = Selection.summary(f.outerCc()[c.index()]).mean();
                byValue.computeIfAbsent(v, x -> new ArrayList<>());
                if (!Double.isNaN(cc)) byValue.get(v).add(cc);
            }
            CategoryChart chart = new CategoryChartBuilder().width(640).height(420).title((wienerKey ? "Wiener filter: " : "") + key)
                    .xAxisTitle(key).yAxisTitle("held-out CC, filtered (" + plan.outer().folds() + "-fold CV)").build();
            chart.getStyler().setChartBackgroundColor(Color.WHITE);
            chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
            chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
            chart.getStyler().setDecimalPattern("0.000");
            List<String> xs = new ArrayList<>(byValue.keySet());
            List<Double> best = new ArrayList<>(), mean = new ArrayList<>();
            double lo = 1;
            for (String x : xs) {
                List<Double> v = byValue.get(x);
                double b = v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
                double m = v.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
                best.add(Double.isNaN(b) ? null : b);
                mean.add(Double.isNaN(m) ? null : m);
                if (!Double.isNaN(m)) lo = Math.min(lo, m);
            }
            chart.addSeries("best setting", xs, best).setFillColor(new Color(0x1f77b4));
            chart.addSeries("mean over settings", xs, mean).setFillColor(new Color(0xff7f0e));
            chart.getStyler().setYAxisMin(Math.max(0, Math.floor((lo - 0.05) * 10) / 10));
            chart.getStyler().setYAxisMax(1.0);
            Path file = dir.resolve("score_vs_" + key.replaceAll("[^A-Za-z0-9_.-]", "_") + ".png");
            try {
                BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
            } catch (IOException e) {
                throw new UncheckedIOException(file + ": cannot write the plot: " + e.getMessage(), e);
            }
        }
    }
}
