package org.mrine.bench;

import java.util.ArrayList;
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

    /**
     * A large calcium-imaging recording: one Gaussian modality of 10,000 channels, n_a = n_x = 64,
     * hidden 128x3 (a single-scale model: the backbone filters the encoder's output under the
     * calcium mask). {@link #CALCIUM_EVERY}: frames every 3rd 10 ms step, about 33 Hz.
     */
    public static ModelConfig calcium10k() {
        int[] hidden = {128, 128, 128};
        return new ModelConfig(List.of(new ModalitySpec("c", Likelihood.GAUSSIAN, 10_000, hidden, 1f, 5f, 1f)),
                64, 64, new int[] {128}, 1f, 1e-3f, 30f, new int[] {0, 1, 2, 3, 4});
    }

    /** The second modality's sampling period in the paper's and the high-channel set-ups, in steps. */
    public static final int FIELD_EVERY = 5;
    /** The calcium set-ups' sampling period: every 4th step with 800 + 800 channels, every 3rd at 10,000. */
    public static final int HIGH_CHANNEL_CALCIUM_EVERY = 4;
    public static final int CALCIUM_EVERY = 3;

    private static ModelConfig twoModalities(int spikes, int field, int dim) {
        int[] hidden = {128, 128, 128};
        return new ModelConfig(List.of(
                new ModalitySpec("s", Likelihood.POISSON, spikes, hidden, 2.9f, 50f, 1f),
                new ModalitySpec("y", Likelihood.GAUSSIAN, field, hidden, 1f, 5f, 1f)),
                dim, dim, new int[] {128}, 1f, 1e-3f, 30f, new int[] {0, 1, 2, 3, 4});
    }

    /**
     * Synthetic data for any of these set-ups: Poisson modalities get counts 0..2 at every step,
     * Gaussian ones standard normal values every {@code fieldEvery}th step. Values are drawn
     * modality by modality from one seeded generator.
     */
    public static Batch batch(ModelConfig cfg, int trials, int steps, int fieldEvery, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> data = new ArrayList<>(), masks = new ArrayList<>();
        for (ModalitySpec m : cfg.modalities()) {
            float[] v = new float[trials * steps * m.channels()];
            boolean counts = m.likelihood() == Likelihood.POISSON;
            for (int i = 0; i < v.length; i++) v[i] = counts ? rng.nextInt(3) : (float) rng.nextGaussian();
            float[] mask = new float[trials * steps];
            for (int i = 0; i < mask.length; i++) mask[i] = counts || (i % steps) % fieldEvery == 0 ? 1f : 0f;
            data.add(v);
            masks.add(mask);
        }
        return new Batch(trials, steps, data, masks);
    }
}
