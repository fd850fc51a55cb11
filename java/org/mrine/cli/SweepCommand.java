package org.mrine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.data.Datasets;
import org.mrine.data.ModalityData;
import org.mrine.eval.ModelChoice;
import org.mrine.io.Outputs;
import org.mrine.io.TempFiles;
import org.mrine.model.Likelihood;
import org.mrine.sweep.CellExecutor;
import org.mrine.sweep.CellResult;
import org.mrine.sweep.Grid;
import org.mrine.sweep.LocalExecutor;
import org.mrine.sweep.Selection;
import org.mrine.sweep.Sweep;
import org.mrine.sweep.SweepOutcome;
import org.mrine.sweep.SweepPlan;
import org.mrine.sweep.SweepReport;
import org.mrine.train.TrainConfig;
import org.mrine.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code mrine sweep}: hyperparameter search scored by nested cross-validation, on threads or a Spark cluster. */
@Command(name = "sweep", mixinStandardHelpOptions = true,
        description = {"Searches a grid of settings (a YAML file mirroring the config, each swept key a list of values) by nested "
                + "cross-validation: inner folds choose a setting on each outer fold's training trials, the outer fold scores it once. "
                + "The Wiener filter is searched the same way (evaluation.wiener_lags) as the baseline. Writes results.csv/json (every "
                + "cell), summary.json/md (choices, nested estimates), plots/, and final/mrine/checkpoint.safetensors: the final "
                + "setting retrained on all trials (for mrine stream). A rerun into the same folder skips finished cells.",
                "Cells run on Apache Spark when the mrine-spark module is on the class path (--executor spark, --master), else on "
                        + "threads of this process.",
                "Exit status: 0 done, 2 bad input (checked before anything trains), 3 the final training diverged.", ""})
