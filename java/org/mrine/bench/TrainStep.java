package org.mrine.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;

/**
 * One fwd+bwd training step (loss and every gradient) at a given size, with training noise as in
 * training (dropout 0.1, time dropout 0.3): milliseconds per sample-step = step time / (B*T).
 */
public final class TrainStep {
    private TrainStep() {
    }

    /**
     * Median over {@code repeats} timed steps, after at least {@code warmup} untimed ones and at
     * least {@code warmupSeconds} of them: the JIT needs a few seconds of a step before the Vector
     * API code runs compiled (a count alone left the first size measured twice too slow).
     */
    public static double msPerSampleStep(String backend, ModelConfig cfg, int trials, int steps, int warmup,
                                         double warmupSeconds, int repeats) {
        try (Backend be = Backends.create(backend)) {
            MrineModel model = new MrineModel(cfg, be);
            model.initialize(new SplittableRandom(1));
            Batch batch = BenchSetups.batch(cfg, trials, steps, 5, 2);
            SplittableRandom noiseRng = new SplittableRandom(3);
            long warmupEnd = System.nanoTime() + (long) (warmupSeconds * 1e9);
            for (int i = 0; i < warmup || System.nanoTime() < warmupEnd; i++) {
                model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, noiseRng));
            }
            double[] ms = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, noiseRng));
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            return ms[repeats / 2] / ((double) trials * steps);
        }
    }
}
