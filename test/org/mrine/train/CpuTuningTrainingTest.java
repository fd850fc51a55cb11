package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.backend.cpu.CpuTuning;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TestModels;
import org.mrine.model.TrainingNoise;
import org.mrine.reference.ReferenceFixture;

/**
 * Every choice the CPU calibration can make ({@link CpuTuning}) trains to the same bits as the
 * defaults: a few Adam steps with training noise, parameters and losses compared bit for bit. The
 * native BLAS is the one choice that may sum in another order: with it, training is still the same
 * from run to run and for any thread count, stays close to the Java kernels, and the reference
 * fixtures pass. That the library ran is counted, not inferred from different bits: Debian's
 * OpenBLAS on a Zen 4 (its Haswell kernels) gave exactly the Java kernels' bits at these sizes. (.ci/run installs OpenBLAS and BLIS from Debian; without them this test fails and
 * says what to install.)
 */
class CpuTuningTrainingTest {
    /** Sizes that reach every GEMM path: 4-row tiles and leftover rows, partial vectors, 240-row batched products. */
    private static final ModelConfig CONFIG = TestModels.config(16, 16,
            List.of(TestModels.poisson("s", 40, 48, 48), TestModels.gaussian("y", 24, 48)), 48);
    private static final Batch BATCH = TestModels.batch(CONFIG, 8, 30, 0.8, 4);
    private static final int STEPS = 3;

    /** The parameters and the losses after STEPS Adam steps under tuning t. */
    private record Run(float[] params, double[] losses) {
    }

    private static Run train(CpuTuning t) {
        try (CpuTuning.Scope scope = CpuTuning.use(t); CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(CONFIG, be);
            TestModels.randomize(model, 6);
            Adam adam = new Adam(be, model.params, model.grads, 0.9, 0.999, 1e-8);
            SplittableRandom noise = new SplittableRandom(8);
            double[] losses = new double[STEPS];
            for (int s = 0; s < STEPS; s++) {
                losses[s] = model.lossAndGradient(BATCH, new TrainingNoise(0.1, 0.3, noise)).get("total_loss");
                Adam.clip(be, model.grads, 0.1);
                adam.step(3e-3);
            }
            return new Run(model.params.flat().toArray(), losses);
        }
    }

    @Test
    void everyJavaChoiceTrainsToTheSameBits() {
        CpuTuning base = CpuTuning.defaults().withBlas("java", 1L << 24);
        Run want = train(base);
        List<CpuTuning> choices = new ArrayList<>();
        choices.add(base.withThreads(1));
        if (CpuTuning.defaults().threads() == 1) choices.add(base.withThreads(2));
        // a many-core machine's thread counts (the GPU machine's host has 16 cores): more threads than
        // this batch has trials, and a count that divides nothing evenly
        choices.add(base.withThreads(16));
        choices.add(base.withThreads(5));
        for (String tile : CpuTuning.TILES) choices.add(base.withTile(tile));
        choices.add(base.withBlockKb(16));
        choices.add(base.withParallelWork(1));
        choices.add(base.withParallelWork(Long.MAX_VALUE));
        choices.add(base.withSpinMicros(0));
        choices.add(base.withThreads(1).withTile("8x2").withBlockKb(16).withParallelWork(1).withSpinMicros(0));
        choices.add(base.withTile("4x4").withBlockKb(32).withParallelWork(1).withSpinMicros(1000));
        for (CpuTuning t : choices) {
            Run got = train(t);
            assertArrayEquals(want.losses(), got.losses(), 0.0, "losses under " + t);
            assertArrayEquals(want.params(), got.params(), "parameters under " + t);
        }
        // one run per choice above: none was skipped
        assertEquals(9 + CpuTuning.TILES.length + (CpuTuning.defaults().threads() == 1 ? 1 : 0), choices.size());
    }

    @Test
    void nativeBlasIsDeterministicCloseAndWithinTheFixtures() {
        CpuTuning java = CpuTuning.defaults().withBlas("java", 1L << 24);
        Run reference = train(java);
        for (String lib : new String[] {"openblas", "blis"}) {
            String problem = CpuTuning.nativeBlasProblem(lib);
            assertTrue(problem == null, problem);
            // blas.work = 1: every product the Java GEMM would take goes to the library
            CpuTuning t = java.withBlas(lib, 1);
            long callsBefore = CpuTuning.nativeBlasCalls(lib);
            Run first = train(t), again = train(t), oneThread = train(t.withThreads(1));
            assertTrue(CpuTuning.nativeBlasCalls(lib) > callsBefore, lib + " must actually have run");
            assertArrayEquals(first.params(), again.params(), lib + ": the same bits from run to run");
            assertArrayEquals(first.params(), oneThread.params(), lib + ": the same bits on one thread");
            assertArrayEquals(first.losses(), oneThread.losses(), 0.0, lib + ": the same losses on one thread");
            for (int s = 0; s < STEPS; s++) {
                assertEquals(reference.losses()[s], first.losses()[s], 1e-5 * Math.abs(reference.losses()[s]), lib + " loss at step " + s);
            }
            double worst = 0;
            for (int i = 0; i < first.params().length; i++) worst = Math.max(worst, Math.abs(first.params()[i] - reference.params()[i]));
            assertTrue(worst < 1e-4, lib + ": parameters within 1e-4 of the Java kernels' after " + STEPS + " steps, worst " + worst);

            try (CpuTuning.Scope scope = CpuTuning.use(t); CpuBackend be = new CpuBackend()) {
                for (String name : new String[] {"reference-small", "reference-medium", "reference-pertrial"}) {
                    Path file = Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", name + ".safetensors");
                    ReferenceFixture.Result r = ReferenceFixture.run(file, be);
                    String failures = r.comparisons().stream().filter(c -> !c.passed())
                            .map(c -> String.format("%s %.3e > %.0e", c.name(), c.relativeError(), c.tolerance()))
                            .collect(Collectors.joining("\n  "));
                    assertTrue(r.comparisons().size() > 0 && failures.isEmpty(), lib + " on " + name + " out of tolerance:\n  " + failures);
                }
            }
        }
    }
}
