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
     * @param train         training trial indices
     * @param valid         held-out trial indices for the validation loss (may be empty)
     * @param modalities    the modalities the model uses, in order (one = single-scale)
     * @param tau           weight of Poisson log-likelihoods
     * @param normalization what was applied to the raw data (saved in checkpoints)
     */
    public record Run(TrainConfig config, Dataset data, int[] train, int[] valid, List<ModalityInfo> modalities, double tau,
                      Normalization normalization) {

        public List<String> modalityNames() {
            return modalities.stream().map(ModalityInfo::name).toList();
        }

        /**
         * Normalization fitted on the training trials (or taken from the checkpoint being resumed),
         * tau (config value, the checkpoint's, or computed), the given modalities of the raw data.
         */
        public static Run prepare(TrainConfig config, Dataset raw, int[] train, int[] valid, List<String> modalityNames,
                                  Checkpoint resume) {
            if (train.length == 0) throw new IllegalArgumentException("no training trials");
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
            return new Run(config, norm.apply(raw), train.clone(), valid.clone(), mods, tau, norm);
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
        String mine = run.config().withEpochs(0).toYaml(), theirs = ck.config().withEpochs(0).toYaml();
        if (!mine.equals(theirs)) {
            throw new IllegalArgumentException(where + ": the checkpoint was trained with another config (" + firstDifference(theirs, mine)
                    + "); only training.epochs may change when resuming");
        }
        if (!ck.modalities().equals(run.modalities())) {
            throw new IllegalArgumentException(where + ": the checkpoint's model uses modalities " + ck.modalities()
                    + ", this run " + run.modalities());
        }
        ck.restore(model, adam, rng, where);
        history.clear();
        history.addAll(ck.history());
        epoch = ck.epoch();
        lastSaved = ck.epoch();
    }

    private static String firstDifference(String a, String b) {
        String[] x = a.split("\n"), y = b.split("\n");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (!x[i].equals(y[i])) return "checkpoint '" + x[i].strip() + "' vs now '" + y[i].strip() + "'";
        }
        return "different keys";
    }

    public Checkpoint checkpoint() {
        return Checkpoint.capture(run.config(), epoch, run.modalities(), run.tau(), run.normalization(), model, adam, rng, history);
    }

    /**
     * Trains until {@code training.epochs} are complete, writing {@code checkpointFile} (if not null)
     * every {@code checkpoint_every} epochs and at the end.
     *
     * @throws TrainingDivergedException when a loss or gradient norm is not finite, or a covariance
     *                                   is no longer positive definite
     */
    public List<EpochStats> fit(Path checkpointFile, TrainingListener listener) {
        final int epochs = cfg.epochs();
        final int[] train = run.train();
        final int batches = train.length / batchSize;
        final List<String> mods = run.modalityNames();
        TrainingNoise noise = new TrainingNoise(cfg.dropout(), cfg.timeDropout(), rng);
        double secondsSoFar = 0;
        int epochsTimed = 0;
        while (epoch < epochs) {
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
                    throw diverged("a covariance that is no longer positive definite (" + e.getMessage() + ")", shown, epochs, b + 1, batches, checkpointFile, lastSaved);
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
            if (validate) valid = Inference.meanLoss(model, run.data(), run.valid(), mods, batchSize);
            double seconds = (System.nanoTime() - start) / 1e9;
            EpochStats stats = new EpochStats(shown, lr, means, valid, seconds);
            history.add(stats);
            epoch = shown;
            secondsSoFar += seconds;
            epochsTimed++;
            if (checkpointFile != null && (epoch % cfg.checkpointEvery() == 0 || epoch == epochs)) {
                checkpoint().save(checkpointFile);
                lastSaved = epoch;
            }
            listener.epochDone(stats, epochs, secondsSoFar / epochsTimed * (epochs - epoch));
        }
        if (checkpointFile != null && lastSaved != epoch) {
            // nothing left to train (resumed at the end): still leave the final checkpoint
            checkpoint().save(checkpointFile);
        }
        return history();
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
        return new TrainingDivergedException("training stopped: " + what + " at epoch " + epoch + " of " + epochs
                + ", batch " + batch + " of " + batches + "; " + kept
                + ". A lower training.lr_max or training.lr_base usually helps.");
    }
}
