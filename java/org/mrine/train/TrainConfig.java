package org.mrine.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.mrine.model.Likelihood;
import org.mrine.model.ModalitySpec;
import org.mrine.model.ModelConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Everything training and evaluation read, from a YAML file whose every key is optional: the
 * defaults are the paper's (NHP settings, 500 epochs). Unknown keys and bad values are errors that
 * name the file and the key. {@link #toYaml()} writes the complete config back (the "config used").
 */
public record TrainConfig(Model model, Loss loss, Training training, Evaluation evaluation) {

    /**
     * The network.
     *
     * @param embeddingDim     n_a
     * @param latentDim        n_x
     * @param hidden           every modality's encoder hidden sizes (its decoder uses them reversed)
     * @param fusionHidden     hidden sizes of the fusion network (multiscale models)
     * @param initCovScale     Sigma_0 = init_cov_scale * I
     * @param gaussianVariance the fixed observation variance of Gaussian modalities
     * @param modalities       the modalities of the default {@code mrine} model, in order; null = all of the dataset's
     */
    public record Model(int embeddingDim, int latentDim, int[] hidden, int[] fusionHidden, double initCovScale,
                        double gaussianVariance, List<String> modalities) {

        public Model {
            modalities = modalities == null ? null : List.copyOf(modalities);
        }
    }

    /**
     * The loss.
     *
     * @param tau            weight of Poisson log-likelihoods; null = auto (from the training data)
     * @param scaleL2        weight of the sum of MLP weight norms
     * @param smoothPoisson  w_s, smoothness weight of Poisson modalities
     * @param smoothGaussian w_y, smoothness weight of Gaussian modalities
     * @param smoothLatent   w_x, latent smoothness weight
     * @param stepsAhead     prediction horizons, 0 = the smoothing term
     */
    public record Loss(Double tau, double scaleL2, double smoothPoisson, double smoothGaussian, double smoothLatent,
                       int[] stepsAhead) {
    }

    /**
     * The optimization.
     *
     * @param epochs             passes over the training trials, or {@link #EPOCHS_AUTO}: as many as {@code maxSteps} needs
     * @param maxSteps           the optimizer steps of a run when {@code epochs} is auto (rounded up to whole epochs)
     * @param patienceSteps      early stopping: end training once this many optimizer steps passed without a lower
     *                           validation loss, and keep the best epoch's parameters; 0 = train every epoch, keep the last
     * @param validationFraction the share of the training trials held out (the last contiguous block) for early stopping
     * @param lrStepUp        epochs from base to max learning rate (and back down)
     * @param lrMode          triangular, triangular2 or exp_range (PyTorch CyclicLR modes)
     * @param gradClip        global gradient-norm limit; 0 = no clipping
     * @param checkpointEvery write a checkpoint every this many epochs (and always at the end)
     * @param validateEvery   compute the held-out loss every this many epochs; 0 = never
     */
    public record Training(int epochs, int maxSteps, int patienceSteps, double validationFraction, int batchSize, double lrBase, double lrMax, int lrStepUp, String lrMode,
                           double lrGamma, double adamBeta1, double adamBeta2, double adamEps, double gradClip,
                           double dropout, double timeDropout, boolean zscoreGaussian, long seed,
                           int checkpointEvery, int validateEvery, String backend) {

        public boolean autoEpochs() {
            return epochs == EPOCHS_AUTO;
        }

        /** Whether runs hold out a validation block and keep their best epoch. */
        public boolean earlyStopping() {
            return patienceSteps > 0 && validationFraction > 0;
        }

        /** The epochs a run makes with {@code batches} optimizer steps per epoch (before early stopping). */
        public int plannedEpochs(int batches) {
            return autoEpochs() ? (int) Math.min(Integer.MAX_VALUE, ((long) maxSteps + batches - 1) / batches) : epochs;
        }
    }

    /** {@code training.epochs: auto}: the number of epochs follows from {@code training.max_steps}. */
    public static final int EPOCHS_AUTO = -1;

    /**
     * @param folds      cross-validation folds (contiguous blocks of trials)
     * @param wienerLags bins of history of the Wiener filter baseline besides the current one
     */
    public record Evaluation(int folds, int wienerLags) {
    }

    /**
     * The default training budget, in optimizer steps: enough for the models of the README's real
     * recordings to pass their best validation loss (early stopping then ends most runs sooner),
     * whatever the number of trials; an epoch count would give a small dataset a few dozen steps
     * and a large one thousands.
     */
    public static final int DEFAULT_MAX_STEPS = 3000;
    /** Early stopping's default patience, optimizer steps without a lower validation loss. */
    public static final int DEFAULT_PATIENCE_STEPS = 500;
    /** Largest embedding and latent dimension: a Cholesky factorization per step costs its cube. */
    static final int MAX_DIM = 4096;
    /** Largest hidden layer width. */
    static final int MAX_WIDTH = 65536;

    static final List<String> LR_MODES = List.of("triangular", "triangular2", "exp_range");
    static final List<String> BACKENDS = List.of("auto", "cpu", "cuda");

    public static TrainConfig defaults() {
        return parse("", "defaults");
    }

    public static TrainConfig load(Path file) {
        try {
            return parse(Files.readString(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read the config: " + e.getMessage(), e);
        }
    }

    /** Parses YAML text; {@code where} names its origin in errors. */
    public static TrainConfig parse(String yaml, String where) {
        return parse(tree(yaml, where), where);
    }

    /** The YAML text as a tree (null for an empty text; a key given twice is an error); {@code where} names its origin in errors. */
    public static JsonNode tree(String yaml, String where) {
        return ConfigReader.readYaml(yaml, where);
    }

    /** Parses a config tree (as {@link #tree} reads it); {@code where} names its origin in errors. */
    public static TrainConfig parse(JsonNode root, String where) {
        ConfigReader top = new ConfigReader(where, "", root);

        ConfigReader m = top.section("model");
        Model model = new Model(m.intInRange("embedding_dim", 64, 1, MAX_DIM), m.intInRange("latent_dim", 64, 1, MAX_DIM),
                m.intList("hidden", new int[] {128, 128, 128}, 1, MAX_WIDTH), m.intList("fusion_hidden", new int[] {128}, 1, MAX_WIDTH),
                m.positive("init_cov_scale", 1.0), m.positive("gaussian_variance", 1.0), m.namesOrAll("modalities"));
        m.finish();

        ConfigReader l = top.section("loss");
        Loss loss = new Loss(l.numberOrAuto("tau", null), l.nonNegative("scale_l2", 1e-3), l.nonNegative("smooth_poisson", 50),
                l.nonNegative("smooth_gaussian", 5), l.nonNegative("smooth_latent", 30),
                l.intList("steps_ahead", new int[] {0, 1, 2, 3, 4}, 0));
        if (loss.stepsAhead().length == 0) throw l.error("loss.steps_ahead", "needs at least one horizon");
        l.finish();

        ConfigReader t = top.section("training");
        Training training = new Training(t.nonNegativeIntOrAuto("epochs", EPOCHS_AUTO), t.positiveInt("max_steps", DEFAULT_MAX_STEPS),
                t.nonNegativeInt("patience_steps", DEFAULT_PATIENCE_STEPS), t.fraction("validation_fraction", 0.1),
                t.positiveInt("batch_size", 32),
                t.positive("lr_base", 1e-3), t.positive("lr_max", 1e-2), t.positiveInt("lr_step_up", 10),
                t.string("lr_mode", "exp_range", LR_MODES), t.positive("lr_gamma", 0.99),
                t.fraction("adam_beta1", 0.9), t.fraction("adam_beta2", 0.999), t.positive("adam_eps", 1e-8),
                t.nonNegative("grad_clip", 0.1), t.fraction("dropout", 0.1), t.fraction("time_dropout", 0.3),
                t.bool("zscore_gaussian", true), t.integer("seed", 0), t.positiveInt("checkpoint_every", 10),
                t.nonNegativeInt("validate_every", 1), t.string("backend", "auto", BACKENDS));
        if (training.lrMax() < training.lrBase()) {
            throw t.error("training.lr_max", "must be >= training.lr_base (" + training.lrBase() + "), got " + training.lrMax());
        }
        if (training.lrGamma() > 1) throw t.error("training.lr_gamma", "must be in (0, 1], got " + training.lrGamma());
        t.finish();

        ConfigReader e = top.section("evaluation");
        Evaluation evaluation = new Evaluation(e.positiveInt("folds", 5), e.nonNegativeInt("wiener_lags", 5));
        if (evaluation.folds() < 2) throw e.error("evaluation.folds", "cross-validation needs at least 2 folds, got " + evaluation.folds());
        e.finish();
        top.finish();
        return new TrainConfig(model, loss, training, evaluation);
    }

    /**
     * The network for the given modalities (one = single-scale): this config's sizes and loss
     * weights, the Poisson log-likelihoods weighted by {@code tau}.
     */
    public ModelConfig modelConfig(List<ModalityInfo> modalities, double tau) {
        List<ModalitySpec> specs = new ArrayList<>();
        for (ModalityInfo d : modalities) {
            boolean poisson = d.likelihood() == Likelihood.POISSON;
            specs.add(new ModalitySpec(d.name(), d.likelihood(), d.channels(), model.hidden,
                    poisson ? (float) tau : 1f,
                    (float) (poisson ? loss.smoothPoisson : loss.smoothGaussian),
                    poisson ? 1f : (float) model.gaussianVariance));
        }
        return new ModelConfig(specs, model.embeddingDim, model.latentDim, model.fusionHidden, (float) model.initCovScale,
                (float) loss.scaleL2, (float) loss.smoothLatent, loss.stepsAhead);
    }

    /** This config with {@code training.epochs} set ({@link #EPOCHS_AUTO} for auto). */
    public TrainConfig withEpochs(int epochs) {
        return with("training.epochs", epochs == EPOCHS_AUTO ? "auto" : epochs);
    }

    public TrainConfig withSeed(long seed) {
        return with("training.seed", seed);
    }

    /**
     * This config with one key replaced: {@code section.key} and a value as YAML would hold it (a
     * number, a string, a boolean, a list); checked like a config file's.
     */
    public TrainConfig with(String dottedKey, Object value) {
        ObjectNode root = (ObjectNode) toTree();
        int dot = dottedKey.indexOf('.');
        if (dot < 0) throw new IllegalArgumentException("a config key is section.key, got '" + dottedKey + "'");
        ObjectNode section = (ObjectNode) root.get(dottedKey.substring(0, dot));
        if (section == null) throw new IllegalArgumentException("no config section '" + dottedKey.substring(0, dot) + "'");
        section.set(dottedKey.substring(dot + 1), MAPPER.valueToTree(value));
        return parse(root, "config with " + dottedKey + " = " + value);
    }

    /** The complete config as a tree (what {@link #toYaml()} writes, read back). */
    public JsonNode toTree() {
        return MAPPER.readTree(toYaml());
    }

    private static final YAMLMapper MAPPER = new YAMLMapper();

    /** The complete config as YAML, every key written, in the order {@link #parse} reads them. */
    public String toYaml() {
        StringBuilder sb = new StringBuilder();
        sb.append("model:\n");
        kv(sb, "embedding_dim", model.embeddingDim, "n_a");
        kv(sb, "latent_dim", model.latentDim, "n_x");
        kv(sb, "hidden", list(model.hidden), "each modality's encoder; decoders reversed");
        kv(sb, "fusion_hidden", list(model.fusionHidden), "fusion network of multiscale models");
        kv(sb, "init_cov_scale", num(model.initCovScale), "Sigma_0 = init_cov_scale * I");
        kv(sb, "gaussian_variance", num(model.gaussianVariance), "fixed variance of Gaussian modalities");
        kv(sb, "modalities", model.modalities == null ? "all" : "[" + String.join(", ", model.modalities) + "]",
                "of the mrine model, or all");
        sb.append("loss:\n");
        kv(sb, "tau", loss.tau == null ? "auto" : num(loss.tau), "weight of Poisson log-likelihoods, or auto");
        kv(sb, "scale_l2", num(loss.scaleL2), "times the sum of MLP weight norms");
        kv(sb, "smooth_poisson", num(loss.smoothPoisson), "w_s");
        kv(sb, "smooth_gaussian", num(loss.smoothGaussian), "w_y");
        kv(sb, "smooth_latent", num(loss.smoothLatent), "w_x");
        kv(sb, "steps_ahead", list(loss.stepsAhead), "0 = smoothing term");
        sb.append("training:\n");
        Training t = training;
        kv(sb, "epochs", t.autoEpochs() ? "auto" : t.epochs, "auto: as many as max_steps needs");
        kv(sb, "max_steps", t.maxSteps, "optimizer steps when epochs is auto");
        kv(sb, "patience_steps", t.patienceSteps, "early stopping: steps without a better validation loss, 0 = off");
        kv(sb, "validation_fraction", num(t.validationFraction), "of the training trials, held out for early stopping");
        kv(sb, "batch_size", t.batchSize, "trials per batch");
        kv(sb, "lr_base", num(t.lrBase), "cyclic learning rate, stepped per epoch");
        kv(sb, "lr_max", num(t.lrMax), null);
        kv(sb, "lr_step_up", t.lrStepUp, "epochs from base to max (and back)");
        kv(sb, "lr_mode", t.lrMode, String.join(", ", LR_MODES));
        kv(sb, "lr_gamma", num(t.lrGamma), "exp_range decay per epoch");
        kv(sb, "adam_beta1", num(t.adamBeta1), null);
        kv(sb, "adam_beta2", num(t.adamBeta2), null);
        kv(sb, "adam_eps", num(t.adamEps), null);
        kv(sb, "grad_clip", num(t.gradClip), "global gradient-norm limit, 0 = off");
        kv(sb, "dropout", num(t.dropout), "encoder inputs and fused embedding");
        kv(sb, "time_dropout", num(t.timeDropout), "fraction of each modality's samples hidden per batch");
        kv(sb, "zscore_gaussian", t.zscoreGaussian, "with training statistics over available samples");
        kv(sb, "seed", t.seed, null);
        kv(sb, "checkpoint_every", t.checkpointEvery, "epochs; and at the end");
        kv(sb, "validate_every", t.validateEvery, "epochs between held-out losses, 0 = never");
        kv(sb, "backend", t.backend, String.join(", ", BACKENDS));
        sb.append("evaluation:\n");
        kv(sb, "folds", evaluation.folds, "contiguous blocks of trials");
        kv(sb, "wiener_lags", evaluation.wienerLags, "bins of history of the Wiener filter baseline");
        return sb.toString();
    }

    private static void kv(StringBuilder sb, String key, Object value, String comment) {
        String line = "  " + key + ": " + value;
        sb.append(line);
        if (comment != null) sb.append(" ".repeat(Math.max(1, 32 - line.length()))).append("# ").append(comment);
        sb.append('\n');
    }

    private static String list(int[] a) {
        return Arrays.toString(a);
    }

    /** Shortest text that reads back as the same double, always with a '.' or exponent (a YAML float). */
    private static String num(double d) {
        String s = Double.toString(d);
        return s.toLowerCase(Locale.ROOT).replace("e", "e+").replace("e+-", "e-");
    }
}
