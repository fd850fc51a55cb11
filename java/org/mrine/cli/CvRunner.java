package org.mrine.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.eval.CrossValidation;
import org.mrine.eval.CvLog;
import org.mrine.eval.CvResult;
import org.mrine.eval.Metrics;
import org.mrine.eval.ModelChoice;
import org.mrine.eval.Report;
import org.mrine.model.Likelihood;
import org.mrine.train.TrainConfig;

/** What {@code evaluate} and {@code demo} share: cross-validate, write the results folder, print the table. */
final class CvRunner {
    static final double[] DEFAULT_DROP_LEVELS = {0, 0.2, 0.4, 0.6, 0.8};

    private CvRunner() {
    }

    /** The modality a drop sweep removes samples of: the given one, else the only Poisson modality, else the first. */
    static String dropModality(Dataset d, String requested) {
        if (requested != null) {
            d.modality(requested);
            return requested;
        }
        List<ModalityData> poisson = d.modalities().stream().filter(m -> m.likelihood() == Likelihood.POISSON).toList();
        return poisson.size() == 1 ? poisson.get(0).name() : d.modalities().get(0).name();
    }

    static CvResult run(Dataset raw, TrainConfig cfg, List<ModelChoice> models, int threads, Path out, boolean resume,
                        String dropModality, double[] dropLevels, boolean dropRetrain, boolean plots, String title,
                        Map<String, Object> extra, PrintStream console) {
        long start = System.nanoTime();
        TrainConfig.Training t = cfg.training();
        String budget = t.autoEpochs() ? "up to " + t.maxSteps() + " optimizer steps" : t.epochs() + " epochs";
        if (t.earlyStopping()) {
            budget += String.format(java.util.Locale.ROOT, ", early stopping on %.0f%% of each training set (patience %d steps)",
                    100 * t.validationFraction(), t.patienceSteps());
        }
        console.printf("cross-validating %s: %d folds, %s, %d jobs on %d threads%n",
                models.stream().map(ModelChoice::name).toList(), cfg.evaluation().folds(), budget,
                models.size() * cfg.evaluation().folds(), threads);
        int epochs = t.autoEpochs() ? 100 : t.epochs();  // for the log's pace only
        CvResult r = CrossValidation.run(raw, new CrossValidation.Options(cfg, models, threads, out.resolve("checkpoints"), resume,
                dropModality, dropLevels, dropRetrain, cfg.training().seed() + 17, new CvLog(console, Math.max(1, epochs / 4))));
        double seconds = (System.nanoTime() - start) / 1e9;
        Report.write(out, title, r, raw, cfg, extra, plots, seconds);
        console.println();
        console.print(Metrics.table(r, false));
        console.println("results in " + out + " (metrics.json, report.md" + (plots ? ", *.png" : "") + ", config.yaml, checkpoints/)");
        return r;
    }

    static double[] parseLevels(String text) {
        String[] parts = text.split(",");
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--drop-levels: '" + parts[i] + "' is not a number");
            }
            if (!(out[i] >= 0 && out[i] < 1)) throw new IllegalArgumentException("--drop-levels: " + out[i] + " is not in [0, 1)");
        }
        return out;
    }
}
