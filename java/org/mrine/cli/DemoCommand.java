package org.mrine.cli;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.eval.CvResult;
import org.mrine.eval.ModelChoice;
import org.mrine.eval.Scores;
import org.mrine.eval.Summary;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;
import org.mrine.train.TrainConfig;
import org.mrine.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mrine demo}: the main job. Simulates the stochastic Lorenz benchmark (field 5x slower than
 * spikes), cross-validates MRINE and both single-scale models with a short schedule, and writes a
 * results folder with metrics, plots and a report.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Simulates the stochastic Lorenz benchmark (spikes every 10 ms step, field every 5th), trains MRINE and "
                + "the spikes-only and field-only models with 5-fold cross-validation, and writes metrics.json, PNG plots, "
                + "report.md, the config and the checkpoints to the results folder. A few minutes on two cores.", ""})
final class DemoCommand implements Callable<Integer> {

    /**
     * The demo's config: the paper's loss weights, optimizer, learning-rate schedule and batch size,
     * a smaller network and one learning-rate cycle (10 epochs up, 10 down) so that 15 fold models
     * train in minutes on two cores.
     */
    static final String CONFIG = """
            model:
              embedding_dim: 16
              latent_dim: 16
              hidden: [64, 64]
              fusion_hidden: [64]
            training:
              epochs: 20
              checkpoint_every: 10
              validate_every: 5
            """;

    @Option(names = "--out", description = "results folder (default: results/<name>)")
    Path out;

    @Option(names = "--name", description = "name of the results folder under results/ (default: demo-<date>-<time>)")
    String name;

    @Option(names = "--config", description = "YAML config replacing the demo's (see README for the keys)")
    Path config;

    @Option(names = "--epochs", description = "overrides training.epochs (demo: 20)")
    Integer epochs;

    @Option(names = "--trials", description = "simulated trials (default: ${DEFAULT-VALUE})")
    int trials = 200;

    @Option(names = "--steps", description = "steps of 10 ms per trial (default: ${DEFAULT-VALUE})")
    int steps = 100;

    @Option(names = "--field-ratio", description = "the field is sampled every Nth step (default: ${DEFAULT-VALUE})")
    int fieldRatio = 5;

    @Option(names = "--seed", description = "simulation seed (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--threads", description = "fold jobs in parallel (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--no-drop-sweep", description = "skip the robustness curve (spike samples dropped with probability 0 to 0.8)")
    boolean noDropSweep;

    @Option(names = "--force", description = "start over in a results folder of an earlier run (its checkpoints are replaced), "
            + "and replace files of yours there that have the names demo writes")
    boolean force;

    @Override
    public Integer call() throws Exception {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        TrainConfig cfg = config == null ? TrainConfig.parse(CONFIG, "demo config") : TrainConfig.load(config);
        if (epochs != null) {
            if (epochs < 1) throw new IllegalArgumentException("--epochs must be >= 1, got " + epochs);
            cfg = cfg.withEpochs(epochs);
        }
        if (out != null && name != null) throw new IllegalArgumentException("give --out or --name, not both");
        if (name != null && !name.matches("[A-Za-z0-9_][A-Za-z0-9_.\\-]*")) {
            throw new IllegalArgumentException("--name '" + name + "': expected a folder name under results/ (letters, digits, '.', '_', '-'; "
                    + "no '/' or '..'); use --out for a folder elsewhere");
        }
        Path dir = out != null ? out
                : Path.of("results", name != null ? name : "demo-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // the simulation's settings and the backend are checked before the results folder is made
        Backends.requireAvailable(cfg.training().backend());
        LorenzOptions sim = LorenzOptions.DEFAULTS.withSize(trials, steps).withFieldRatio(fieldRatio).withSeeds(seed, LorenzOptions.DEFAULTS.dropSeed());
        try (org.mrine.io.Outputs.Folder folder = ResultsFolder.claim(new org.mrine.io.Outputs("demo", force).input(config, "--config"),
                dir, out != null ? "--out" : "--name", false, "data.safetensors")) {
            return run(cfg, sim, dir);
        }
    }

    private int run(TrainConfig cfg, LorenzOptions sim, Path dir) {
        Dataset data = LorenzSimulator.simulate(sim);
        data.save(dir.resolve("data.safetensors"));
        System.out.println("simulated " + SimulateCommand.describe(data));

        List<ModelChoice> models = ModelChoice.defaults(data);
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("data", "data.safetensors (mrine simulate --trials " + trials + " --steps " + steps + " --field-ratio " + fieldRatio
                + " --seed " + seed + ")");
        CvResult r;
        try {
            r = CvRunner.run(data, cfg, models, threads, dir, false, noDropSweep ? null : "s", CvRunner.DEFAULT_DROP_LEVELS, false, true,
                    "MRINE demo: stochastic Lorenz, field sampled every " + fieldRatio + " steps", extra, System.out);
        } catch (TrainingDivergedException e) {
            System.err.println("mrine: " + e.getMessage());
            return 3;
        }
        System.out.println(finding(r, fieldRatio));
        return 0;
    }

    /** Whether MRINE's filtered CC is above every single-scale model's, in words. */
    static String finding(CvResult r, int fieldRatio) {
        double mrine = Summary.of(r.folds("mrine"), Scores::filtered).mean();
        StringBuilder others = new StringBuilder();
        boolean above = true;
        for (ModelChoice m : r.models()) {
            if (m.name().equals("mrine")) continue;
            double cc = Summary.of(r.folds(m.name()), Scores::filtered).mean();
            above &= mrine > cc;
            others.append(String.format(Locale.ROOT, "%s %.3f, ", m.name(), cc));
        }
        others.setLength(Math.max(0, others.length() - 2));
        return String.format(Locale.ROOT, "%s: MRINE's filtered CC %.3f vs %s (field sampled every %d steps)",
                above ? "finding reproduced" : "finding NOT reproduced", mrine, others, fieldRatio);
    }
}
