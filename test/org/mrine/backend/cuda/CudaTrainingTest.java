package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.data.Dataset;
import org.mrine.reference.ReferenceFixture;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;
import org.mrine.train.EpochStats;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingListener;

/**
 * Training on the GPU and on the CPU from one seed: the real {@link Trainer} (Adam, cyclic
 * learning rate, gradient clipping, dropout and time dropout drawn on the host from the seeded
 * stream, so both runs see the same noise and batches) ends within a stated tolerance.
 *
 * <p>Tolerances: the two runs differ only by float rounding (sums in another order, atomics on the
 * device), which the optimizer then carries along: {@value #LOSS_TOLERANCE} relative in every
 * epoch's mean training loss, {@value #PARAMETER_TOLERANCE} relative (max-norm) in every parameter
 * tensor at the end. Measured on the emulation: after 120 steps the worst epoch-loss difference
 * was 9e-9 and the worst parameter 1.5e-6 (from 8e-7 after 6 steps), so 320 steps stay two orders
 * of magnitude inside.
 */
class CudaTrainingTest {
    static final double LOSS_TOLERANCE = 1e-4;
    static final double PARAMETER_TOLERANCE = 1e-3;

    /** 64 trials in batches of 8: 8 steps an epoch; 40 epochs = 320 training steps. */
    @Test
    void deviceTrainsLikeTheCpu() {
        try (CudaBackend gpu = CudaTargets.device()) {
            compare(gpu, 64, 40, 40);
        }
    }

    /** The same on the emulation, shortened (the emulation runs the kernels thread by thread). */
    @Test
    void emulationTrainsLikeTheCpu() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            compare(gpu, 16, 20, 3);
        }
    }

    static void compare(Backend gpu, int trials, int steps, int epochs) {
        Dataset data = LorenzSimulator.simulate(LorenzOptions.DEFAULTS.withSize(trials, steps));
        TrainConfig cfg = TrainConfig.parse("""
                model: {embedding_dim: 6, latent_dim: 6, hidden: [16, 16], fusion_hidden: [16]}
                training: {epochs: %d, batch_size: 8, seed: 7, validate_every: 0}
                """.formatted(epochs), "cuda-training-test");
        int[] train = new int[trials];
        for (int i = 0; i < trials; i++) train[i] = i;
        List<String> mods = List.of("s", "y");
        try (CpuBackend cpu = new CpuBackend()) {
            Trainer onCpu = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], mods, null), cpu);
            Trainer onGpu = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], mods, null), gpu);
            List<EpochStats> hc = onCpu.fit(null, TrainingListener.SILENT);
            List<EpochStats> hg = onGpu.fit(null, TrainingListener.SILENT);
            assertEquals(hc.size(), hg.size());
            double worstLoss = 0, worstParam = 0;
            for (int e = 0; e < hc.size(); e++) {
                double c = hc.get(e).trainTotal(), g = hg.get(e).trainTotal();
                double err = Math.abs(c - g) / Math.max(1e-12, Math.abs(c));
                worstLoss = Math.max(worstLoss, err);
                final int epoch = e + 1;
                assertTrue(err <= LOSS_TOLERANCE, () -> "epoch " + epoch + ": cpu loss " + c + ", gpu " + g);
            }
            for (String name : onCpu.model().params.names()) {
                float[] c = onCpu.model().params.get(name).toArray(), g = onGpu.model().params.get(name).toArray();
                double err = ReferenceFixture.relativeError(g, c);
                worstParam = Math.max(worstParam, err);
                assertTrue(err <= PARAMETER_TOLERANCE, () -> name + " differs by " + err + " after training");
            }
            System.out.printf("[%s] %d steps: final loss cpu %.6f gpu %.6f; worst epoch-loss difference %.2e, worst parameter %.2e%n",
                    gpu.name(), epochs * (trials / 8), hc.getLast().trainTotal(), hg.getLast().trainTotal(), worstLoss, worstParam);
        }
    }
}
