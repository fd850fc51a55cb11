package org.mrine.train;

import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;

/** A small simulated dataset and a small config: training runs in a fraction of a second. */
final class TinyRuns {
    private TinyRuns() {
    }

    static Dataset data(int trials, int steps) {
        return LorenzSimulator.simulate(LorenzOptions.DEFAULTS.withSize(trials, steps));
    }

    static TrainConfig config(int epochs, String extraTraining) {
        return TrainConfig.parse("""
                model: {embedding_dim: 4, latent_dim: 4, hidden: [8], fusion_hidden: [8]}
                training: {epochs: %d, batch_size: 8, checkpoint_every: 1, validate_every: 1%s}
                """.formatted(epochs, extraTraining.isEmpty() ? "" : ", " + extraTraining), "tiny");
    }

    static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) out[i] = from + i;
        return out;
    }

    static final List<String> BOTH = List.of("s", "y");
}
