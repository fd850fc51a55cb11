package org.mrine.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.data.Datasets;
import org.mrine.eval.Folds;
import org.mrine.eval.ModelChoice;
import org.mrine.io.Outputs;
import org.mrine.io.TempFiles;
import org.mrine.stream.Readouts;
import org.mrine.train.Checkpoint;
import org.mrine.train.ConsoleProgress;
import org.mrine.train.EarlyStop;
import org.mrine.train.EpochStats;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingDivergedException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mrine train}: trains models on a dataset, one checkpoint per model. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Trains MRINE (and/or single-scale models) on a dataset and writes <out>/<model>/checkpoint.safetensors "
                + "every training.checkpoint_every epochs and at the end, then readout.safetensors (OLS from filtered latents to behavior, "
                + "for mrine stream). --resume continues exactly where a checkpoint stopped.",
                "Exit status: 0 done, 2 bad input, 3 training diverged (non-finite loss; the last good checkpoint is kept).", ""})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, description = "dataset file (what mrine simulate or an importer wrote)")
    Path data;

    @Option(names = "--out", required = true, description = "output folder")
    Path out;

    @Mixin
    ModelOptions options;

    @Option(names = "--resume", description = "continue from <out>/<model>/checkpoint.safetensors where it exists")
    boolean resume;

    @Option(names = "--force", description = "start over even where <out>/<model>/checkpoint.safetensors exists (it is replaced), "
            + "and replace files of yours in --out that have the names train writes")
    boolean force;

    @Option(names = "--holdout-fold", paramLabel = "K",
            description = "hold out fold K (1..evaluation.folds, contiguous trials) for the validation loss; default: train on all trials")
    Integer holdout;

    @Override
    public Integer call() throws Exception {
        TrainConfig cfg = options.config();
        Dataset raw = Datasets.open(data);
        List<ModelChoice> models = options.models(raw);
        Backends.requireAvailable(cfg.training().backend());
        Outputs outputs = new Outputs("train", force).input(data, "--data").input(options.config, "--config");
        try (Outputs.Folder folder = outputs.folder(out, "--out", resume)) {
            return train(cfg, raw, models, folder);
        }
    }

    private int train(TrainConfig cfg, Dataset raw, List<ModelChoice> models, Outputs.Folder folder) throws Exception {
        int[] train, valid;
        if (holdout == null) {
            train = new int[raw.trials()];
            for (int i = 0; i < train.length; i++) train[i] = i;
            valid = new int[0];
        } else {
            int k = cfg.evaluation().folds();
            if (holdout < 1 || holdout > k) throw new IllegalArgumentException("--holdout-fold must be in 1.." + k + ", got " + holdout);
            Folds folds = new Folds(raw.trials(), k);
            train = folds.train(holdout - 1);
            valid = folds.test(holdout - 1);
        }
        // every file this run writes, checked before any model trains
        for (ModelChoice m : models) {
            folder.checkpoint(m.name() + "/checkpoint.safetensors", resume);
            folder.file(m.name() + "/readout.safetensors");
        }
        folder.begin();
        writeConfig(cfg, folder);
        for (ModelChoice m : models) {
            try {
                trainOne(cfg, raw, m, train, valid, out, resume, System.out);
            } catch (TrainingDivergedException e) {
                System.err.println("mrine: " + m.name() + ": " + e.getMessage());
                return 3;
            }
        }
        return 0;
    }

    /**
     * Trains one model into {@code <out>/<model>/checkpoint.safetensors} (resuming it when asked and
     * present), then writes the behavior readout beside it ({@code readout.safetensors}: OLS from
     * filtered latents on the training trials, what {@code mrine stream} applies).
     *
     * @return the checkpoint file
     */
    static Path trainOne(TrainConfig cfg, Dataset raw, ModelChoice m, int[] train, int[] valid, Path out, boolean resume,
                         PrintStream console) throws IOException {
        Path file = out.resolve(m.name()).resolve("checkpoint.safetensors");
        Files.createDirectories(file.getParent());
        Checkpoint ck = resume && Files.exists(file) ? Checkpoint.load(file) : null;
        Trainer.Run run = Trainer.Run.prepare(cfg, raw, train, valid, m.modalities(), ck);
        try (Backend be = Backends.create(cfg.training().backend())) {
            Trainer trainer = new Trainer(run, be);
            console.printf(Locale.ROOT, "%s: modalities %s, %d training trials%s, tau %.4g, %s%n", m.name(), m.modalities(),
                    run.train().length, run.stop().length > 0 ? " + " + run.stop().length + " for early stopping" : "", run.tau(),
                    budget(cfg.training(), trainer));
            if (ck != null) {
                trainer.resume(ck, file.toString());
                console.println(m.name() + ": resumed from " + file + " at epoch " + ck.epoch());
            }
            List<EpochStats> h = trainer.fit(file, new ConsoleProgress(console, console == System.out && ConsoleProgress.stdoutIsTerminal(), m.name()));
            // the behavior readout a streaming decoder applies: OLS from filtered latents, on the training trials
            Path readout = file.resolveSibling("readout.safetensors");
            Readouts.save(readout, Readouts.fit(trainer.model(), trainer.run().data(), train, m.modalities(), trainer.batchSize()));
            String last = h.isEmpty() ? "no epochs" : String.format(Locale.ROOT, "final loss %.4g", h.get(h.size() - 1).trainTotal());
            EarlyStop stop = trainer.earlyStop();
            String kept = stop.bestEpoch() > 0 ? String.format(Locale.ROOT, "; kept epoch %d (validation loss %.4g)%s", stop.bestEpoch(),
                    stop.bestLoss(), stop.stopped() ? ", stopped early at epoch " + trainer.completedEpochs() : "") : "";
            console.println(m.name() + ": " + last + kept + "; checkpoint " + file);
        }
        return file;
    }

    /** "3000 optimizer steps (125 epochs of 24 batches), early stopping after 500 steps without a better validation loss" */
    static String budget(TrainConfig.Training t, Trainer trainer) {
        int epochs = trainer.plannedEpochs(), batches = trainer.batchesPerEpoch();
        String plan = t.autoEpochs()
                ? String.format(Locale.ROOT, "up to %d optimizer steps (%d epochs of %d batches)", (long) epochs * batches, epochs, batches)
                : String.format(Locale.ROOT, "%d epochs of %d batches", epochs, batches);
        return plan + (trainer.run().stop().length > 0 ? ", early stopping after " + t.patienceSteps() + " steps without a better validation loss"
                : "");
    }

    /** config.yaml, the config used; left as it is when it is this run's --config (the checkpoint holds the config too). */
    private void writeConfig(TrainConfig cfg, Outputs.Folder folder) throws java.io.IOException {
        Path file = out.resolve("config.yaml");
        if (options.config != null && Files.exists(file) && Files.isSameFile(options.config, file)) {
            if (!Files.readString(file).equals(cfg.toYaml())) {
                System.out.println("note: " + file + " is this run's --config, so it stays as it is; the checkpoints hold the config used");
            }
            return;
        }
        TempFiles.writeString(folder.file("config.yaml"), cfg.toYaml());
    }
}
