package org.mrine.backend.cuda;

import org.mrine.tensor.Tensor;

/**
 * Dense (Linear, optionally followed by tanh) layer over rows, forward and backward: the twin of
 * {@code CpuDense}, with the arithmetic in {@code kernels/dense.cu}. Products go through cuBLAS
 * where a libcublas loads (then the bias and tanh follow in an epilogue kernel), else through the
 * sgemm kernel with the bias and tanh in its epilogue. A weight gradient over many rows splits K
 * over blocks; the slices are added in order by a reduction kernel (no atomics).
 */
final class CudaDense {
    private final CudaStream s;
    /** cuBLAS for the products, or null (then the sgemm kernel). */
    private final Cublas cublas;
    private final CudaStream.Scratch splitK;
    private final CudaStream.Scratch columnSums;

    CudaDense(CudaStream s, Cublas cublas) {
        this.s = s;
        this.cublas = cublas;
        this.splitK = s.new Scratch();
        this.columnSums = s.new Scratch();
    }

    private static void check(Tensor t, long rows, int cols, String what) {
        if (t.dim(-1) != cols || t.size() != rows * cols) {
            throw new IllegalArgumentException("dense layer " + what + " has shape " + t.shapeString() + ", expected " + rows + " rows of " + cols);
        }
    }

    /** Row-major C[m,n] = alpha op(A) op(B) + beta C (+ bias, tanh) on the device. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
              float beta, long c, int ldc, long bias, boolean tanh) {
        if (m == 0 || n == 0) return;
        if (cublas != null) {
            long start = s.options.profileLaunches() ? s.startTiming() : 0;
            cublas.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            if (s.options.profileLaunches()) s.endTiming("cublasSgemm", start);
            if (s.options.syncEveryLaunch()) s.afterLaunch("cublasSgemm (" + m + "x" + n + "x" + k + ")");
            if (bias != 0 || tanh) {
                long total = (long) m * n;
                s.launch(Kernel.BIAS_ACT, s.blocks(total), 1, Launch.ELEMENTWISE_THREADS, 0,
                        new KernelArgs().ptr(c).ptr(bias).i64(m).i32(n).i32(tanh));
            }
            return;
        }
        boolean splittable = beta == 1f && bias == 0 && !tanh;
        Launch.Gemm g = Launch.gemm(m, n, k, splittable, s.multiprocessors);
        long partials = g.splits() > 1 ? splitK.ensure((long) g.splits() * m * n * Float.BYTES) : 0;
        s.launch(Kernel.SGEMM, g.gx(), g.gy(), g.splits(), Launch.GEMM_THREADS, 0, new KernelArgs()
                .i32(transA).i32(transB).i32(m).i32(n).i32(k).f32(alpha).ptr(a).i32(lda).ptr(b).i32(ldb).f32(beta)
                .ptr(c).i32(ldc).ptr(bias).i32(tanh).i32(g.kChunk()).ptr(partials));
        if (g.splits() > 1) s.reduceBlocks(partials, g.splits(), (long) m * n, 0, m, n, c, ldc);
    }

    /** out[R,O] = act(in[R,I] W^T + b). */
    void forward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        final int rows = (int) (in.size() / in.dim(-1)), nIn = weight.dim(1), nOut = weight.dim(0);
        check(in, rows, nIn, "input");
        check(out, rows, nOut, "output");
        gemm(false, true, rows, nOut, nIn, 1f, s.in(in), nIn, s.in(weight), nIn, 0f, s.out(out), nOut,
                bias == null ? 0 : s.in(bias), tanh);
    }

    /** dPre = dOut (1 - out^2) for tanh (in place); dW += dPre^T in; dB += column sums; dIn += dPre W. */
    void backward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut, Tensor dIn, Tensor dWeight, Tensor dBias) {
        final int rows = (int) (in.size() / in.dim(-1)), nIn = weight.dim(1), nOut = weight.dim(0);
        check(dOut, rows, nOut, "output gradient");
        long d = s.out(dOut);
        if (tanh) {
            long n = (long) rows * nOut;
            s.launch(Kernel.TANH_BACKWARD, s.blocks(n), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(d).ptr(s.in(out)).i64(n));
        }
        long x = s.in(in), w = s.in(weight);
        gemm(true, false, nOut, nIn, rows, 1f, d, nOut, x, nIn, 1f, s.out(dWeight), nIn, 0, false);
        if (dBias != null && rows > 0) {
            Launch.ColumnSum cs = Launch.columnSum(rows, nOut, s.multiprocessors);
            long partials = cs.splits() > 1 ? columnSums.ensure((long) cs.splits() * nOut * Float.BYTES) : 0;
            long db = s.out(dBias);
            s.launch(Kernel.COLUMN_SUM_ADD, cs.gx(), cs.splits(), Launch.COLUMN_SUM_THREADS, 0,
                    new KernelArgs().ptr(d).i64(rows).i32(nOut).ptr(db).i64(cs.rowChunk()).ptr(partials));
            if (cs.splits() > 1) s.reduceBlocks(partials, cs.splits(), nOut, 0, 1, nOut, db, nOut);
        }
        if (dIn != null) {
            check(dIn, rows, nIn, "input gradient");
            gemm(false, false, rows, nIn, nOut, 1f, d, nOut, w, nIn, 1f, s.out(dIn), nIn, 0, false);
        }
    }
}
