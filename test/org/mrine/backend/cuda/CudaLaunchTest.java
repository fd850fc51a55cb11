package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Launch configurations, layouts and argument lists: what can be checked without a device. */
class CudaLaunchTest {
    /** An H100 SXM: 132 multiprocessors, 227 KiB of opt-in shared memory per block. */
    static final int H100_SMS = 132;
    static final int H100_SHARED = 227 * 1024;

    @Test
    void gemmTilesCoverTheOutputAndSplitsCoverK() {
        for (int m : new int[] {1, 63, 64, 65, 3200}) {
            for (int n : new int[] {1, 20, 64, 128, 800}) {
                for (int k : new int[] {1, 16, 17, 128, 1024, 3200, 6400}) {
                    for (boolean splittable : new boolean[] {false, true}) {
                        Launch.Gemm g = Launch.gemm(m, n, k, splittable, H100_SMS);
                        assertTrue((long) g.gx() * Launch.GEMM_TILE >= n && (long) (g.gx() - 1) * Launch.GEMM_TILE < n);
                        assertTrue((long) g.gy() * Launch.GEMM_TILE >= m && (long) (g.gy() - 1) * Launch.GEMM_TILE < m);
                        assertEquals(0, g.kChunk() % Launch.GEMM_K_STEP, "K chunks are whole tiles");
                        assertTrue((long) g.splits() * g.kChunk() >= k, "splits cover K");
                        assertTrue((long) (g.splits() - 1) * g.kChunk() < k, "no empty split");
                        if (!splittable) assertEquals(1, g.splits());
                        assertTrue(g.gy() <= 65535 && g.splits() <= 65535);
                    }
                }
            }
        }
    }

    @Test
    void weightGradientsOfThePaperModelSplitK() {
        // dW of a 128x128 layer over B*T = 3200 rows: one output tile would occupy 4 of 132 multiprocessors
        Launch.Gemm g = Launch.gemm(128, 128, 3200, true, H100_SMS);
        assertTrue(g.splits() > 1, "split-K expected, got " + g);
        assertTrue((long) g.gx() * g.gy() * g.splits() <= 3L * H100_SMS, "not oversplit: " + g);
        // the forward product (3200 rows) has enough tiles on its own
        assertEquals(1, Launch.gemm(3200, 128, 128, true, H100_SMS).splits());
    }

    @Test
    void columnSumCoversEveryRowOnce() {
        for (long rows : new long[] {1, 7, 255, 256, 3200, 6400}) {
            for (int cols : new int[] {1, 20, 128, 800}) {
                Launch.ColumnSum c = Launch.columnSum(rows, cols, H100_SMS);
                assertTrue((long) c.gx() * 32 >= cols);
                assertTrue(c.splits() * c.rowChunk() >= rows && (c.splits() - 1) * c.rowChunk() < rows, rows + "x" + cols + ": " + c);
            }
        }
    }

    @Test
    void matrixBlocksAreWholeWarpsWithinLimits() {
        for (int x : new int[] {1, 3, 16, 33, 64, 128, 200}) {
            for (int max : new int[] {32, 64, 512}) {
                int t = Launch.matrixThreads(x, x, max);
                assertEquals(0, t % 32);
                assertTrue(t >= 32 && t <= max);
            }
        }
        assertEquals(256, Launch.matrixThreads(64, 64, 512), "paper size: 64 x 64 = 16 x 16 tiles of 4 x 4");
        assertEquals(512, Launch.matrixThreads(128, 128, 512), "larger products: several tiles per thread");
    }

    @Test
    void paperSizeWorkspacesFitInSharedMemory() {
        // n_x = n_a = 64: every covariance kernel keeps its work matrices on chip
        assertTrue(Launch.kalmanForwardWorkspace(64, 64) * 4 <= H100_SHARED);
        assertTrue(Launch.kalmanBackwardWorkspace(64, 64) * 4 <= H100_SHARED);
        assertTrue(Launch.rtsGainWorkspace(64) * 4 <= H100_SHARED);
        assertTrue(Launch.rtsChainWorkspace(64) * 4 <= H100_SHARED);
        assertTrue(Launch.rtsBackwardWorkspace(64) * 4 <= H100_SHARED);
        // twice that does not: the kernels then work in global scratch (CudaParityTest covers that path)
        assertTrue(Launch.kalmanBackwardWorkspace(128, 128) * 4 > H100_SHARED);
    }

    @Test
    void workspaceFormulasMatchTheKernelLayouts() {
        // hand-counted from the carve-up in kalman.cu and rts.cu (ld = n | 1)
        assertEquals(5 * 3 * 3 + 3 * 4 * 3 + 4 * 5 + 3 + 4 + 4, Launch.kalmanForwardWorkspace(3, 4));
        assertEquals(5 * 3 * 3 + 2 * 4 * 3 + 2 * 4 * 3 + 3 * 5 + 2 * 4 * 5 + 2 * 3 + 2 * 4, Launch.kalmanBackwardWorkspace(3, 4));
        assertEquals(3 * 64 * 65 + 64, Launch.rtsGainWorkspace(64));
        assertEquals(8 * 64 * 65, Launch.rtsBackwardWorkspace(64));
        assertEquals(65, Launch.ld(64));
        assertEquals(5, Launch.ld(5));
    }

    @Test
    void stepParallelSmootherKernelsRespectTheScratchBudget() {
        assertEquals(99, Launch.stepBlocks(99, 32, 1000, true, 0));
        int gx = Launch.stepBlocks(99, 32, 8L * 128 * 129, false, (1L << 30) / 4);
        assertTrue(gx >= 1 && gx <= 99);
        assertTrue((long) gx * 32 * 8L * 128 * 129 <= (1L << 30) / 4);
        assertEquals(1, Launch.stepBlocks(99, 32, 1L << 40, false, 1));
        assertEquals(0, Launch.stepBlocks(0, 32, 1, true, 1));
    }

    @Test
    void gridStrideBlocksFillTheDeviceAndNoMore() {
        assertEquals(1, Launch.gridStrideBlocks(0, 256, H100_SMS));
        assertEquals(1, Launch.gridStrideBlocks(256, 256, H100_SMS));
        assertEquals(2, Launch.gridStrideBlocks(257, 256, H100_SMS));
        assertEquals(16 * H100_SMS, Launch.gridStrideBlocks(1L << 40, 256, H100_SMS));
    }

    @Test
    void argumentListsAreCheckedAgainstTheKernelSignature() {
        KernelArgs ok = new KernelArgs().ptr(1).ptr(2).i64(3);
        ok.check(Kernel.TANH_BACKWARD);
        KernelArgs wrong = new KernelArgs().ptr(1).ptr(2).i32(3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wrong.check(Kernel.TANH_BACKWARD));
        assertTrue(e.getMessage().contains("tanh_backward") && e.getMessage().contains("(ppl)") && e.getMessage().contains("(ppi)"), e.getMessage());
        assertEquals(Float.floatToRawIntBits(1.5f), new KernelArgs().f32(1.5f).bits(0));
        assertEquals(Double.doubleToRawLongBits(-2.25), new KernelArgs().f64(-2.25).bits(0));
    }

    @Test
    void everyKernelHasASignatureOfKnownLetters() {
        for (Kernel k : Kernel.values()) {
            assertTrue(k.signature.matches("[pilfd]+"), k + ": " + k.signature);
            assertTrue(Kernel.modules().contains(k.module));
        }
    }
}
