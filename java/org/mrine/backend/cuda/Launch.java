package org.mrine.backend.cuda;

/**
 * Launch configurations of the CUDA backend: grid and block sizes, shared-memory and workspace
 * sizes, split-K. Pure functions of the shapes (tested without a device); the workspace formulas
 * mirror the layouts the kernels carve, and every kernel checks its layout against the size it is
 * given (error MRINE_ERR_WORKSPACE), so a drift cannot corrupt memory.
 */
public final class Launch {
    /** Threads of the grid-stride elementwise and reduction kernels. */
    public static final int ELEMENTWISE_THREADS = 256;
    /** sgemm: 64x64 output tiles, K in steps of 16, 256 threads (16x16, 4x4 outputs each). */
    public static final int GEMM_TILE = 64;
    public static final int GEMM_K_STEP = 16;
    public static final int GEMM_THREADS = 256;
    /** column_sum_add: 32 columns x 8 row walkers. */
    public static final int COLUMN_SUM_THREADS = 256;
    /** Threads of the per-output reduction kernels (gain gradients, mean parameter gradients). */
    public static final int REDUCE_THREADS = 256;
    /** CUDA's limit on threads per block. */
    public static final int MAX_BLOCK_THREADS = 1024;
    /** The covariance kernels' launch bound (MRINE_MATRIX_THREADS): 128 registers per thread for their 4x4 tiles. */
    public static final int MATRIX_THREADS = 512;
    /** The per-trial mean kernels' launch bound (MRINE_TRIAL_THREADS). */
    public static final int TRIAL_THREADS = 1024;

    private Launch() {
    }

    /** Leading dimension of an n-column work matrix (odd: column walks hit distinct shared-memory banks); as mrine_ld. */
    public static int ld(int n) {
        return n | 1;
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Blocks for a grid-stride kernel over n items: enough to fill the device, at least one. */
    public static int gridStrideBlocks(long n, int threads, int multiprocessors) {
        long want = ceilDiv(Math.max(n, 1), threads);
        return (int) Math.max(1, Math.min(want, 16L * multiprocessors));
    }

    /**
     * An sgemm launch for C [M,N] += op(A) op(B) with op(A) [M,K]: grid (gx, gy, splits) and the K
     * range per split. Splitting K (slices added by a reduction kernel, in order) only when {@code splittable}
     * (beta = 1, no epilogue) and the tiles alone would leave most multiprocessors idle.
     */
    public record Gemm(int gx, int gy, int splits, int kChunk) {
    }

    public static Gemm gemm(int m, int n, int k, boolean splittable, int multiprocessors) {
        int gx = (int) ceilDiv(n, GEMM_TILE), gy = (int) ceilDiv(m, GEMM_TILE);
        long tiles = (long) gx * gy;
        int splits = 1;
        if (splittable && k >= 4 * 256 && tiles < multiprocessors) {
            long byWork = k / 256;                                   // at least 256 of K per split
            long byDevice = ceilDiv(2L * multiprocessors, tiles);    // about two blocks per multiprocessor
            splits = (int) Math.max(1, Math.min(Math.min(byWork, byDevice), 65535));
        }
        int chunk = (int) (ceilDiv(ceilDiv(Math.max(k, 1), splits), GEMM_K_STEP) * GEMM_K_STEP);
        splits = (int) Math.max(1, ceilDiv(k, chunk));
        return new Gemm(gx, gy, splits, chunk);
    }

    /** column_sum_add: (column blocks, row splits, rows per split). */
    public record ColumnSum(int gx, int splits, long rowChunk) {
    }

    public static ColumnSum columnSum(long rows, int cols, int multiprocessors) {
        int gx = (int) ceilDiv(cols, 32);
        long splits = Math.max(1, Math.min(ceilDiv(rows, 256), ceilDiv(4L * multiprocessors, gx)));
        long chunk = ceilDiv(Math.max(rows, 1), splits);
        return new ColumnSum(gx, (int) ceilDiv(Math.max(rows, 1), chunk), chunk);
    }

    /**
     * Threads for a block that works on X x X and A x X matrices: one per 4 x 4 output tile of the
     * largest product (bmm's register blocking), a whole number of warps, at most {@code max}.
     */
    public static int matrixThreads(int x, int a, int max) {
        long tiles = ceilDiv(Math.max(x, a), 4);
        int warps = (int) ceilDiv(tiles * tiles, 32);
        return (int) Math.max(32, Math.min(max - max % 32, warps * 32L));
    }

    /** Floats of kalman_cov_forward's workspace: 5 X ldX + 3 A ldX + A ldA + X + A + max(X,A). */
    public static long kalmanForwardWorkspace(int x, int a) {
        long lx = ld(x), la = ld(a);
        return 5 * x * lx + 3 * a * lx + a * la + x + a + Math.max(x, a);
    }

    /** Floats of kalman_cov_backward's workspace: 5 X ldX + 2 A ldX + 2 max(X,A) ldX + X ldA + 2 A ldA + 2 X + 2 A. */
    public static long kalmanBackwardWorkspace(int x, int a) {
        long lx = ld(x), la = ld(a);
        return 5 * x * lx + 2 * a * lx + 2L * Math.max(x, a) * lx + x * la + 2 * a * la + 2L * x + 2L * a;
    }

    /** Floats of kalman_cov_backward's per-block gradient accumulators: dA [X,X], dC [A,X], dQ_log [X], dR_log [A]. */
    public static long kalmanBackwardAccumulator(int x, int a) {
        return (long) x * x + (long) a * x + x + a;
    }

    /** Floats of rts_gain's workspace: 3 X ldX + X. */
    public static long rtsGainWorkspace(int x) {
        return 3L * x * ld(x) + x;
    }

    /** Floats of rts_smooth_cov's and rts_cov_backward_chain's workspaces: 4 X ldX. */
    public static long rtsChainWorkspace(int x) {
        return 4L * x * ld(x);
    }

    /** Floats of rts_cov_backward's workspace: 8 X ldX. */
    public static long rtsBackwardWorkspace(int x) {
        return 8L * x * ld(x);
    }

    /** Shared floats of kalman_mean_forward and kalman_mean_backward: 2 X + A. */
    public static long kalmanMeanShared(int x, int a) {
        return 2L * x + a;
    }

    /**
     * Blocks along the steps of the step-parallel smoother kernels: every step its own block when
     * the workspaces are in shared memory; otherwise no more than the scratch budget holds.
     */
    public static int stepBlocks(int steps, int tracks, long wsFloats, boolean shared, long scratchBudgetFloats) {
        if (steps <= 0) return 0;
        if (shared) return steps;
        long fit = scratchBudgetFloats / Math.max(1, (long) tracks * wsFloats);
        return (int) Math.max(1, Math.min(steps, fit));
    }
}
