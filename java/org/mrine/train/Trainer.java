package org.mrine.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.backend.Backend;
import org.mrine.data.Dataset;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;

/**
 * Trains one model on a set of trials: Adam with the cyclic learning rate stepped per epoch, global
 * gradient-norm clipping, dropout and time dropout, reshuffled batches of a fixed size (the
 * remainder of an epoch's shuffled order waits for the next epoch, so every batch has one shape).
 *
 * <p>Every random draw after initialization (batch order, dropout, time dropout) comes from one
 * {@link SplitMix64} stream whose state the checkpoint saves, so a run resumed from a checkpoint
 * continues bit for bit as if it had never stopped.
 */
public final class Trainer {

    /**
     * What to train on.
     *
     * @param data          the dataset, already normalized with {@code normalization}
     * @param train         the trials the optimizer sees
     * @param stop          early stopping's validation trials, carved from the given training trials (empty
     *                      when early stopping is off): their loss picks the epoch whose parameters are kept
     * @param valid         held-out trial indices for the held-out loss curve (may be empty; never used to choose anything)
     * @param modalities    the modalities the model uses, in order (one = single-scale)
     * @param tau           weight of Poisson log-likelihoods
     * @param normalization what was applied to the raw data (saved in checkpoints)
     */
    public record Run(TrainConfig config, Dataset data, int[] train, int[] stop, int[] valid, List<ModalityInfo> modalities,
                      double tau, Normalization normalization) {

        public List<String> modalityNames() {
            return modalities.stream().map(ModalityInfo::name).toList();
        }

        /**
         * With early stopping on, the last contiguous block of {@code training.validation_fraction} of
         * the given training trials becomes the validation block and the rest is trained on.
         * Normalization fitted on the trials trained on (or taken from the checkpoint being resumed),
         * tau (config value, the checkpoint's, or computed), the given modalities of the raw data.
         */
        public static Run prepare(TrainConfig config, Dataset raw, int[] given, int[] valid, List<String> modalityNames,
                                  Checkpoint resume) {
            if (given.length == 0) throw new IllegalArgumentException("no training trials");
            int stopCount = stopTrials(config.training(), given.length);
            int[] train = java.util.Arrays.copyOf(given, given.length - stopCount);
            int[] stop = java.util.Arrays.copyOfRange(given, given.length - stopCount, given.length);
            List<ModalityInfo> mods = new ArrayList<>();
            for (String n : modalityNames) mods.add(ModalityInfo.of(raw.modality(n)));
            Normalization norm;
            double tau;
            if (resume != null) {
                norm = resume.normalization();
                tau = resume.tau();
            } else {
                norm = config.training().zscoreGaussian() ? Normalization.fit(raw, train) : Normalization.none();
                tau = config.loss().tau() != null ? config.loss().tau() : AutoTau.compute(norm.apply(raw), train);
            }
            return new Run(config, norm.apply(raw), train, stop, valid.clone(), mods, tau, norm);
        }

        /** How many of {@code trials} training trials early stopping holds out: at least one, never all. */
        static int stopTrials(TrainConfig.Training t, int trials) {
            if (!t.earlyStopping() || trials < 2) return 0;
            return (int) Math.max(1, Math.min(trials - 1, Math.round(t.validationFraction() * trials)));
        }
    }

    private final Run run;
    private final TrainConfig.Training cfg;
    private final Backend be;
    private final MrineModel model;
    private final Adam adam;
    private final SplitMix64 rng;
    private final CyclicLr schedule;
    private final List<EpochStats> history = new ArrayList<>();
    private final int batchSize;
    private int epoch;                 // completed epochs
    private int lastSaved = -1;        // epoch of the newest checkpoint on disk, -1 if none
    /** Early stopping: the parameters of the epoch with the lowest validation loss so far (null when off). */
    private final org.mrine.model.Parameters best;
    private EarlyStop stopState = EarlyStop.NONE;

    public Trainer(Run run, Backend be) {
        this.run = run;
        this.cfg = run.config().training();
        this.be = be;
        this.model = new MrineModel(run.config().modelConfig(run.modalities(), run.tau()), be);
        model.initialize(new SplitMix64(cfg.seed()));
        this.adam = new Adam(be, model.params, model.grads, cfg.adamBeta1(), cfg.adamBeta2(), cfg.adamEps());
        this.rng = new SplitMix64(cfg.seed() ^ 0x6a09e667f3bcc909L);  // a stream apart from the initialization's
        this.schedule = CyclicLr.of(cfg);
        this.batchSize = Math.min(cfg.batchSize(), run.train().length);
        this.best = run.stop().length > 0 ? model.params.like(be.workspace()) : null;
    }

