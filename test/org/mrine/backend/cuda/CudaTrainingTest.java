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
import org.mrine.tensor.Tensor;
import org.mrine.train.EpochStats;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingListener;

/**
 * Training on the GPU and on the CPU from one seed: the real {@link Trainer} (Adam, cyclic
 * learning rate, gradient clipping, dropout and time dropout drawn on the host from the seeded
 * stream, so both runs see the same noise and batches), at the paper's widths (n_a = n_x = 64,
 * hidden 128x3, fusion 128, 20 + 20 channels, the field every 5th step) and with 800 + 800 channels.
 *
 * <p>What "the same" means over hundreds of steps: the two runs differ by float rounding (sums in
 * another order), and training amplifies any rounding difference (Adam turns noise-level gradient
 * entries into full-size steps; the clip and the cyclic rate do the rest): a CPU run whose initial
 * parameters differ in one bit of one entry drifts from the first as fast. So each run is compared
 * against that envelope: a third run, on the CPU with one ulp added to one entry of the backbone's
 * C. In every epoch the GPU's mean training loss must lie within {@value #ENVELOPE} times the
 * largest difference the perturbed CPU run has shown so far (plus {@value #FLOOR} relative), and
 * at the end every parameter tensor likewise. In the first epoch, before the amplification, both
 * must agree within {@value #FIRST_EPOCH} relative. A wrong gradient anywhere shows as a
 * difference far outside the envelope at once.
 *
 * <p>The learning rate is held at the paper's base rate, 1e-3: at the cyclic schedule's peak (1e-2)
 * with two trials a batch, two CPU runs one bit apart decorrelate completely within about 50 steps
 * (measured: loss 69% apart at step 50), which leaves no envelope to test against; at 1e-3 they stay
 * within 2e-5 (loss) and 4e-4 (parameters) over 200 steps.
 *
 * <p>Sizes: the emulation runs the kernels thread by thread on the CPU, so its runs are short in
 * time (T = 10, two trials a batch) but long in steps (200 at the paper's widths, 12 with 800 +
 * 800 channels); the device runs 300 and 100 steps of eight trials of T = 50.
 */
class CudaTrainingTest {
    /** How far past the perturbed CPU run's drift the GPU may be. */
    static final double ENVELOPE = 10;
    /** Relative difference always allowed (a few float32 roundings of the loss). */
    static final double FLOOR = 1e-6;
    /** Relative loss difference allowed in the first epoch. */
    static final double FIRST_EPOCH = 1e-5;

    /** The paper's model (the config's defaults) on the Lorenz benchmark with {@code channels} spike and field channels. */
    record Case(int channels, int trials, int batch, int steps, int epochs) {
        int trainingSteps() {
            return epochs * (trials / batch);
        }
    }

