package org.mrine.bench;

import java.util.List;
import java.util.SplittableRandom;
import org.mrine.model.Batch;
import org.mrine.model.Likelihood;
import org.mrine.model.ModalitySpec;
import org.mrine.model.ModelConfig;

/** The model sizes and synthetic data every benchmark (JMH and {@code mrine bench}) uses. */
public final class BenchSetups {
    private BenchSetups() {
    }

    /** The paper's size: n_s = n_y = 20, n_a = n_x = 64, hidden 128x3, fusion 128. */
    public static ModelConfig paper() {
        return twoModalities(20, 20, 64);
    }

    /** A visual-cortex size: 800 spike channels + 800 calcium channels, n_a = n_x = 64. */
    public static ModelConfig highChannel() {
        return twoModalities(800, 800, 64);
    }

    private static ModelConfig twoModalities(int spikes, int field, int dim) {
        int[] hidden = {128, 128, 128};
        return new ModelConfig(List.of(
                new ModalitySpec("s", Likelihood.POISSON, spikes, hidden, 2.9f, 50f, 1f),
                new ModalitySpec("y", Likelihood.GAUSSIAN, field, hidden, 1f, 5f, 1f)),
                dim, dim, new int[] {128}, 1f, 1e-3f, 30f, new int[] {0, 1, 2, 3, 4});
    }

    /** Spike counts every step and field values every {@code fieldEvery}th step. */
    public static Batch batch(ModelConfig cfg, int trials, int steps, int fieldEvery, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int ns = cfg.modalities().get(0).channels(), ny = cfg.modalities().get(1).channels();
        float[] s = new float[trials * steps * ns], y = new float[trials * steps * ny];
        float[] ms = new float[trials * steps], my = new float[trials * steps];
        for (int i = 0; i < s.length; i++) s[i] = rng.nextInt(3);
        for (int i = 0; i < y.length; i++) y[i] = (float) rng.nextGaussian();
        for (int i = 0; i < ms.length; i++) {
            ms[i] = 1f;
            my[i] = (i % steps) % fieldEvery == 0 ? 1f : 0f;
        }
        return new Batch(trials, steps, List.of(s, y), List.of(ms, my));
    }
}
