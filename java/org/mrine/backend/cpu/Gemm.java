package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked matrix product on off-heap float32 memory, the hot loop of the CPU backend:
 * C[m,n] = alpha * op(A) op(B) + beta * C. Each 4-row by 2-vector tile of C is accumulated in
 * registers over the whole inner dimension (8 FMA per 2 vector loads and 4 broadcasts), then
 * written once. op(B) is read row by row, so a transposed B is first packed into a per-thread
 * buffer. Large products split their rows over the worker pool.
 */
final class Gemm {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int ROWS = 4;
    /** Below this many multiply-adds a product runs on the calling thread. */
    private static final long PARALLEL_WORK = 1L << 20;
    private static final ForkJoinPool POOL = CpuThreads.POOL;

    /** Per-thread packing buffer for op(B) = B^T; grows, never shrinks. */
    private static final ThreadLocal<MemorySegment[]> PACK = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    private Gemm() {
    }

    /** Whether the vector kernel handles this shape (narrow outputs go through the simple loops). */
    static boolean suits(int n) {
        return Blas.VECTOR && n >= L;
    }

    static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                     MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                     float beta, MemorySegment c, long cOff, int ldc) {
        MemorySegment bRows = b;
        long bRowsOff = bOff;
        int ldbRows = ldb;
        if (transB || n % L != 0) {
            // op(B) as rows [k, nPad], zero beyond column n: every B load is then a whole vector
            int nPad = (n + L - 1) / L * L;
            bRows = packBuffer((long) k * nPad);
            pack(transB, n, k, b, bOff, ldb, bRows, nPad);
            bRowsOff = 0;
            ldbRows = nPad;
        }
        final MemorySegment bb = bRows;
        final long bo = bRowsOff;
        final int lb = ldbRows;
        if (POOL != null && (long) m * n * k >= PARALLEL_WORK && m >= 2 * ROWS && !java.util.concurrent.ForkJoinTask.inForkJoinPool()) {
            int half = ((m / 2) + ROWS - 1) / ROWS * ROWS;
            POOL.invoke(new RecursiveAction() {
                @Override
                protected void compute() {
                    invokeAll(
                            rowsTask(0, half, transA, n, k, alpha, a, aOff, lda, bb, bo, lb, beta, c, cOff, ldc),
                            rowsTask(half, m, transA, n, k, alpha, a, aOff, lda, bb, bo, lb, beta, c, cOff, ldc));
                }
            });
        } else {
            rows(0, m, transA, n, k, alpha, a, aOff, lda, bb, bo, lb, beta, c, cOff, ldc);
        }
    }

    private static RecursiveAction rowsTask(int from, int to, boolean transA, int n, int k, float alpha,
                                            MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                                            float beta, MemorySegment c, long cOff, int ldc) {
        return new RecursiveAction() {
            @Override
            protected void compute() {
                rows(from, to, transA, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            }
        };
    }

    /** dst [k, nPad] = op(B) [k, n] padded with zero columns. */
    private static void pack(boolean transB, int n, int k, MemorySegment b, long bOff, int ldb, MemorySegment dst, int nPad) {
        for (int p = 0; p < k; p++) {
            long row = (long) p * nPad;
            if (transB) {
                for (int j = 0; j < n; j++) Blas.set(dst, row + j, Blas.get(b, bOff + (long) j * ldb + p));
            } else {
                MemorySegment.copy(b, (bOff + (long) p * ldb) * 4, dst, row * 4, (long) n * 4);
            }
            for (int j = n; j < nPad; j++) Blas.set(dst, row + j, 0f);
        }
    }

    /** Per-thread lanes of a partial last vector of C, written lane by lane. */
    private static final ThreadLocal<float[]> PARTIAL_VECTOR = ThreadLocal.withInitial(() -> new float[L]);

    private static MemorySegment packBuffer(long floats) {
        MemorySegment[] holder = PACK.get();
        if (holder[0] == null || holder[0].byteSize() < floats * 4) {
            holder[0] = Arena.ofAuto().allocate(Math.max(floats, 4096) * 4, 64);
        }
        return holder[0];
    }

    /** Rows [from, to) of C; op(B) is row-major [k,n] with leading dimension ldb. */
    private static void rows(int from, int to, boolean transA, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        // A(i, p): stride between rows and between p, whichever way A is stored
        final long rowStride = transA ? 1 : lda, pStride = transA ? lda : 1;
        final float[] lanes = PARTIAL_VECTOR.get();
        int i = from;
        for (; i + ROWS <= to; i += ROWS) {
            int j = 0;
            for (; j + 2 * L <= n; j += 2 * L) tile4x2(i, j, k, alpha, a, aOff, rowStride, pStride, b, bOff, ldb, beta, c, cOff, ldc);
            for (; j < n; j += L) tile4x1(i, j, Math.min(L, n - j), k, alpha, a, aOff, rowStride, pStride, b, bOff, ldb, beta, c, cOff, ldc, lanes);
        }
        for (; i < to; i++) {
            int j = 0;
            for (; j + 4 * L <= n; j += 4 * L) tile1x4(i, j, k, alpha, a, aOff, rowStride, pStride, b, bOff, ldb, beta, c, cOff, ldc);
            for (; j < n; j += L) tile1x1(i, j, Math.min(L, n - j), k, alpha, a, aOff, rowStride, pStride, b, bOff, ldb, beta, c, cOff, ldc, lanes);
        }
    }

    private static void tile4x2(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER), b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
            long ap = p * ps;
            FloatVector x0 = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
        }
        // The epilogue is written out here: behind a helper call C2 would box the accumulators.
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        if (beta == 0f) {
            c00.mul(va).intoMemorySegment(c, r0 * 4, ORDER);
            c01.mul(va).intoMemorySegment(c, (r0 + L) * 4, ORDER);
            c10.mul(va).intoMemorySegment(c, r1 * 4, ORDER);
            c11.mul(va).intoMemorySegment(c, (r1 + L) * 4, ORDER);
            c20.mul(va).intoMemorySegment(c, r2 * 4, ORDER);
            c21.mul(va).intoMemorySegment(c, (r2 + L) * 4, ORDER);
            c30.mul(va).intoMemorySegment(c, r3 * 4, ORDER);
            c31.mul(va).intoMemorySegment(c, (r3 + L) * 4, ORDER);
        } else {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00.mul(va)).intoMemorySegment(c, r0 * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01.mul(va)).intoMemorySegment(c, (r0 + L) * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10.mul(va)).intoMemorySegment(c, r1 * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11.mul(va)).intoMemorySegment(c, (r1 + L) * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20.mul(va)).intoMemorySegment(c, r2 * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21.mul(va)).intoMemorySegment(c, (r2 + L) * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30.mul(va)).intoMemorySegment(c, r3 * 4, ORDER);
            FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31.mul(va)).intoMemorySegment(c, (r3 + L) * 4, ORDER);
        }
    }

    /**
     * A 4-row by 1-vector tile of C, columns [j, j + width). op(B) rows are padded to whole
     * vectors, so no load needs a mask; a partial last vector (width &lt; L) goes to C lane by
     * lane through {@code lanes}. (Masked loads and stores that can reach past a segment's end
     * have a slow path, and C2 then kept every vector of the loop on the heap.)
     */
    private static void tile4x1(int i, int j, int width, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc,
                                float[] lanes) {
        FloatVector c0 = FloatVector.zero(SP), c1 = c0, c2 = c0, c3 = c0;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            long ap = p * ps;
            c0 = FloatVector.broadcast(SP, Blas.get(a, a0 + ap)).fma(b0, c0);
            c1 = FloatVector.broadcast(SP, Blas.get(a, a1 + ap)).fma(b0, c1);
            c2 = FloatVector.broadcast(SP, Blas.get(a, a2 + ap)).fma(b0, c2);
            c3 = FloatVector.broadcast(SP, Blas.get(a, a3 + ap)).fma(b0, c3);
        }
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c0 = c0.mul(va);
        c1 = c1.mul(va);
        c2 = c2.mul(va);
        c3 = c3.mul(va);
        if (width < L) {
            storeLanes(c0, width, beta, c, r0, lanes);
            storeLanes(c1, width, beta, c, r1, lanes);
            storeLanes(c2, width, beta, c, r2, lanes);
            storeLanes(c3, width, beta, c, r3, lanes);
            return;
        }
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c0 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c0);
            c1 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c1);
            c2 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c2);
            c3 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c3);
        }
        c0.intoMemorySegment(c, r0 * 4, ORDER);
        c1.intoMemorySegment(c, r1 * 4, ORDER);
        c2.intoMemorySegment(c, r2 * 4, ORDER);
        c3.intoMemorySegment(c, r3 * 4, ORDER);
    }

    /**
     * One row by four vectors: a row left over by the 4-row tiles, or a product of one row (a
     * layer on one sample, with its weight stored transposed). Four independent multiply-add
     * chains; one chain alone would wait on the multiply-add latency at every step.
     */
    private static void tile1x4(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c0 = FloatVector.zero(SP), c1 = c0, c2 = c0, c3 = c0;
        long a0 = aOff + i * rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + p * ps));
            c0 = x.fma(FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER), c0);
            c1 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER), c1);
            c2 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 2 * L) * 4, ORDER), c2);
            c3 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 3 * L) * 4, ORDER), c3);
        }
        long r0 = cOff + (long) i * ldc + j;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c0 = c0.mul(va);
        c1 = c1.mul(va);
        c2 = c2.mul(va);
        c3 = c3.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c0 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c0);
            c1 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c1);
            c2 = FloatVector.fromMemorySegment(SP, c, (r0 + 2 * L) * 4, ORDER).fma(vb, c2);
            c3 = FloatVector.fromMemorySegment(SP, c, (r0 + 3 * L) * 4, ORDER).fma(vb, c3);
        }
        c0.intoMemorySegment(c, r0 * 4, ORDER);
        c1.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c2.intoMemorySegment(c, (r0 + 2 * L) * 4, ORDER);
        c3.intoMemorySegment(c, (r0 + 3 * L) * 4, ORDER);
    }

    /** One row by one vector, like {@link #tile4x1}. */
    private static void tile1x1(int i, int j, int width, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc,
                                float[] lanes) {
        FloatVector c0 = FloatVector.zero(SP);
        long a0 = aOff + i * rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            c0 = FloatVector.broadcast(SP, Blas.get(a, a0 + p * ps)).fma(FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER), c0);
        }
        long r0 = cOff + (long) i * ldc + j;
        c0 = c0.mul(FloatVector.broadcast(SP, alpha));
        if (width < L) {
            storeLanes(c0, width, beta, c, r0, lanes);
            return;
        }
        if (beta != 0f) c0 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(FloatVector.broadcast(SP, beta), c0);
        c0.intoMemorySegment(c, r0 * 4, ORDER);
    }

    /** c[at .. at + width) = v's first lanes (+ beta * c): the same operations as the vector epilogue. */
    private static void storeLanes(FloatVector v, int width, float beta, MemorySegment c, long at, float[] lanes) {
        v.intoArray(lanes, 0);
        for (int q = 0; q < width; q++) {
            Blas.set(c, at + q, beta == 0f ? lanes[q] : Math.fma(Blas.get(c, at + q), beta, lanes[q]));
        }
    }
}
