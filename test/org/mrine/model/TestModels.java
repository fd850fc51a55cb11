package org.mrine.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.mrine.tensor.Tensor;

/** Small random models and batches for the engine's tests. */
public final class TestModels {
    private TestModels() {
    }

    public static ModalitySpec poisson(String name, int channels, int... hidden) {
        return new ModalitySpec(name, Likelihood.POISSON, channels, hidden, 2.9f, 50f, 1f);
    }

    public static ModalitySpec gaussian(String name, int channels, int... hidden) {
        return new ModalitySpec(name, Likelihood.GAUSSIAN, channels, hidden, 1f, 5f, 1f);
    }

    public static ModelConfig config(int embedding, int latent, List<ModalitySpec> mods, int... fusionHidden) {
        return new ModelConfig(mods, embedding, latent, fusionHidden, 1f, 1e-3f, 30f, new int[] {0, 1, 2, 3, 4});
    }

    /** The paper's initialization, then every parameter nudged so no symmetry hides a wrong gradient. */
    public static void randomize(MrineModel model, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        model.initialize(rng);
        for (String name : model.trainableNames()) {
            Tensor t = model.params.get(name);
            double noise = name.endsWith("_log_diag") ? 0.3 : name.endsWith(".A") ? 0.05 : 0.1;
            for (long i = 0; i < t.size(); i++) t.set(i, (float) (t.get(i) + noise * rng.nextGaussian()));
        }
    }

    /**
     * A batch with counts for Poisson modalities and standard normal values for Gaussian ones.
     * Masks: modality i is sampled every (i+1)th step, and with keepProbability each sample is kept;
     * the first modality always has its first two samples, so every smoothness term is defined.
     */
    public static Batch batch(ModelConfig cfg, int trials, int steps, double keepProbability, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<float[]> data = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        for (int i = 0; i < cfg.modalities().size(); i++) {
            ModalitySpec m = cfg.modalities().get(i);
            float[] x = new float[trials * steps * m.channels()];
            for (int j = 0; j < x.length; j++) {
                x[j] = m.likelihood() == Likelihood.POISSON ? rng.nextInt(5) : (float) rng.nextGaussian();
            }
            float[] mask = new float[trials * steps];
            for (int b = 0; b < trials; b++) {
                for (int t = 0; t < steps; t++) {
                    boolean onGrid = t % (i + 1) == 0;
                    boolean kept = rng.nextDouble() < keepProbability || (i == 0 && t < 2);
                    mask[b * steps + t] = onGrid && kept ? 1f : 0f;
                }
            }
            data.add(x);
            masks.add(mask);
        }
        return new Batch(trials, steps, data, masks);
    }
}