    /** Early stopping so far: the best epoch (0 = none yet), its validation loss, whether training ended on it. */
    public EarlyStop earlyStop() {
        return stopState;
    }

    /** Optimizer steps in one epoch (every batch has the full batch size; the rest waits for the next epoch). */
    public int batchesPerEpoch() {
        return run.train().length / batchSize;
    }

    /** The epochs this run makes unless early stopping ends it sooner. */
    public int plannedEpochs() {
        return cfg.plannedEpochs(batchesPerEpoch());
    }

    public MrineModel model() {
        return model;
    }

    /** What this trainer trains on (the normalized data, trials, tau). */
    public Run run() {
        return run;
    }

    public int completedEpochs() {
        return epoch;
    }

    public List<EpochStats> history() {
        return List.copyOf(history);
    }

    /** Trials per forward pass, also for evaluation (one activation shape per model). */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Continues from a checkpoint of the same run. Only the number of epochs may differ between its
     * config and this one: anything else would not be a continuation.
     */
    public void resume(Checkpoint ck, String where) {
        String mine = budgetFree(run.config()), theirs = budgetFree(ck.config());
        if (!mine.equals(theirs)) {
            throw new IllegalArgumentException(where + ": the checkpoint was trained with another config (" + firstDifference(theirs, mine)
                    + "); only training.epochs and training.max_steps may change when resuming");
        }
        if (!ck.modalities().equals(run.modalities())) {
            throw new IllegalArgumentException(where + ": the checkpoint's model uses modalities " + ck.modalities()
                    + ", this run " + run.modalities());
        }
        ck.restore(model, best, adam, rng, where);
        stopState = ck.earlyStop();
        history.clear();
        history.addAll(ck.history());
        epoch = ck.epoch();
        lastSaved = ck.epoch();
    }

    /** The config without the training budget (what a resumed run may change). */
    private static String budgetFree(TrainConfig c) {
        return c.withEpochs(0).with("training.max_steps", 1).toYaml();
    }

