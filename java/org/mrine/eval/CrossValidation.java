package org.mrine.eval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.train.Checkpoint;
import org.mrine.train.EpochStats;
import org.mrine.train.Inference;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingDivergedException;
import org.mrine.train.TrainingListener;

/**
 * The paper's protocol: K-fold cross-validation over contiguous blocks of trials; per fold and
 * model, train on the other folds (normalization and tau from them too), decode behavior from the
 * latents, score on the held-out fold. Fold jobs run on a pool of threads, each with its own
 * backend (a CPU backend is single-threaded), heaviest models first.
 */
public final class CrossValidation {
    private CrossValidation() {
    }

    /**
     * @param threads       fold jobs run at once (each on one core)
     * @param checkpointDir where fold checkpoints go ({@code <model>/fold<k>.safetensors}), or null
     * @param resume        continue (or reuse, if complete) fold checkpoints found there
     * @param dropModality  the modality of the drop sweep, or null for none
     * @param dropLevels    the sweep's drop probabilities
     * @param dropRetrain   train a model per drop level on the dropped data; otherwise the fold's model
     *                      infers from dropped data (what time dropout in training buys at inference)
     */
    public record Options(TrainConfig config, List<ModelChoice> models, int threads, Path checkpointDir, boolean resume,
                          String dropModality, double[] dropLevels, boolean dropRetrain, long dropSeed, CvListener listener) {
    }

