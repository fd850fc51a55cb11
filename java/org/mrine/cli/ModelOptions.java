package org.mrine.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.eval.ModelChoice;
import org.mrine.train.TrainConfig;
import picocli.CommandLine.Option;

/** Options shared by {@code train} and {@code evaluate}: the config, the epochs and the models. */
final class ModelOptions {

    @Option(names = "--config", description = "YAML config; every key optional, defaults are the paper's (see README)")
    Path config;

    @Option(names = "--epochs", description = "overrides training.epochs")
    Integer epochs;

    @Option(names = "--model", paramLabel = "MODEL",
            description = {"a model to run, repeatable: mrine (all modalities), spikes_only, field_only, <modality>_only,",
                    "or NAME=MOD1+MOD2 for any subset (default: mrine and every single-modality model);",
                    "evaluate also takes wiener or wiener=MOD: the causal Wiener filter on a count modality (see --wiener-lags)"})
    List<String> models = new ArrayList<>();

    TrainConfig config() {
        TrainConfig c = config == null ? TrainConfig.defaults() : TrainConfig.load(config);
        if (epochs != null) {
            if (epochs < 0) throw new IllegalArgumentException("--epochs must be >= 0, got " + epochs);
            c = c.withEpochs(epochs);
        }
        return c;
    }

    List<ModelChoice> models(Dataset data) {
        return models(data, -1);
    }

    /** With {@code wienerLags} >= 0, {@code --model wiener[=MOD]} is allowed too (evaluate). */
    List<ModelChoice> models(Dataset data, int wienerLags) {
        return models.isEmpty() ? ModelChoice.defaults(data) : ModelChoice.parse(models, data, wienerLags);
    }
}