    private static String firstDifference(String a, String b) {
        String[] x = a.split("\n"), y = b.split("\n");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) return "checkpoint '" + x[i].strip() + "' vs now '" + y[i].strip() + "'";
        }
        return "different keys";
    }

    /**
     * A snapshot of this run: with early stopping the parameters of its best epoch, beside the
     * current ones that training continues from.
     */
    public Checkpoint checkpoint() {
        return Checkpoint.capture(run.config(), epoch, run.modalities(), run.tau(), run.normalization(), model,
                stopState.bestEpoch() > 0 ? best : null, stopState, adam, rng, history);
    }

    /**
     * Trains until the planned epochs are complete ({@code training.epochs}, or as many as
     * {@code training.max_steps} needs) or early stopping ends the run, writing {@code checkpointFile}
     * (if not null) every {@code checkpoint_every} epochs and at the end. With early stopping the
     * model ends with the parameters of its best epoch.
     *
     * @throws TrainingDivergedException when a loss or gradient norm is not finite, or a covariance
     *                                   stops being positive definite
     */
    public List<EpochStats> fit(Path checkpointFile, TrainingListener listener) {
        final int batches = batchesPerEpoch();
        final int epochs = plannedEpochs();
        final int[] train = run.train();
        final List<String> mods = run.modalityNames();
        TrainingNoise noise = new TrainingNoise(cfg.dropout(), cfg.timeDropout(), rng);
        double secondsSoFar = 0;
        int epochsTimed = 0;
        while (epoch < epochs && !stopState.stopped()) {
            final double lr = schedule.at(epoch);
            final int shown = epoch + 1;
            long start = System.nanoTime();
            listener.epochStarted(shown, epochs, batches, lr);
            int[] order = shuffled(train);
            Map<String, Double> sums = new LinkedHashMap<>();
            for (int b = 0; b < batches; b++) {
                int[] idx = java.util.Arrays.copyOfRange(order, b * batchSize, (b + 1) * batchSize);
                Map<String, Double> terms;
                double norm;
                try {
                    // everything up to the clip is enqueued; terms() is the step's one wait for a GPU
                    MrineModel.PendingLoss pending = model.startLossAndGradient(run.data().batch(idx, mods), noise);
                    be.clipGradNorm(model.grads.flat(), cfg.gradClip(), pending.sums(), pending.auxSlot());
                    terms = pending.terms();
                    norm = pending.aux();
                } catch (ArithmeticException e) {
                    // a covariance that is no longer positive definite: the parameters have diverged
                    throw diverged(numerical(e), shown, epochs, b + 1, batches, checkpointFile, lastSaved);
                }
                double total = terms.get("total_loss");
                if (!Double.isFinite(total)) throw diverged("non-finite loss " + total, shown, epochs, b + 1, batches, checkpointFile, lastSaved);
                if (!Double.isFinite(norm)) throw diverged("non-finite gradient norm " + norm, shown, epochs, b + 1, batches, checkpointFile, lastSaved);
                adam.step(lr);
                terms.forEach((k, v) -> sums.merge(k, v, Double::sum));
                sums.merge("grad_norm", norm, Double::sum);
                double elapsed = (System.nanoTime() - start) / 1e9;
                listener.batchDone(shown, b + 1, batches, terms, (b + 1) * batchSize / elapsed);
            }
            Map<String, Double> means = new LinkedHashMap<>();
            sums.forEach((k, v) -> means.put(k, v / batches));
            double valid = Double.NaN;
            boolean validate = run.valid().length > 0 && cfg.validateEvery() > 0
                    && (shown % cfg.validateEvery() == 0 || shown == epochs);
            if (validate) valid = heldOutLoss(run.valid(), shown, epochs, checkpointFile);
            double stopLoss = Double.NaN;
            if (best != null) {
                stopLoss = heldOutLoss(run.stop(), shown, epochs, checkpointFile);
                if (stopState.improvedBy(stopLoss)) {
                    best.flat().copyFrom(model.params.flat());
                    stopState = new EarlyStop(shown, stopLoss, false);
                } else if ((long) (shown - stopState.bestEpoch()) * batches >= cfg.patienceSteps()) {
                    stopState = new EarlyStop(stopState.bestEpoch(), stopState.bestLoss(), true);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochStats stats = new EpochStats(shown, lr, means, valid, stopLoss, seconds);
            history.add(stats);
            epoch = shown;
            secondsSoFar += seconds;
            epochsTimed++;
            boolean last = epoch == epochs || stopState.stopped();
            if (checkpointFile != null && (epoch % cfg.checkpointEvery() == 0 || last)) {
                save(checkpointFile, shown, epochs, batches);
            }
            listener.epochDone(stats, epochs, last ? 0 : secondsSoFar / epochsTimed * (epochs - epoch));
        }
        if (checkpointFile != null && lastSaved != epoch) {
            // nothing left to train (resumed at the end): still leave the final checkpoint
            save(checkpointFile, epoch, epochs, batches);
        }
        if (best != null && stopState.bestEpoch() > 0) model.params.flat().copyFrom(best.flat());
        return history();
    }

    /** The mean loss of held-out trials; a covariance that is no longer positive definite there is divergence too. */
    private double heldOutLoss(int[] trials, int shown, int epochs, Path checkpointFile) {
        try {
            return Inference.meanLoss(model, run.data(), trials, run.modalityNames(), batchSize);
        } catch (ArithmeticException e) {
            throw diverged(numerical(e) + " in the held-out loss", shown, epochs, batchesPerEpoch(), batchesPerEpoch(), checkpointFile, lastSaved);
        }
    }

    /** Writes the checkpoint, never one holding a non-finite value: a checkpoint on disk is always a good one. */
    private void save(Path file, int shown, int epochs, int batches) {
        Checkpoint c = checkpoint();
        String bad = c.firstNonFinite();
        if (bad != null) throw diverged(bad, shown, epochs, batches, batches, file, lastSaved);
        c.save(file);
        lastSaved = epoch;
    }

    /** A new random order of the training trials (Fisher-Yates on the training stream). */
    private int[] shuffled(int[] trials) {
        int[] order = trials.clone();
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }

    private TrainingDivergedException diverged(String what, int epoch, int epochs, int batch, int batches, Path file, int lastSaved) {
        String kept = file == null ? "no checkpoint file was requested"
                : lastSaved >= 0 ? "the last good checkpoint is " + file + " (epoch " + lastSaved + ")"
                : "no checkpoint was written yet";
        return new TrainingDivergedException("training diverged at epoch " + epoch + " of " + epochs + ", batch " + batch + " of " + batches
                + ": " + what + "; " + kept + ". A lower training.lr_max or training.lr_base, or training.grad_clip > 0, usually helps.");
    }

    /** A failed factorization in words: the exception (or, rethrown by a worker pool, its cause) says which pivot. */
    private static String numerical(ArithmeticException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null) return "a covariance stopped being positive definite (" + t.getMessage() + ")";
        }
        return "a covariance stopped being positive definite (its Cholesky factorization failed)";
    }
}