    @Test
    void emulationTrainsLikeTheCpuAtThePapersSize() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            compare(gpu, new Case(20, 2, 2, 10, 200));
        }
    }

    @Test
    void emulationTrainsLikeTheCpuWith800And800Channels() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            compare(gpu, new Case(800, 2, 2, 10, 12));
        }
    }

    @Test
    void deviceTrainsLikeTheCpuAtThePapersSize() {
        try (CudaBackend gpu = CudaTargets.device()) {
            compare(gpu, new Case(20, 16, 8, 50, 150));
        }
    }

    @Test
    void deviceTrainsLikeTheCpuWith800And800Channels() {
        try (CudaBackend gpu = CudaTargets.device()) {
            compare(gpu, new Case(800, 16, 8, 50, 50));
        }
    }

    static Dataset data(Case c) {
        LorenzOptions d = LorenzOptions.DEFAULTS;
        return LorenzSimulator.simulate(new LorenzOptions(c.trials, c.steps, d.binMs(), d.lorenzTimePerBin(), d.substeps(), d.processNoise(),
                c.channels, d.minRateHz(), d.maxRateHz(), d.spikeGain(), c.channels, d.fieldNoise(), 5, 0, 0, 1, 2));
    }

    static TrainConfig config(Case c) {
        return TrainConfig.parse("""
                training: {epochs: %d, batch_size: %d, seed: 7, validate_every: 0, lr_base: 0.001, lr_max: 0.001, patience_steps: 0}
                """.formatted(c.epochs, c.batch), "cuda-training-test");
    }

    static double relative(double reference, double other) {
        return Math.abs(other - reference) / Math.max(1e-12, Math.abs(reference));
    }

    /**
     * Processor seconds this process has used, all its threads (the emulator's too): what a run costs
     * on an idle machine. From /proc/self/stat (utime + stime, at 100 ticks a second), or NaN elsewhere.
     */
    static double processCpuSeconds() {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    static void compare(Backend gpu, Case c) {
        long start = System.nanoTime();
        double cpuStart = processCpuSeconds();
        Dataset data = data(c);
        TrainConfig cfg = config(c);
        int[] train = new int[c.trials];
        for (int i = 0; i < c.trials; i++) train[i] = i;
        List<String> mods = List.of("s", "y");
        try (CpuBackend cpu = new CpuBackend(); CpuBackend cpu2 = new CpuBackend()) {
            Trainer onCpu = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], mods, null), cpu);
            Trainer perturbed = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], mods, null), cpu2);
            Tensor c0 = perturbed.model().params.get("ldm.C");
            c0.set(0, Math.nextUp(c0.get(0)));
            Trainer onGpu = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], mods, null), gpu);
            List<EpochStats> hc = onCpu.fit(null, TrainingListener.SILENT);
            List<EpochStats> hp = perturbed.fit(null, TrainingListener.SILENT);
            double cpuRuns = processCpuSeconds() - cpuStart;
            List<EpochStats> hg = onGpu.fit(null, TrainingListener.SILENT);
            double gpuRun = processCpuSeconds() - cpuStart - cpuRuns;
            assertEquals(hc.size(), hg.size());
            double envelope = 0, worstLoss = 0, worstRatio = 0;
            for (int e = 0; e < hc.size(); e++) {
                double cl = hc.get(e).trainTotal();
                envelope = Math.max(envelope, relative(cl, hp.get(e).trainTotal()));
                double err = relative(cl, hg.get(e).trainTotal()), allowed = e == 0 ? FIRST_EPOCH : ENVELOPE * envelope + FLOOR;
                worstLoss = Math.max(worstLoss, err);
                worstRatio = Math.max(worstRatio, err / allowed);
                final int epoch = e + 1;
                final double limit = allowed;
                assertTrue(err <= limit, () -> c + ": epoch " + epoch + ": cpu loss " + cl + ", gpu " + hg.get(epoch - 1).trainTotal()
                        + " (relative " + err + " > " + limit + ")");
            }
            double worstParam = 0, worstPerturbed = 0;
            String worstName = "";
            for (String name : onCpu.model().params.names()) {
                float[] pc = onCpu.model().params.get(name).toArray();
                double err = ReferenceFixture.relativeError(onGpu.model().params.get(name).toArray(), pc);
                worstPerturbed = Math.max(worstPerturbed, ReferenceFixture.relativeError(perturbed.model().params.get(name).toArray(), pc));
                if (err > worstParam) {
                    worstParam = err;
                    worstName = name;
                }
            }
            final double pAllowed = ENVELOPE * worstPerturbed + FLOOR, pErr = worstParam;
            final String pName = worstName;
            assertTrue(pErr <= pAllowed, () -> c + ": " + pName + " differs by " + pErr + " after training (allowed " + pAllowed + ")");
            System.out.printf("[%s] %d channels, %d steps of B = %d, T = %d: final loss cpu %.6f gpu %.6f; worst epoch-loss difference %.2e"
                            + " (%.2f of the envelope), worst parameter %.2e (%s; the one-ulp CPU run: %.2e); %.1f s"
                            + " (processor time: the two CPU runs %.1f s, the GPU run %.1f s)%n",
                    gpu instanceof CudaBackend be ? be.deviceName() : gpu.name(), c.channels, c.trainingSteps(), c.batch, c.steps,
                    hc.getLast().trainTotal(), hg.getLast().trainTotal(), worstLoss, worstRatio, worstParam, worstName, worstPerturbed,
                    (System.nanoTime() - start) / 1e9, cpuRuns, gpuRun);
        }
    }
}
