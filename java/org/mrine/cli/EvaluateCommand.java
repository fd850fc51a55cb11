package org.mrine.cli;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.data.Datasets;
import org.mrine.io.Outputs;
import org.mrine.train.TrainConfig;
import org.mrine.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mrine evaluate}: the paper's cross-validated behavior decoding for each model. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Cross-validates each model (evaluation.folds contiguous blocks of trials): trains on the other folds, "
                + "decodes behavior with OLS from filtered and smoothed latents, scores Pearson CC on the held-out fold. "
                + "Writes <out>/metrics.json, report.md, PNG plots, config.yaml and checkpoints/<model>/fold<k>.safetensors.",
                "Exit status: 0 done, 2 bad input, 3 training diverged.", ""})
final class EvaluateCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "dataset file (what mrine simulate or an importer wrote)")
    Path data;

    @Option(names = "--out", required = true, description = "results folder")
    Path out;

    @Mixin
    ModelOptions options;

    @Option(names = "--threads", description = "fold jobs in parallel, one core each (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--resume", description = "continue fold checkpoints found under <out>/checkpoints (finished ones are reused)")
    boolean resume;

    @Option(names = "--drop-sweep", description = "also score every model as a modality loses samples (see --drop-levels)")
    boolean dropSweep;

    @Option(names = "--drop-modality", description = "the modality of the drop sweep (default: the spike modality)")
    String dropModality;

    @Option(names = "--drop-levels", defaultValue = "0,0.2,0.4,0.6,0.8", description = "drop probabilities (default: ${DEFAULT-VALUE})")
    String dropLevels;

    @Option(names = "--drop-retrain", description = "train a model per drop level on the dropped data (levels-1 times the cost);"
            + " default: the fold models infer from dropped data")
    boolean dropRetrain;

    @Option(names = "--wiener-lags", paramLabel = "N", description = "bins of history of --model wiener besides the current one "
            + "(default: evaluation.wiener_lags, 5)")
    Integer wienerLags;

    @Option(names = "--no-plots", description = "skip the PNG figures")
    boolean noPlots;

    @Option(names = "--force", description = "start over where --out holds fold checkpoints of an earlier run (they are replaced), "
            + "and replace files of yours in --out that have the names evaluate writes")
    boolean force;

    @Override
    public Integer call() {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (wienerLags != null && wienerLags < 0) throw new IllegalArgumentException("--wiener-lags must be >= 0, got " + wienerLags);
        TrainConfig cfg = options.config();
        int lags = wienerLags != null ? wienerLags : cfg.evaluation().wienerLags();
        Dataset raw = Datasets.open(data);
        String mod = dropSweep ? CvRunner.dropModality(raw, dropModality) : null;
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("data", data.toString());
        Backends.requireAvailable(cfg.training().backend());
        Outputs.Folder folder = ResultsFolder.claim(new Outputs("evaluate", force).input(data, "--data").input(options.config, "--config"),
                out, "--out", resume);
        try {
            CvRunner.run(raw, cfg, options.models(raw, lags), threads, out, resume, mod, CvRunner.parseLevels(dropLevels), dropRetrain, !noPlots,
                    "MRINE evaluation: " + data.getFileName(), extra, System.out);
        } catch (TrainingDivergedException e) {
            System.err.println("mrine: " + e.getMessage());
            return 3;
        } finally {
            folder.close();
        }
        return 0;
    }
}