    public static CvResult run(Dataset raw, Options o) {
        final int K = o.config().evaluation().folds();
        Folds folds = new Folds(raw.trials(), K);
        String slow = slowModality(raw);
        float[] slowMask = slow == null ? null : raw.modality(slow).mask();
        if (o.dropModality() != null) raw.modality(o.dropModality());
        record Job(ModelChoice model, int fold) {
        }
        List<Job> jobs = new ArrayList<>();
        for (ModelChoice m : o.models()) for (int k = 0; k < K; k++) jobs.add(new Job(m, k));
        // longest first: more modalities cost more
        jobs.sort(Comparator.comparingInt((Job j) -> -j.model().modalities().size()));
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(o.threads(), jobs.size())), r -> {
            Thread t = new Thread(r, "mrine-fold");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<FoldResult>> futures = new ArrayList<>();
            for (Job j : jobs) {
                futures.add(pool.submit(() -> {
                    FoldResult r = runFold(raw, j.model(), j.fold(), folds.train(j.fold()), folds.test(j.fold()), slowMask, o);
                    o.listener().foldDone(r, done.incrementAndGet(), jobs.size());
                    return r;
                }));
            }
            Map<String, List<FoldResult>> byModel = new LinkedHashMap<>();
            for (ModelChoice m : o.models()) byModel.put(m.name(), new ArrayList<>());
            for (int i = 0; i < jobs.size(); i++) {
                try {
                    byModel.get(jobs.get(i).model().name()).add(futures.get(i).get());
                } catch (ExecutionException e) {
                    for (Future<FoldResult> f : futures) f.cancel(true);
                    Throwable cause = e.getCause();
                    String where = "model " + jobs.get(i).model().name() + ", fold " + (jobs.get(i).fold() + 1) + " of " + K + ": ";
                    if (cause instanceof IllegalArgumentException iae) throw new IllegalArgumentException(where + iae.getMessage(), iae);
                    if (cause instanceof TrainingDivergedException t) throw new TrainingDivergedException(where + t.getMessage());
                    if (cause instanceof RuntimeException re) throw re;
                    if (cause instanceof Error err) throw err; // out of memory: the sizes asked for, said as such
                    throw new IllegalStateException(where + cause, cause);
                }
            }
            for (List<FoldResult> l : byModel.values()) l.sort(Comparator.comparingInt(FoldResult::fold));
            return new CvResult(o.models(), K, byModel, slow, o.dropModality(),
                    o.dropModality() == null ? new double[0] : o.dropLevels().clone(), o.dropRetrain());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** The modality sampled least often, if it is clearly slower than the fastest; else null. */
    static String slowModality(Dataset d) {
        ModalityData slowest = null;
        double fastest = 0;
        for (ModalityData m : d.modalities()) {
            fastest = Math.max(fastest, m.availability());
            if (slowest == null || m.availability() < slowest.availability()) slowest = m;
        }
        return slowest != null && slowest.availability() < 0.9 * fastest ? slowest.name() : null;
    }

    /**
     * One model fit on {@code train} and scored on {@code test}, with no checkpoint and no drop sweep:
     * what a cell of a hyperparameter sweep computes.
     *
     * @param fold     the fold's number in results (0-based)
     * @param slowMask the slower modality's mask over all trials [B*T] (see {@link #slowModality}), or null
     */
    public static FoldResult fitAndScore(Dataset raw, TrainConfig config, ModelChoice choice, int fold, int[] train, int[] test,
                                         float[] slowMask, CvListener listener) {
        // no held-out loss curve: a sweep's cell only needs the final scores
        TrainConfig quiet = config.training().validateEvery() == 0 ? config : config.with("training.validate_every", 0);
        Options o = new Options(quiet, List.of(choice), 1, null, false, null, new double[0], false, 0, listener);
        return runFold(raw, choice, fold, train, test, slowMask, o);
    }

    /** The mask of {@link #slowModality} over all trials, or null when the modalities share one rate. */
    public static float[] slowMask(Dataset raw) {
        String slow = slowModality(raw);
        return slow == null ? null : raw.modality(slow).mask();
    }

    static FoldResult runFold(Dataset raw, ModelChoice choice, int k, int[] train, int[] test, float[] slowMask, Options o) {
        long start = System.nanoTime();
        if (choice.isWiener()) return WienerFilter.runFold(raw, choice, k, train, test, slowMask);
        String label = choice.name();
        try (Backend be = Backends.create(o.config().training().backend())) {
            Trainer trainer = train(raw, choice, k, train, test, checkpoint(o, choice, k, null), label, be, o);
            Dataset data = trainer.run().data();
            Decoding.Outcome main = Decoding.run(trainer.model(), data, train, test, choice.modalities(), trainer.batchSize(), slowMask);
            List<Scores> sweep = new ArrayList<>();
            if (o.dropModality() != null) {
                for (double p : o.dropLevels()) {
                    if (p == 0 || !choice.modalities().contains(o.dropModality())) {
                        sweep.add(main.scores());
                        continue;
                    }
                    Dataset dropped = SampleDrop.apply(raw, o.dropModality(), p, o.dropSeed());
                    if (o.dropRetrain()) {
                        // a model of its own, trained on the dropped data (normalization and tau from it too)
                        try (Backend be2 = Backends.create(o.config().training().backend())) {
                            Trainer t = train(dropped, choice, k, train, test, checkpoint(o, choice, k, p),
                                    label + " [" + o.dropModality() + " drop " + p + "]", be2, o);
                            sweep.add(Decoding.run(t.model(), t.run().data(), train, test, choice.modalities(), t.batchSize(),
                                    slowMask).scores());
                        }
                    } else {
                        sweep.add(Decoding.run(trainer.model(), trainer.run().normalization().apply(dropped), train, test,
                                choice.modalities(), trainer.batchSize(), slowMask).scores());
                    }
                }
            }
            double loss = Inference.meanLoss(trainer.model(), data, test, choice.modalities(), trainer.batchSize());
            int best = trainer.earlyStop().bestEpoch() > 0 ? trainer.earlyStop().bestEpoch() : trainer.completedEpochs();
            return new FoldResult(choice.name(), k, main.scores(), sweep, trainer.history(), test, main.decodedFiltered(),
                    main.decodedSmoothed(), main.test().dim(), main.test().smoothed(), loss, best, (System.nanoTime() - start) / 1e9);
        }
    }

    /** checkpoints/&lt;model&gt;/fold&lt;k&gt;.safetensors, or .../drop&lt;p&gt;/fold&lt;k&gt;.safetensors for a retrained sweep level. */
    private static Path checkpoint(Options o, ModelChoice choice, int k, Double dropLevel) {
        if (o.checkpointDir() == null) return null;
        Path d = o.checkpointDir().resolve(choice.name());
        if (dropLevel != null) d = d.resolve("drop" + dropLevel);
        return d.resolve("fold" + (k + 1) + ".safetensors");
    }

    /** Trains (or resumes, or reuses a finished checkpoint) one fold's model. */
    private static Trainer train(Dataset raw, ModelChoice choice, int k, int[] train, int[] test, Path ckFile, String label,
                                 Backend be, Options o) {
        Checkpoint resume = null;
        if (ckFile != null) {
            try {
                Files.createDirectories(ckFile.getParent());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(ckFile + ": " + e.getMessage(), e);
            }
            if (o.resume() && Files.exists(ckFile)) resume = Checkpoint.load(ckFile);
        }
        Trainer trainer = new Trainer(Trainer.Run.prepare(o.config(), raw, train, test, choice.modalities(), resume), be);
        if (resume != null) {
            trainer.resume(resume, ckFile.toString());
            o.listener().message(label + " fold " + (k + 1) + ": resumed at epoch " + resume.epoch() + " from " + ckFile);
        }
        trainer.fit(ckFile, new TrainingListener() {
            @Override
            public void epochDone(EpochStats stats, int epochs, double secondsLeft) {
                o.listener().epochDone(label, k, stats, epochs, secondsLeft);
            }
        });
        return trainer;
    }
}
