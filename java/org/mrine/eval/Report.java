package org.mrine.eval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.io.TempFiles;
import org.mrine.train.TrainConfig;

/**
 * A results folder: {@code metrics.json}, {@code config.yaml} (the config used), the PNG figures
 * and {@code report.md} embedding them; fold checkpoints are already under {@code checkpoints/}.
 */
public final class Report {
    /** Every file {@link #write} may write into the results folder (the plots are those of {@link Plots}). */
    public static final List<String> FILES = List.of("metrics.json", "config.yaml", "report.md", "cc_bars.png", "loss_curves.png",
            "behavior.png", "latents.png", "drop_robustness.png");

    private Report() {
    }

    /**
     * @param title   the report's heading
     * @param extra   more top-level entries for metrics.json (dataset, timing)
     * @param plots   whether to draw the figures
     */
    public static void write(Path dir, String title, CvResult r, Dataset raw, TrainConfig config, Map<String, Object> extra,
                             boolean plots, double seconds) {
        try {
            Files.createDirectories(dir);
            Map<String, Object> more = new LinkedHashMap<>(extra);
            more.put("dataset", describe(raw));
            more.put("wall_seconds", seconds);
            Metrics.write(dir.resolve("metrics.json"), Metrics.toJson(r, more));
            TempFiles.writeString(dir.resolve("config.yaml"), config.toYaml());
            List<String[]> figures = new ArrayList<>();
            if (plots) {
                figures.add(new String[] {"Decoding accuracy", Plots.ccBars(r, dir)});
                figures.add(new String[] {"Training", Plots.lossCurves(r, dir)});
                figures.add(new String[] {"True and decoded behavior (held-out trials of fold 1)", Plots.behavior(r, raw, dir)});
                figures.add(new String[] {"Latent trajectories (held-out trials of fold 1)", Plots.latents(r, raw, dir)});
                figures.removeIf(f -> f[1] == null); // nothing to draw (only the Wiener filter: no training, no latents)
                if (r.dropModality() != null) {
                    figures.add(new String[] {"Robustness to missing " + r.dropModality() + " samples", Plots.dropRobustness(r, dir)});
                }
            }
            TempFiles.writeString(dir.resolve("report.md"), markdown(title, r, raw, config, figures, seconds));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot write the results: " + e.getMessage(), e);
        }
    }

    static Map<String, Object> describe(Dataset d) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("trials", (long) d.trials());
        o.put("steps", (long) d.steps());
        o.put("bin_ms", d.binMs());
        List<Object> mods = new ArrayList<>();
        for (ModalityData m : d.modalities()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", m.name());
            e.put("likelihood", m.likelihood().key);
            e.put("channels", (long) m.channels());
            e.put("availability", m.availability());
            mods.add(e);
        }
        o.put("modalities", mods);
        o.put("behavior", new ArrayList<Object>(d.behaviorNames()));
        o.put("info", new LinkedHashMap<String, Object>(d.info()));
        return o;
    }

    private static String markdown(String title, CvResult r, Dataset d, TrainConfig cfg, List<String[]> figures, double seconds) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(title).append("\n\n");
        sb.append(String.format(Locale.ROOT, "Data: %d trials × %d steps of %.0f ms; ", d.trials(), d.steps(), d.binMs()));
        List<String> mods = new ArrayList<>();
        for (ModalityData m : d.modalities()) {
            mods.add(String.format(Locale.ROOT, "`%s` (%s, %d channels, %.0f%% of steps sampled)", m.name(), m.likelihood().key,
                    m.channels(), 100 * m.availability()));
        }
        sb.append(String.join(", ", mods)).append("; behavior ").append(d.behaviorNames()).append(".\n\n");
        TrainConfig.Model m = cfg.model();
        TrainConfig.Training t = cfg.training();
        sb.append(String.format(Locale.ROOT, "Models: n_a = %d, n_x = %d, hidden %s, fusion %s; %d epochs of Adam with a cyclic "
                        + "learning rate (%s, %.0e to %.0e), batches of %d trials, dropout %.2f, time dropout %.2f. "
                        + "Full config: [config.yaml](config.yaml); fold checkpoints under `checkpoints/`.\n\n",
                m.embeddingDim(), m.latentDim(), java.util.Arrays.toString(m.hidden()), java.util.Arrays.toString(m.fusionHidden()),
                t.epochs(), t.lrMode(), t.lrBase(), t.lrMax(), t.batchSize(), t.dropout(), t.timeDropout()));
        sb.append(String.format(Locale.ROOT, "Protocol: %d-fold cross-validation over contiguous blocks of trials; per fold, OLS with "
                + "intercept from the latents to the behavior is fit on the training folds and scored on the held-out fold by Pearson CC "
                + "per behavior dimension over the concatenated series, averaged over dimensions. Mean ± s.e.m. over folds.", r.folds()));
        r.models().stream().filter(ModelChoice::isWiener).findFirst().ifPresent(w -> sb.append(String.format(Locale.ROOT,
                " `%s` is the classic causal Wiener filter: OLS with intercept from the `%s` counts of the current and previous %d "
                        + "bins (zeros before a trial's start), fit on the training folds; it has no smoothed score (shown as -).",
                w.name(), w.modalities().get(0), w.wienerLags())));
        if (r.slowModality() != null) {
            sb.append(" The `@").append(r.slowModality()).append("` columns score only the steps where the slower modality `")
                    .append(r.slowModality()).append("` has a sample.");
        }
        sb.append("\n\n").append(Metrics.table(r, true)).append('\n');
        for (String[] f : figures) sb.append("## ").append(f[0]).append("\n\n![").append(f[0]).append("](").append(f[1]).append(")\n\n");
        if (r.dropModality() != null) {
            sb.append("The robustness curve drops each `").append(r.dropModality()).append("` sample at random with the given probability ")
                    .append("from every trial").append(r.dropRetrained()
                            ? " and trains a model per level on that data.\n\n"
                            : ", then infers the latents and fits the decoder again; the models are not retrained (they were trained "
                            + "with time dropout, which is what makes them robust to missing samples).\n\n");
        }
        sb.append(String.format(Locale.ROOT, "Wall time: %s.%n", org.mrine.train.ConsoleProgress.clock(seconds)));
        return sb.toString();
    }
}
