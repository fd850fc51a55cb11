package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Sums;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.data.Dataset;
import org.mrine.tensor.Tensor;
import org.mrine.train.Checkpoint;
import org.mrine.train.EpochStats;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingDivergedException;
import org.mrine.train.TrainingListener;

/**
 * Errors the GPU reports: a covariance that is no longer positive definite ends training as on the
 * CPU (TrainingDivergedException, which `mrine train` turns into exit status 3, the last good
 * checkpoint kept), found when the step reads its sums; with MRINE_CUDA_SYNC=1 (syncEveryLaunch)
 * every launch is followed by a wait and the error names the kernel.
 */
class CudaErrorsTest {

    /** Trains two epochs, checkpointing after each; after the first, Sigma_0 of the backbone becomes -10 I. */
    static void divergesAfterTheFirstCheckpoint(Backend be, Path dir) throws Exception {
        CudaTrainingTest.Case c = new CudaTrainingTest.Case(6, 8, 4, 12, 2);
        Dataset data = CudaTrainingTest.data(c);
        TrainConfig cfg = TrainConfig.parse("""
                model: {embedding_dim: 6, latent_dim: 6, hidden: [16], fusion_hidden: [16]}
                training: {epochs: 2, batch_size: 4, seed: 3, validate_every: 0, checkpoint_every: 1}
                """, "cuda-errors-test");
        Trainer t = new Trainer(Trainer.Run.prepare(cfg, data, new int[] {0, 1, 2, 3, 4, 5, 6, 7}, new int[0], List.of("s", "y"), null), be);
        Path file = dir.resolve(be.name() + ".safetensors");
        byte[][] saved = new byte[1][];
        TrainingListener corrupt = new TrainingListener() {
            @Override
            public void epochDone(EpochStats stats, int epochs, double secondsLeft) {
                try {
                    saved[0] = Files.readAllBytes(file);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                Tensor sigma0 = t.model().params.get("ldm.Sigma_0");
                float[] v = new float[(int) sigma0.size()];
                for (int i = 0; i < 6; i++) v[i * 6 + i] = -10f;
                sigma0.copyFrom(v);
            }
        };
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> t.fit(file, corrupt));
        System.out.println("[" + be.name() + "] " + e.getMessage());
        assertTrue(e.getMessage().contains("not positive definite") && e.getMessage().contains("epoch 2 of 2, batch 1"), e.getMessage());
        assertTrue(e.getMessage().contains("the last good checkpoint is " + file + " (epoch 1)"), e.getMessage());
        assertArrayEquals(saved[0], Files.readAllBytes(file), "the checkpoint of epoch 1 is untouched");
        assertEquals(1, Checkpoint.load(file).epoch());
    }

    @Test
    void aNonPositiveDefiniteCovarianceStopsTrainingOnTheGpuAsOnTheCpu(@TempDir Path dir) throws Exception {
        try (CpuBackend cpu = new CpuBackend()) {
            divergesAfterTheFirstCheckpoint(cpu, dir);
        }
        try (CudaBackend gpu = CudaTargets.emulated()) {
            divergesAfterTheFirstCheckpoint(gpu, dir);
        }
    }

    @Test
    void aNonPositiveDefiniteCovarianceStopsTrainingOnTheDevice(@TempDir Path dir) throws Exception {
        try (CudaBackend gpu = CudaTargets.device()) {
            divergesAfterTheFirstCheckpoint(gpu, dir);
        }
    }

    /** The filter's covariance pass on a negative definite Sigma_0: its first Cholesky factor fails. */
    static void filterWithNegativeSigma0(CudaBackend be, Sums sums) {
        final int X = 4, A = 3, T = 5;
        var ws = be.workspace();
        float[] a = new float[X * X], s0 = new float[X * X], c = new float[A * X];
        for (int i = 0; i < X; i++) {
            a[i * X + i] = 0.9f;
            s0[i * X + i] = -1f;
        }
        for (int i = 0; i < c.length; i++) c[i] = 1f;
        Tensor am = ws.zeros(X, X), cm = ws.zeros(A, X), q = ws.zeros(X), r = ws.zeros(A), x0 = ws.zeros(X), sigma0 = ws.zeros(X, X), mask = ws.zeros(T);
        am.copyFrom(a);
        cm.copyFrom(c);
        sigma0.copyFrom(s0);
        mask.fill(1f);
        CovarianceTrack track = new CovarianceTrack(ws, T, X, A, false);
        be.kalmanCovarianceForward(new LdmParams(am, cm, q, r, x0, sigma0), new Tensor[] {mask}, new CovarianceTrack[] {track}, 1);
        sums.read();
    }

    @Test
    void withoutSyncingEveryLaunchTheErrorArrivesWithTheSums() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            Sums sums = gpu.sums(1);
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> filterWithNegativeSigma0(gpu, sums));
            assertTrue(e.getMessage().contains("not positive definite") && e.getMessage().contains("when the loss terms were read"), e.getMessage());
            // the error word is cleared: the backend goes on
            assertEquals(0.0, sums.read()[0]);
        }
    }

    @Test
    void syncingEveryLaunchNamesTheKernelThatFailed() {
        CudaTargets.assumeEmulation();
        try (CudaBackend gpu = new CudaBackend(new EmulatedApi(), CudaTargets.EMULATION.syncingEveryLaunch())) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> filterWithNegativeSigma0(gpu, gpu.sums(1)));
            System.out.println("MRINE_CUDA_SYNC: " + e.getMessage());
            assertTrue(e.getMessage().contains("not positive definite") && e.getMessage().contains("kernel kalman_cov_forward (grid 1x1x1"),
                    e.getMessage());
        }
    }

    @Test
    void syncingEveryLaunchNamesTheKernelThatFailedOnTheDevice() {
        CudaTargets.needDevice();
        try (CudaBackend gpu = new CudaBackend(JCudaApi.open(0), CudaBackend.Options.DEFAULT.syncingEveryLaunch())) {
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> filterWithNegativeSigma0(gpu, gpu.sums(1)));
            System.out.println("MRINE_CUDA_SYNC on " + gpu.deviceName() + ": " + e.getMessage());
            assertTrue(e.getMessage().contains("kernel kalman_cov_forward (grid 1x1x1"), e.getMessage());
        }
        try (CudaBackend gpu = CudaTargets.device()) {
            Sums sums = gpu.sums(1);
            ArithmeticException e = assertThrows(ArithmeticException.class, () -> filterWithNegativeSigma0(gpu, sums));
            assertTrue(e.getMessage().contains("when the loss terms were read"), e.getMessage());
            assertEquals(0.0, sums.read()[0], "the backend goes on after the error");
        }
    }

    @Test
    void theEnvironmentVariableTurnsSyncingOn() {
        assertEquals("1".equals(System.getenv("MRINE_CUDA_SYNC")), CudaBackend.Options.DEFAULT.syncEveryLaunch());
    }
}