final class SweepCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "dataset file (what mrine simulate or an importer wrote, or a recording)")
    Path data;

    @Option(names = "--grid", required = true, description = "the search space: YAML like the config, swept keys holding lists")
    Path grid;

    @Option(names = "--out", required = true, description = "results folder (a rerun continues it)")
    Path out;

    @Option(names = "--config", description = "the config the grid's settings start from (default: the defaults)")
    Path config;

    @Option(names = "--random", paramLabel = "N", description = "random search: N settings drawn from the grid (default: every setting)")
    Integer random;

    @Option(names = "--seed", description = "seed of --random (default: ${DEFAULT-VALUE})")
    long seed = 0;

    @Option(names = "--outer-folds", paramLabel = "K", description = "outer folds (default: evaluation.folds)")
    Integer outerFolds;

    @Option(names = "--inner-folds", paramLabel = "J", description = "inner folds within each outer training set (default: ${DEFAULT-VALUE})")
    int innerFolds = 3;

    @Option(names = "--select", paramLabel = "RULE", description = "best (best mean) or one-se (smallest model within one s.e.m. of the best; "
            + "default: ${DEFAULT-VALUE})")
    String select = "best";

    @Option(names = "--criterion", description = "cc (held-out CC of behavior from filtered latents) or loss (held-out loss; "
            + "default: ${DEFAULT-VALUE})")
    String criterion = "cc";

    @Option(names = "--wiener", paramLabel = "MOD", description = "the modality the Wiener filter baseline reads, or none "
            + "(default: the only count modality)")
    String wiener;

    @Option(names = "--executor", description = "auto (spark when available), local or spark (default: ${DEFAULT-VALUE})")
    String executor = "auto";

    @Option(names = "--master", description = "Spark master: local[N], spark://HOST:PORT, yarn, k8s://... (default: local[*])")
    String master;

    @Option(names = "--threads", description = "cells at once on this machine (local executor, or Spark's local master; default: all cores)")
    int threads = 0;

    @Option(names = "--retry-failed", description = "run cells that failed in an earlier run again")
    boolean retryFailed;

    @Option(names = "--no-final", description = "do not retrain the final setting on all trials")
    boolean noFinal;

    @Option(names = "--no-plots", description = "skip the PNG figures")
    boolean noPlots;

    @Option(names = "--force", description = "write into a folder of yours (replacing files there with the names sweep writes)")
    boolean force;

    @Override
    public Integer call() throws Exception {
        long start = System.nanoTime();
        if (threads < 0) throw new IllegalArgumentException("--threads must be >= 0, got " + threads);
        if (random != null && random < 1) throw new IllegalArgumentException("--random must be >= 1, got " + random);
        Selection selection = new Selection(Selection.Rule.parse(select), Selection.Criterion.parse(criterion));
        TrainConfig base = config == null ? TrainConfig.defaults() : TrainConfig.load(config);
        Grid g = Grid.load(grid, base);
        if (selection.criterion() == Selection.Criterion.LOSS) {
            for (String k : g.swept().keySet()) {
                if (k.startsWith("loss.") || k.equals("model.modalities")) {
                    throw new IllegalArgumentException(grid + ": " + k + " changes what the held-out loss measures, so --criterion loss "
                            + "cannot compare its settings; use --criterion cc");
                }
            }
        }
        // cells that run on this machine need its backend here; on a cluster (--master) they run where its workers' devices are
        if (master == null || executor.equals("local")) Backends.requireAvailable(base.training().backend());
        Dataset raw = Datasets.open(data);
        // a rerun continues an earlier sweep in the same folder (its cells/ says so)
        Outputs outputs = new Outputs("sweep", force).input(data, "--data").input(grid, "--grid").input(config, "--config");
        try (Outputs.Folder folder = outputs.folder(out, "--out", Files.isDirectory(out.resolve("cells")))) {
            for (String name : SweepReport.FILES) folder.file(name);
            folder.file("data.safetensors");
            folder.tree("cells");
            folder.tree("plots");
            folder.tree("final");
            folder.begin();
            return sweep(start, selection, base, g, raw);
        }
    }

    private int sweep(long start, Selection selection, TrainConfig base, Grid g, Dataset raw) throws Exception {
        Path datasetFile = data;
        if (!data.getFileName().toString().endsWith(".safetensors")) {
            datasetFile = out.resolve("data.safetensors");  // what executors read: the recording as imported with the defaults
            raw.save(datasetFile);
        }
        String dataHash = SweepPlan.sha256(Files.readAllBytes(datasetFile));
        List<Map<String, JsonNode>> settings = random == null ? g.all() : g.sample(random, seed);
        int K = outerFolds != null ? outerFolds : base.evaluation().folds();
        SweepPlan plan = SweepPlan.of(g, settings, raw, wienerModality(raw), K, innerFolds, dataHash);

        Map<String, CellResult> results;
        String where;
        try (CellExecutor ex = executor(master, threads)) {
            where = ex.describe();
            results = Sweep.run(plan, datasetFile, out, ex, retryFailed, System.out);
        }
        SweepOutcome outcome = SweepOutcome.of(plan, results, selection);

        Map<String, Object> info = new LinkedHashMap<>();
        info.put("data", data.toString());
        info.put("grid", grid.toString());
        info.put("settings", (long) settings.size() + (random != null ? " of " + g.size() + " (random, seed " + seed + ")" : ""));
        info.put("executor", where);
        SweepPlan.Candidate fin = outcome.mrine().finalCandidate();
        int status = 0;
        if (fin != null && !noFinal) {
            System.out.println("final: " + fin.label() + ", retrained on all " + raw.trials() + " trials");
            int[] all = new int[raw.trials()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            try {
                Path ck = TrainCommand.trainOne(fin.config(), raw, new ModelChoice("mrine", fin.modalities()), all, new int[0],
                        out.resolve("final"), false, System.out);
                TempFiles.writeString(out.resolve("final").resolve("config.yaml"), fin.config().toYaml());
                info.put("final_checkpoint", out.relativize(ck).toString());
            } catch (TrainingDivergedException e) {
                System.err.println("mrine: final model: " + e.getMessage());
                status = 3;
            }
        }
        info.put("wall_seconds", Math.round((System.nanoTime() - start) / 1e8) / 10.0);
        SweepReport.write(out, plan, results, outcome, info, !noPlots);
        System.out.println();
        System.out.print(Files.readString(out.resolve("summary.md")).lines()
                .dropWhile(l -> !l.startsWith("## Nested")).takeWhile(l -> !l.startsWith("## Every")).map(l -> l + "\n")
                .reduce("", String::concat));
        System.out.printf(Locale.ROOT, "results in %s (results.csv/json, summary.json/md%s%s)%n", out, noPlots ? "" : ", plots/",
                info.containsKey("final_checkpoint") ? ", " + info.get("final_checkpoint") : "");
        return status;
    }

    /** The Wiener filter's modality: --wiener, else the only count modality; none when there is not exactly one. */
    private String wienerModality(Dataset raw) {
        if (wiener != null) {
            if (wiener.equals("none")) return null;
            raw.modality(wiener);
            return wiener;
        }
        List<ModalityData> counts = raw.modalities().stream().filter(m -> m.likelihood() == Likelihood.POISSON).toList();
        if (counts.size() != 1) {
            System.out.println("sweep: no Wiener filter baseline (" + counts.size() + " count modalities; name one with --wiener MOD)");
            return null;
        }
        return counts.get(0).name();
    }

    /** Spark when asked for (or, with auto, when its module is on the class path), else threads here. */
    private CellExecutor executor(String master, int threads) {
        if (!List.of("auto", "local", "spark").contains(executor)) {
            throw new IllegalArgumentException("--executor must be auto, local or spark, got '" + executor + "'");
        }
        CellExecutor.Provider spark = null;
        for (CellExecutor.Provider p : ServiceLoader.load(CellExecutor.Provider.class)) if (p.name().equals("spark")) spark = p;
        if (executor.equals("spark") || master != null && !executor.equals("local")) {
            if (spark == null) {
                throw new IllegalArgumentException("--executor spark: the mrine-spark module is not on the class path (build it with "
                        + "mvn -f spark/pom.xml package; the ./mrine launcher adds it when built)");
            }
            return spark.create(master, threads);
        }
        if (executor.equals("auto") && spark != null) return spark.create(null, threads);
        return new LocalExecutor(threads);
    }
}
