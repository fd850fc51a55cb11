package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dense float32 kernels on off-heap memory: the CPU backend's only way to do linear algebra.
 * Matrices are row-major; every matrix argument is (segment, offset in floats, leading dimension).
 * The inner loops use the Vector API; the tail of each row goes through the scalar loop, which is
 * also the reference the vector path must agree with ({@code -Dmrine.vector=false} forces it).
 */
public final class Blas {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    /**
     * Floats read and written one at a time ({@link #get}, {@link #set}) without an alignment check
     * per access (every float here is 4-byte aligned anyway): the check sat in the GEMM tiles' inner
     * loops beside their broadcasts, and the 6x2 tile (16 registers) went from 72 to 80 GFLOP/s
     * without it. Bulk copies keep the natural layout.
     */
    private static final ValueLayout.OfFloat ONE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SP.length();
    /** Whether the triangular solves take rows four at a time (16 accumulators, 24 live vectors): 32 vector registers, as with 512-bit vectors on x86; else in pairs. */
    private static final boolean QUADS = SP.vectorBitSize() >= 512;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    static final boolean VECTOR = !"false".equals(System.getProperty("mrine.vector"));

    static {
        // before any kernel runs: C1 must never compile them (VectorJit says why)
        VectorJit.preferC2();
    }

    /** Whether {@link #countFlops} is counting (a plain flag: counting runs are timed separately). */
    private static volatile boolean counting;
    private static final java.util.concurrent.atomic.LongAdder FLOPS = new java.util.concurrent.atomic.LongAdder();

    /**
     * The floating-point operations the products, factorizations and solves of this class do while
     * {@code work} runs (2 per multiply-add, n^3/3 per Cholesky factor, 2 n^2 per solved column):
     * what a benchmark divides by its time for GFLOP/s. Elementwise work is not counted.
     */
    public static synchronized long countFlops(Runnable work) {
        FLOPS.reset();
        counting = true;
        try {
            work.run();
        } finally {
            counting = false;
        }
        return FLOPS.sum();
    }

    private Blas() {
    }

    static float get(MemorySegment s, long i) {
        return s.getAtIndex(ONE_FLOAT, i);
    }

    static void set(MemorySegment s, long i, float v) {
        s.setAtIndex(ONE_FLOAT, i, v);
    }

    /** y[0..n) += alpha * x[0..n). */
    public static void axpy(int n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = 0;
        if (VECTOR) {
            FloatVector va = FloatVector.broadcast(SP, alpha);
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector vx = FloatVector.fromMemorySegment(SP, x, (xOff + i) * 4, ORDER);
                FloatVector vy = FloatVector.fromMemorySegment(SP, y, (yOff + i) * 4, ORDER);
                vx.fma(va, vy).intoMemorySegment(y, (yOff + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) set(y, yOff + i, Math.fma(alpha, get(x, xOff + i), get(y, yOff + i)));
    }

    /**
     * y[j] += the sum over rows r, in row order, of m[r, j] ([rows, cols], rows ld apart: the whole
     * matrix, or a band of a wider one's columns): the bits of one {@link #axpy} with alpha 1 per
     * row (fma(1, x, y) is x + y rounded once), summed in registers a block of columns at a time
     * instead of through y. Each column adds its rows in order whichever band it is in (a vector
     * lane adds as the scalar loop does), so bands over threads give the bits of one pass.
     */
    public static void addColumnSums(int rows, int cols, int ld, MemorySegment m, long mOff, MemorySegment y, long yOff) {
        int j = 0;
        if (VECTOR) {
            for (; j + 4 * LANES <= cols; j += 4 * LANES) {
                long at = (yOff + j) * 4;
                FloatVector s0 = FloatVector.fromMemorySegment(SP, y, at, ORDER), s1 = FloatVector.fromMemorySegment(SP, y, at + LANES * 4L, ORDER);
                FloatVector s2 = FloatVector.fromMemorySegment(SP, y, at + 2 * LANES * 4L, ORDER), s3 = FloatVector.fromMemorySegment(SP, y, at + 3 * LANES * 4L, ORDER);
                for (int r = 0; r < rows; r++) {
                    long row = (mOff + (long) r * ld + j) * 4;
                    s0 = s0.add(FloatVector.fromMemorySegment(SP, m, row, ORDER));
                    s1 = s1.add(FloatVector.fromMemorySegment(SP, m, row + LANES * 4L, ORDER));
                    s2 = s2.add(FloatVector.fromMemorySegment(SP, m, row + 2 * LANES * 4L, ORDER));
                    s3 = s3.add(FloatVector.fromMemorySegment(SP, m, row + 3 * LANES * 4L, ORDER));
                }
                s0.intoMemorySegment(y, at, ORDER);
                s1.intoMemorySegment(y, at + LANES * 4L, ORDER);
                s2.intoMemorySegment(y, at + 2 * LANES * 4L, ORDER);
                s3.intoMemorySegment(y, at + 3 * LANES * 4L, ORDER);
            }
            for (; j + LANES <= cols; j += LANES) {
                long at = (yOff + j) * 4;
                FloatVector s0 = FloatVector.fromMemorySegment(SP, y, at, ORDER);
                for (int r = 0; r < rows; r++) s0 = s0.add(FloatVector.fromMemorySegment(SP, m, (mOff + (long) r * ld + j) * 4, ORDER));
                s0.intoMemorySegment(y, at, ORDER);
            }
        }
        for (; j < cols; j++) {
            float sum = get(y, yOff + j);
            for (int r = 0; r < rows; r++) sum = Math.fma(1f, get(m, mOff + (long) r * ld + j), sum);
            set(y, yOff + j, sum);
        }
    }

    /** sum over i of x[i] * y[i]. */
    public static float dot(int n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        int i = 0;
        float sum = 0f;
        if (VECTOR && n >= LANES) {
            FloatVector acc = FloatVector.zero(SP);
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector vx = FloatVector.fromMemorySegment(SP, x, (xOff + i) * 4, ORDER);
                FloatVector vy = FloatVector.fromMemorySegment(SP, y, (yOff + i) * 4, ORDER);
                acc = vx.fma(vy, acc);
            }
            sum = sum(acc);
        }
        for (; i < n; i++) sum = Math.fma(get(x, xOff + i), get(y, yOff + i), sum);
        return sum;
    }

    /**
     * The lanes of v added in a fixed pairwise order. reduceLanes(ADD) leaves the order of a float sum
     * unspecified (the JIT's intrinsic and the interpreter's loop differ), which would make results
     * depend on warm-up; training must be bit-for-bit reproducible (resume equality).
     */
    static float sum(FloatVector v) {
        // pairwise halving with constant shuffles: lane i gets lane i + w added, w = L/2, L/4, ..., 1
        for (VectorShuffle<Float> fold : FOLDS) v = v.add(v.rearrange(fold));
        return v.lane(0);
    }

    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] FOLDS = folds();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int levels = Integer.numberOfTrailingZeros(LANES);
        VectorShuffle<Float>[] out = new VectorShuffle[levels];
        for (int k = 0, w = LANES / 2; w >= 1; k++, w /= 2) {
            int[] idx = new int[LANES];
            for (int i = 0; i < LANES; i++) idx[i] = (i + w) % LANES;
            out[k] = VectorShuffle.fromArray(SP, idx, 0);
        }
        return out;
    }

    // tanh as a rational function x P(x^2) / Q(x^2) on [-7.905, 7.905] (where float tanh reaches 1):
    // the coefficients of Eigen's float tanh; at most 3.5e-7 relative error (6 ulp) over all floats.
    private static final float TANH_CLAMP = 7.90531110763549805f;
    private static final float A1 = 4.89352455891786e-03f, A3 = 6.37261928875436e-04f, A5 = 1.48572235717979e-05f,
            A7 = 5.12229709037114e-08f, A9 = -8.60467152213735e-11f, A11 = 2.00018790482477e-13f,
            A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f, B2 = 2.26843463243900e-03f, B4 = 1.18534705686654e-04f,
            B6 = 1.19825839466702e-06f;

    /**
     * x[0..n) = tanh(x[0..n)), in place. Only correctly rounded operations (fma, divide, min, max),
     * so the vector lanes and the scalar tail give the same bits, compiled or interpreted: the
     * Vector API's own TANH rounds differently in its intrinsic and its fallback, and Math.tanh is
     * slow (~30 ns).
     */
    public static void tanh(int n, MemorySegment x, long off) {
        int i = 0;
        if (VECTOR) {
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector v = FloatVector.fromMemorySegment(SP, x, (off + i) * 4, ORDER).max(-TANH_CLAMP).min(TANH_CLAMP);
                FloatVector v2 = v.mul(v);
                FloatVector p = v2.fma(A13, A11).fma(v2, FloatVector.broadcast(SP, A9)).fma(v2, FloatVector.broadcast(SP, A7))
                        .fma(v2, FloatVector.broadcast(SP, A5)).fma(v2, FloatVector.broadcast(SP, A3))
                        .fma(v2, FloatVector.broadcast(SP, A1)).mul(v);
                FloatVector q = v2.fma(B6, B4).fma(v2, FloatVector.broadcast(SP, B2)).fma(v2, FloatVector.broadcast(SP, B0));
                p.div(q).intoMemorySegment(x, (off + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) set(x, off + i, tanh(get(x, off + i)));
    }

    /** d[i] *= 1 - y[i]^2 for i in [0, n): through tanh backwards, from its outputs y. */
    public static void tanhBackward(int n, MemorySegment y, MemorySegment d) {
        int i = 0;
        if (VECTOR) {
            FloatVector one = FloatVector.broadcast(SP, 1f);
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector vy = FloatVector.fromMemorySegment(SP, y, i * 4L, ORDER);
                FloatVector vd = FloatVector.fromMemorySegment(SP, d, i * 4L, ORDER);
                vd.mul(one.sub(vy.mul(vy))).intoMemorySegment(d, i * 4L, ORDER);
            }
        }
        for (; i < n; i++) {
            float v = get(y, i);
            set(d, i, get(d, i) * (1f - v * v));
        }
    }

    /** The scalar twin of the vector tanh above: the same operations in the same order. */
    static float tanh(float x) {
        float v = Math.min(Math.max(x, -TANH_CLAMP), TANH_CLAMP);
        float v2 = v * v;
        float p = Math.fma(v2, A13, A11);
        p = Math.fma(p, v2, A9);
        p = Math.fma(p, v2, A7);
        p = Math.fma(p, v2, A5);
        p = Math.fma(p, v2, A3);
        p = Math.fma(p, v2, A1) * v;
        float q = Math.fma(v2, B6, B4);
        q = Math.fma(q, v2, B2);
        q = Math.fma(q, v2, B0);
        return p / q;
    }

    /** x[0..n) *= alpha. */
    public static void scal(int n, float alpha, MemorySegment x, long xOff) {
        scaleInto(n, alpha, x, xOff, x, xOff);
    }

    /** dst[0..n) = alpha * src[0..n) (no aliasing needed: element by element). */
    public static void scaleInto(int n, float alpha, MemorySegment src, long sOff, MemorySegment dst, long dOff) {
        int i = 0;
        if (VECTOR) {
            FloatVector va = FloatVector.broadcast(SP, alpha);
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector.fromMemorySegment(SP, src, (sOff + i) * 4, ORDER).mul(va).intoMemorySegment(dst, (dOff + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) set(dst, dOff + i, alpha * get(src, sOff + i));
    }

    /** out[0..n) = x[0..n) * f[0..n), element by element (out may be x or f). */
    public static void multiply(int n, MemorySegment x, long xOff, MemorySegment f, long fOff, MemorySegment out, long oOff) {
        int i = 0;
        if (VECTOR) {
            for (int bound = SP.loopBound(n); i < bound; i += LANES) {
                FloatVector.fromMemorySegment(SP, x, (xOff + i) * 4, ORDER).mul(FloatVector.fromMemorySegment(SP, f, (fOff + i) * 4, ORDER))
                        .intoMemorySegment(out, (oOff + i) * 4, ORDER);
            }
        }
        for (; i < n; i++) set(out, oOff + i, get(x, xOff + i) * get(f, fOff + i));
    }

    /**
     * C = alpha * op(A) op(B) + beta * C, with op(A) [m,k], op(B) [k,n], C [m,n].
     * transA: A is stored [k,m]; transB: B is stored [n,k]. beta == 0 ignores C's old contents.
     */
    public static void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                            MemorySegment a, long aOff, int lda,
                            MemorySegment b, long bOff, int ldb,
                            float beta,
                            MemorySegment c, long cOff, int ldc) {
        if (counting) FLOPS.add(2L * m * n * k);
        // matrix-vector and outer products (the per-trial mean recursions) take their own loops
        boolean contiguousA = lda == (transA ? m : k);
        if (n == 1 && contiguousA && (transB || ldb == 1) && (beta == 0f || beta == 1f)) {
            gemv(transA, transA ? k : m, transA ? m : k, alpha, a, aOff, b, bOff, beta, c, cOff, ldc);
            return;
        }
        if (m == 1 && transB && !transA && (beta == 0f || beta == 1f) && ldb == k) {
            // one row against a stored [n,k] matrix (a dense layer on one sample): n dot products
            gemv(false, n, k, alpha, b, bOff, a, aOff, beta, c, cOff, 1);
            return;
        }
        if (k == 1 && (beta == 1f || beta == 0f)) {
            // C (+)= alpha * a b^T with a = op(A) [m,1], b = op(B) [1,n] (both contiguous as stored when lda, ldb allow);
            // with beta 0 each row is what the same axpy would leave on zeros (round(alpha a_i b_j))
            long aStep = transA ? 1 : lda, bStep = transB ? ldb : 1;
            if (bStep == 1) {
                for (int i = 0; i < m; i++) {
                    float ai = get(a, aOff + i * aStep);
                    long row = cOff + (long) i * ldc;
                    if (beta == 0f) {
                        if (ai != 0f) scaleInto(n, alpha * ai, b, bOff, c, row);
                        else zero(n, c, row);
                    } else if (ai != 0f) {
                        axpy(n, alpha * ai, b, bOff, c, row);
                    }
                }
                return;
            }
        }
        if (Gemm.suits(n) && k > 0) {
            Gemm.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        gemmSimple(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }

    /**
     * c[1,n] = a[1,k] B[k,n] (B row-major, leading dimension n) for one row a, skipping a's zero
     * entries where the vector kernels take n ({@link SparseRow}: the same bits as
     * {@link #gemm} wherever B is finite); the flops counted are those done.
     */
    public static void sparseRow(int n, int k, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment c, long cOff) {
        if (!SparseRow.suits(n)) {
            gemm(false, false, 1, n, k, 1f, a, aOff, k, b, bOff, n, 0f, c, cOff, n);
            return;
        }
        if (counting) {
            long nonzero = 0;
            for (int p = 0; p < k; p++) if (get(a, aOff + p) != 0f) nonzero++;
            FLOPS.add(2L * n * nonzero);
        }
        SparseRow.product(n, k, a, aOff, b, bOff, n, c, cOff);
    }

    /** The plain loops: the reference for {@link Gemm}, and the path for narrow outputs (n below a vector). */
    static void gemmSimple(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           MemorySegment a, long aOff, int lda,
                           MemorySegment b, long bOff, int ldb,
                           float beta,
                           MemorySegment c, long cOff, int ldc) {
        for (int i = 0; i < m; i++) {
            long cRow = cOff + (long) i * ldc;
            if (beta == 0f) {
                for (int j = 0; j < n; j++) set(c, cRow + j, 0f);
            } else if (beta != 1f) {
                scal(n, beta, c, cRow);
            }
            if (!transB) {
                // Row i of C gathers rows of B weighted by row i of op(A): contiguous axpy over n.
                for (int p = 0; p < k; p++) {
                    float aip = transA ? get(a, aOff + (long) p * lda + i) : get(a, aOff + (long) i * lda + p);
                    if (aip != 0f) axpy(n, alpha * aip, b, bOff + (long) p * ldb, c, cRow);
                }
            } else if (!transA) {
                // op(B) = B^T: C[i,j] is the dot product of two stored rows.
                for (int j = 0; j < n; j++) {
                    float d = dot(k, a, aOff + (long) i * lda, b, bOff + (long) j * ldb);
                    set(c, cRow + j, get(c, cRow + j) + alpha * d);
                }
            } else {
                for (int j = 0; j < n; j++) {
                    float d = 0f;
                    for (int p = 0; p < k; p++) {
                        d = Math.fma(get(a, aOff + (long) p * lda + i), get(b, bOff + (long) j * ldb + p), d);
                    }
                    set(c, cRow + j, get(c, cRow + j) + alpha * d);
                }
            }
        }
    }

    /**
     * y = alpha * op(A) x + beta * y for A stored [rows, cols] contiguous: without trans y has
     * rows entries (dot products of rows), with trans y has cols entries (a sum of scaled rows).
     * y's entries are incY apart; x is contiguous. beta is 0 or 1.
     */
    public static void gemv(boolean trans, int rows, int cols, float alpha, MemorySegment a, long aOff,
                            MemorySegment x, long xOff, float beta, MemorySegment y, long yOff, int incY) {
        if (!trans) {
            int i = 0;
            if (GemvRows.suits(cols)) {
                // a vector's width of rows at a time, their lane sums folded together (the same bits)
                for (; i + LANES <= rows; i += LANES) GemvRows.rows(i, cols, alpha, a, aOff, x, xOff, beta, y, yOff, incY);
            }
            if (VECTOR && cols >= LANES) {
                // four rows at a time: four independent FMA chains share each load of x
                int bound = SP.loopBound(cols);
                for (; i + 4 <= rows; i += 4) {
                    long r0 = aOff + (long) i * cols, r1 = r0 + cols, r2 = r1 + cols, r3 = r2 + cols;
                    FloatVector s0 = FloatVector.zero(SP), s1 = s0, s2 = s0, s3 = s0;
                    for (int p = 0; p < bound; p += LANES) {
                        FloatVector xv = FloatVector.fromMemorySegment(SP, x, (xOff + p) * 4, ORDER);
                        s0 = FloatVector.fromMemorySegment(SP, a, (r0 + p) * 4, ORDER).fma(xv, s0);
                        s1 = FloatVector.fromMemorySegment(SP, a, (r1 + p) * 4, ORDER).fma(xv, s1);
                        s2 = FloatVector.fromMemorySegment(SP, a, (r2 + p) * 4, ORDER).fma(xv, s2);
                        s3 = FloatVector.fromMemorySegment(SP, a, (r3 + p) * 4, ORDER).fma(xv, s3);
                    }
                    float d0 = sum(s0), d1 = sum(s1), d2 = sum(s2), d3 = sum(s3);
                    for (int p = bound; p < cols; p++) {
                        float xp = get(x, xOff + p);
                        d0 = Math.fma(get(a, r0 + p), xp, d0);
                        d1 = Math.fma(get(a, r1 + p), xp, d1);
                        d2 = Math.fma(get(a, r2 + p), xp, d2);
                        d3 = Math.fma(get(a, r3 + p), xp, d3);
                    }
                    storeGemv(y, yOff + (long) i * incY, alpha * d0, beta);
                    storeGemv(y, yOff + (long) (i + 1) * incY, alpha * d1, beta);
                    storeGemv(y, yOff + (long) (i + 2) * incY, alpha * d2, beta);
                    storeGemv(y, yOff + (long) (i + 3) * incY, alpha * d3, beta);
                }
            }
            for (; i < rows; i++) {
                storeGemv(y, yOff + (long) i * incY, alpha * dot(cols, a, aOff + (long) i * cols, x, xOff), beta);
            }
        } else if (incY == 1) {
            if (beta == 0f) zero(cols, y, yOff);
            gemvTransposed(rows, cols, alpha, a, aOff, x, xOff, y, yOff);
        } else {
            for (int j = 0; j < cols; j++) {
                float d = 0f;
                for (int i = 0; i < rows; i++) d = Math.fma(get(a, aOff + (long) i * cols + j), get(x, xOff + i), d);
                long yj = yOff + (long) j * incY;
                set(y, yj, beta == 0f ? alpha * d : get(y, yj) + alpha * d);
            }
        }
    }

    /**
     * y += A^T (alpha x) for A [rows, cols]: y += (alpha x_i) A_i over the rows in order, x_i = 0
     * skipped, as a row-by-row axpy would (the same multiply-adds, so the same bits), but with four
     * vectors of y held in registers over all the rows instead of loaded and stored for each.
     */
    private static void gemvTransposed(int rows, int cols, float alpha, MemorySegment a, long aOff, MemorySegment x, long xOff,
                                       MemorySegment y, long yOff) {
        int j = 0;
        if (VECTOR) {
            for (; j + 4 * LANES <= cols; j += 4 * LANES) {
                long y0 = (yOff + j) * 4;
                FloatVector s0 = FloatVector.fromMemorySegment(SP, y, y0, ORDER), s1 = FloatVector.fromMemorySegment(SP, y, y0 + 4 * LANES, ORDER);
                FloatVector s2 = FloatVector.fromMemorySegment(SP, y, y0 + 8 * LANES, ORDER), s3 = FloatVector.fromMemorySegment(SP, y, y0 + 12 * LANES, ORDER);
                for (int i = 0; i < rows; i++) {
                    float xi = get(x, xOff + i);
                    if (xi == 0f) continue;
                    FloatVector va = FloatVector.broadcast(SP, alpha * xi);
                    long row = (aOff + (long) i * cols + j) * 4;
                    s0 = FloatVector.fromMemorySegment(SP, a, row, ORDER).fma(va, s0);
                    s1 = FloatVector.fromMemorySegment(SP, a, row + 4 * LANES, ORDER).fma(va, s1);
                    s2 = FloatVector.fromMemorySegment(SP, a, row + 8 * LANES, ORDER).fma(va, s2);
                    s3 = FloatVector.fromMemorySegment(SP, a, row + 12 * LANES, ORDER).fma(va, s3);
                }
                s0.intoMemorySegment(y, y0, ORDER);
                s1.intoMemorySegment(y, y0 + 4 * LANES, ORDER);
                s2.intoMemorySegment(y, y0 + 8 * LANES, ORDER);
                s3.intoMemorySegment(y, y0 + 12 * LANES, ORDER);
            }
        }
        if (j == cols) return;
        // the columns past the last four whole vectors: the row-by-row axpy on them
        for (int i = 0; i < rows; i++) {
            float xi = get(x, xOff + i);
            if (xi != 0f) axpy(cols - j, alpha * xi, a, aOff + (long) i * cols + j, y, yOff + j);
        }
    }

    private static void storeGemv(MemorySegment y, long index, float value, float beta) {
        set(y, index, beta == 0f ? value : get(y, index) + value);
    }

    /** dst [n,m] = src [m,n]^T (no aliasing), in register blocks ({@link Transpose}). */
    public static void transpose(int m, int n, MemorySegment src, long sOff, MemorySegment dst, long dOff) {
        Transpose.transpose(m, n, src, sOff, n, dst, dOff, m);
    }

    /**
     * A = (A + A^T) / 2 for a square [n,n] matrix, removing rounding asymmetry: entry (i,j) and
     * (j,i) both become 0.5 (a_ij + a_ji) (the sum is the same either way round); the diagonal stays.
     */
    public static void symmetrize(int n, MemorySegment a, long off) {
        Transpose.sumWithTranspose(n, 0.5f, a, off, a, off, true);
    }

    /** out = M + M^T for a square [n,n] matrix. */
    public static void addTransposeInto(int n, MemorySegment m, long mOff, MemorySegment out, long oOff) {
        Transpose.sumWithTranspose(n, 1f, m, mOff, out, oOff, false);
    }

    /**
     * In-place Cholesky factor of a symmetric positive definite [n,n] matrix: the upper triangle
     * becomes U with A = U^T U (U = L^T), the strict lower triangle is zeroed. Only the upper
     * triangle of A is read.
     *
     * <p>Right-looking, row by row: once row k of U is known, every later row's trailing part is
     * updated by one contiguous multiply-add with row k. Row-major storage makes that the vector
     * loop (the dot-product form would end each of its n^2/2 entries with a horizontal sum).
     *
     * @throws ArithmeticException when a pivot is not positive (the matrix is not SPD)
     */
    public static void cholesky(int n, MemorySegment a, long off) {
        if (counting) FLOPS.add((long) n * n * n / 3);
        // on a heap copy, rows padded to whole vectors: the same loops over a MemorySegment ran at
        // half the speed (each access re-checks the segment)
        int ld = VECTOR ? (n + LANES - 1) / LANES * LANES : n;
        float[] w = heapScratch(0, n * ld);
        for (int i = 0; i < n; i++) {
            MemorySegment.copy(a, F32, (off + (long) i * n) * 4, w, i * ld, n);
            java.util.Arrays.fill(w, i * ld + n, (i + 1) * ld, 0f);
        }
        int i = 0;
        if (VECTOR) {
            for (; i + 2 <= n; i += 2) choleskyRowPair(n, ld, i, w);
        }
        for (; i < n; i++) {
            for (int j = i; j < n; j++) {
                float acc = w[i * ld + j];
                for (int p = 0; p < i; p++) acc = Math.fma(-w[p * ld + i], w[p * ld + j], acc);
                w[i * ld + j] = acc;
            }
            choleskyFinishRow(n, ld, i, w);
        }
        for (int r = 0; r < n; r++) {
            java.util.Arrays.fill(w, r * ld, r * ld + r, 0f);
            MemorySegment.copy(w, r * ld, a, F32, (off + (long) r * n) * 4, n);
        }
    }

    /**
     * Rows i and i + 1 of U, up-looking: row i of U is A's row i less sum over p < i of U[p,i] U[p,:],
     * each entry one chain of multiply-adds in p order (the same operations, in the same order, as
     * the right-looking elimination). Two rows share each loaded row of U, so up to eight chains run
     * side by side; row i + 1's last term (p = i) waits until row i is finished. Columns start at
     * the vector holding the diagonal: left of it the rows get junk that the caller clears.
     */
    private static void choleskyRowPair(int n, int ld, int i, float[] w) {
        int r0 = i * ld, r1 = r0 + ld;
        int j = i - i % LANES;
        for (; j + 4 * LANES <= ld; j += 4 * LANES) {
            FloatVector a0 = FloatVector.fromArray(SP, w, r0 + j), a1 = FloatVector.fromArray(SP, w, r0 + j + LANES);
            FloatVector a2 = FloatVector.fromArray(SP, w, r0 + j + 2 * LANES), a3 = FloatVector.fromArray(SP, w, r0 + j + 3 * LANES);
            FloatVector b0 = FloatVector.fromArray(SP, w, r1 + j), b1 = FloatVector.fromArray(SP, w, r1 + j + LANES);
            FloatVector b2 = FloatVector.fromArray(SP, w, r1 + j + 2 * LANES), b3 = FloatVector.fromArray(SP, w, r1 + j + 3 * LANES);
            for (int p = 0; p < i; p++) {
                int rp = p * ld + j;
                FloatVector f0 = FloatVector.broadcast(SP, -w[p * ld + i]), f1 = FloatVector.broadcast(SP, -w[p * ld + i + 1]);
                FloatVector u0 = FloatVector.fromArray(SP, w, rp), u1 = FloatVector.fromArray(SP, w, rp + LANES);
                FloatVector u2 = FloatVector.fromArray(SP, w, rp + 2 * LANES), u3 = FloatVector.fromArray(SP, w, rp + 3 * LANES);
                a0 = u0.fma(f0, a0);
                a1 = u1.fma(f0, a1);
                a2 = u2.fma(f0, a2);
                a3 = u3.fma(f0, a3);
                b0 = u0.fma(f1, b0);
                b1 = u1.fma(f1, b1);
                b2 = u2.fma(f1, b2);
                b3 = u3.fma(f1, b3);
            }
            a0.intoArray(w, r0 + j);
            a1.intoArray(w, r0 + j + LANES);
            a2.intoArray(w, r0 + j + 2 * LANES);
            a3.intoArray(w, r0 + j + 3 * LANES);
            b0.intoArray(w, r1 + j);
            b1.intoArray(w, r1 + j + LANES);
            b2.intoArray(w, r1 + j + 2 * LANES);
            b3.intoArray(w, r1 + j + 3 * LANES);
        }
        for (; j + 2 * LANES <= ld; j += 2 * LANES) {
            FloatVector a0 = FloatVector.fromArray(SP, w, r0 + j), a1 = FloatVector.fromArray(SP, w, r0 + j + LANES);
            FloatVector b0 = FloatVector.fromArray(SP, w, r1 + j), b1 = FloatVector.fromArray(SP, w, r1 + j + LANES);
            for (int p = 0; p < i; p++) {
                int rp = p * ld + j;
                FloatVector f0 = FloatVector.broadcast(SP, -w[p * ld + i]), f1 = FloatVector.broadcast(SP, -w[p * ld + i + 1]);
                FloatVector u0 = FloatVector.fromArray(SP, w, rp), u1 = FloatVector.fromArray(SP, w, rp + LANES);
                a0 = u0.fma(f0, a0);
                a1 = u1.fma(f0, a1);
                b0 = u0.fma(f1, b0);
                b1 = u1.fma(f1, b1);
            }
            a0.intoArray(w, r0 + j);
            a1.intoArray(w, r0 + j + LANES);
            b0.intoArray(w, r1 + j);
            b1.intoArray(w, r1 + j + LANES);
        }
        for (; j < ld; j += LANES) {
            FloatVector a0 = FloatVector.fromArray(SP, w, r0 + j), b0 = FloatVector.fromArray(SP, w, r1 + j);
            for (int p = 0; p < i; p++) {
                FloatVector u0 = FloatVector.fromArray(SP, w, p * ld + j);
                a0 = u0.fma(FloatVector.broadcast(SP, -w[p * ld + i]), a0);
                b0 = u0.fma(FloatVector.broadcast(SP, -w[p * ld + i + 1]), b0);
            }
            a0.intoArray(w, r0 + j);
            b0.intoArray(w, r1 + j);
        }
        choleskyFinishRow(n, ld, i, w);
        // row i + 1's term p = i
        FloatVector f = FloatVector.broadcast(SP, -w[r0 + i + 1]);
        for (j = i - i % LANES; j < ld; j += LANES) {
            FloatVector.fromArray(SP, w, r0 + j).fma(f, FloatVector.fromArray(SP, w, r1 + j)).intoArray(w, r1 + j);
        }
        choleskyFinishRow(n, ld, i + 1, w);
    }

    /** Row i of U from its accumulated sums: U[i,i] = sqrt(sum), U[i,j] = sum / U[i,i] as a product with 1 / U[i,i]. */
    private static void choleskyFinishRow(int n, int ld, int i, float[] w) {
        int row = i * ld;
        float diag = w[row + i];
        if (!(diag > 0f)) {
            throw new ArithmeticException("matrix is not positive definite (pivot " + i + " = " + diag + ")");
        }
        float uii = (float) Math.sqrt(diag);
        float inv = 1f / uii;
        for (int j = i + 1; j < n; j++) w[row + j] = inv * w[row + j];
        w[row + i] = uii;
    }

    /** Per-thread heap copies for the factor and the solves: slot 0 the factor, slot 1 the right-hand sides. */
    private static final ThreadLocal<float[][]> HEAP_SCRATCH = ThreadLocal.withInitial(() -> new float[2][0]);

    private static float[] heapScratch(int slot, int size) {
        float[][] holder = HEAP_SCRATCH.get();
        if (holder[slot].length < size) holder[slot] = new float[size];
        return holder[slot];
    }

    /**
     * Solves (U^T U) X = B in place, with U the factor from {@link #cholesky} and B [n, nrhs]
     * row-major: forward substitution with U^T, then back substitution with U, row by row so the
     * inner loop runs over the contiguous right-hand sides. It runs on heap copies (the same loops
     * over segments took half again as long), B's rows padded with zeros to whole vectors so that
     * no load needs a mask. Four vectors of right-hand sides go together: four independent
     * multiply-add chains share each broadcast factor entry (one chain alone would wait on the
     * multiply-add latency).
     */
    public static void cholSolve(int n, int nrhs, MemorySegment u, long uOff, MemorySegment b, long bOff) {
        cholSolve(n, nrhs, u, uOff, b, bOff, b, bOff);
    }

    /** {@link #cholSolve} of B at src into dst (the same arithmetic; the solve works on heap copies either way). */
    public static void cholSolve(int n, int nrhs, MemorySegment u, long uOff, MemorySegment src, long sOff, MemorySegment dst, long dOff) {
        if (counting) FLOPS.add(2L * n * n * nrhs);
        if (!VECTOR || nrhs < LANES) {
            if (src != dst || sOff != dOff) copy(n * nrhs, src, sOff, dst, dOff);
            cholSolveSimple(n, nrhs, u, uOff, dst, dOff);
            return;
        }
        int ld = (nrhs + LANES - 1) / LANES * LANES;
        float[] uw = heapScratch(0, n * n), bw = heapScratch(1, n * ld);
        MemorySegment.copy(u, F32, uOff * 4, uw, 0, n * n);
        if (ld == nrhs) {
            MemorySegment.copy(src, F32, sOff * 4, bw, 0, n * nrhs);   // one copy: n row copies cost microseconds here
        } else {
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(src, F32, (sOff + (long) i * nrhs) * 4, bw, i * ld, nrhs);
                java.util.Arrays.fill(bw, i * ld + nrhs, (i + 1) * ld, 0f);
            }
        }
        int j = 0;
        for (; j + 4 * LANES <= ld; j += 4 * LANES) cholSolve4(n, ld, j, uw, bw);
        for (; j < ld; j += LANES) cholSolve1(n, ld, j, uw, bw);
        if (ld == nrhs) {
            MemorySegment.copy(bw, 0, dst, F32, dOff * 4, n * nrhs);
        } else {
            for (int i = 0; i < n; i++) MemorySegment.copy(bw, i * ld, dst, F32, (dOff + (long) i * nrhs) * 4, nrhs);
        }
    }

    /**
     * Columns [j, j + 4 LANES) of {@link #cholSolve} on heap copies: u [n,n], b [n,ld]. Rows go in
     * quads ({@link #QUADS}: sixteen chains) or pairs (eight) that share each loaded row of b, and a
     * group's later rows take their last terms once the earlier ones are done. Every entry is one chain in a fixed
     * order: forward, p = 0 .. i-1; back, p = n-1 down to i+1 (the order {@link #cholSolve1} and
     * {@link #cholSolveSimple} use too).
     */
    private static void cholSolve4(int n, int ld, int j, float[] u, float[] b) {
        int i = 0;
        if (QUADS) {
            for (; i + 4 <= n; i += 4) solveQuad(n, ld, i, j, u, b, 1);
        }
        for (; i + 2 <= n; i += 2) {
            int b0 = i * ld + j, b1 = b0 + ld;
            FloatVector x0 = FloatVector.fromArray(SP, b, b0), x1 = FloatVector.fromArray(SP, b, b0 + LANES);
            FloatVector x2 = FloatVector.fromArray(SP, b, b0 + 2 * LANES), x3 = FloatVector.fromArray(SP, b, b0 + 3 * LANES);
            FloatVector y0 = FloatVector.fromArray(SP, b, b1), y1 = FloatVector.fromArray(SP, b, b1 + LANES);
            FloatVector y2 = FloatVector.fromArray(SP, b, b1 + 2 * LANES), y3 = FloatVector.fromArray(SP, b, b1 + 3 * LANES);
            for (int p = 0; p < i; p++) {
                int bp = p * ld + j;
                FloatVector f = FloatVector.broadcast(SP, -u[p * n + i]), g = FloatVector.broadcast(SP, -u[p * n + i + 1]);
                FloatVector v0 = FloatVector.fromArray(SP, b, bp), v1 = FloatVector.fromArray(SP, b, bp + LANES);
                FloatVector v2 = FloatVector.fromArray(SP, b, bp + 2 * LANES), v3 = FloatVector.fromArray(SP, b, bp + 3 * LANES);
                x0 = v0.fma(f, x0);
                x1 = v1.fma(f, x1);
                x2 = v2.fma(f, x2);
                x3 = v3.fma(f, x3);
                y0 = v0.fma(g, y0);
                y1 = v1.fma(g, y1);
                y2 = v2.fma(g, y2);
                y3 = v3.fma(g, y3);
            }
            FloatVector inv = FloatVector.broadcast(SP, 1f / u[i * n + i]);
            x0 = x0.mul(inv);
            x1 = x1.mul(inv);
            x2 = x2.mul(inv);
            x3 = x3.mul(inv);
            x0.intoArray(b, b0);
            x1.intoArray(b, b0 + LANES);
            x2.intoArray(b, b0 + 2 * LANES);
            x3.intoArray(b, b0 + 3 * LANES);
            FloatVector g = FloatVector.broadcast(SP, -u[i * n + i + 1]), inv1 = FloatVector.broadcast(SP, 1f / u[(i + 1) * n + i + 1]);
            x0.fma(g, y0).mul(inv1).intoArray(b, b1);
            x1.fma(g, y1).mul(inv1).intoArray(b, b1 + LANES);
            x2.fma(g, y2).mul(inv1).intoArray(b, b1 + 2 * LANES);
            x3.fma(g, y3).mul(inv1).intoArray(b, b1 + 3 * LANES);
        }
        if (i < n) forwardRow1(n, ld, i, j, u, b, 4);
        i = n - 1;
        if (QUADS) {
            for (; i - 3 >= 0; i -= 4) solveQuad(n, ld, i, j, u, b, -1);
        }
        for (; i - 1 >= 0; i -= 2) {
            int b0 = i * ld + j, b1 = b0 - ld, u0 = i * n, u1 = u0 - n;
            FloatVector x0 = FloatVector.fromArray(SP, b, b0), x1 = FloatVector.fromArray(SP, b, b0 + LANES);
            FloatVector x2 = FloatVector.fromArray(SP, b, b0 + 2 * LANES), x3 = FloatVector.fromArray(SP, b, b0 + 3 * LANES);
            FloatVector y0 = FloatVector.fromArray(SP, b, b1), y1 = FloatVector.fromArray(SP, b, b1 + LANES);
            FloatVector y2 = FloatVector.fromArray(SP, b, b1 + 2 * LANES), y3 = FloatVector.fromArray(SP, b, b1 + 3 * LANES);
            for (int p = n - 1; p > i; p--) {
                int bp = p * ld + j;
                FloatVector f = FloatVector.broadcast(SP, -u[u0 + p]), g = FloatVector.broadcast(SP, -u[u1 + p]);
                FloatVector v0 = FloatVector.fromArray(SP, b, bp), v1 = FloatVector.fromArray(SP, b, bp + LANES);
                FloatVector v2 = FloatVector.fromArray(SP, b, bp + 2 * LANES), v3 = FloatVector.fromArray(SP, b, bp + 3 * LANES);
                x0 = v0.fma(f, x0);
                x1 = v1.fma(f, x1);
                x2 = v2.fma(f, x2);
                x3 = v3.fma(f, x3);
                y0 = v0.fma(g, y0);
                y1 = v1.fma(g, y1);
                y2 = v2.fma(g, y2);
                y3 = v3.fma(g, y3);
            }
            FloatVector inv = FloatVector.broadcast(SP, 1f / u[u0 + i]);
            x0 = x0.mul(inv);
            x1 = x1.mul(inv);
            x2 = x2.mul(inv);
            x3 = x3.mul(inv);
            x0.intoArray(b, b0);
            x1.intoArray(b, b0 + LANES);
            x2.intoArray(b, b0 + 2 * LANES);
            x3.intoArray(b, b0 + 3 * LANES);
            FloatVector g = FloatVector.broadcast(SP, -u[u1 + i]), inv1 = FloatVector.broadcast(SP, 1f / u[u1 + i - 1]);
            x0.fma(g, y0).mul(inv1).intoArray(b, b1);
            x1.fma(g, y1).mul(inv1).intoArray(b, b1 + LANES);
            x2.fma(g, y2).mul(inv1).intoArray(b, b1 + 2 * LANES);
            x3.fma(g, y3).mul(inv1).intoArray(b, b1 + 3 * LANES);
        }
        if (i == 0) backRow1(n, ld, 0, j, u, b, 4);
    }

    /** Forward substitution of row i alone, over vecs vectors of right-hand sides from column j. */
    private static void forwardRow1(int n, int ld, int i, int j, float[] u, float[] b, int vecs) {
        for (int v = 0; v < vecs; v++) {
            int col = j + v * LANES;
            FloatVector acc = FloatVector.fromArray(SP, b, i * ld + col);
            for (int p = 0; p < i; p++) acc = FloatVector.fromArray(SP, b, p * ld + col).fma(FloatVector.broadcast(SP, -u[p * n + i]), acc);
            acc.mul(FloatVector.broadcast(SP, 1f / u[i * n + i])).intoArray(b, i * ld + col);
        }
    }

    /**
     * Four rows of a triangular solve, columns [j, j + 4 LANES): sixteen chains. Forward (dir = 1,
     * U^T y = b): rows i .. i+3, each row's terms p = 0 .. i-1 and then the quad's earlier rows;
     * back (dir = -1, U x = y): rows i, i-1, i-2, i-3, terms p = n-1 down to i+1 and then the quad's
     * earlier rows. Row r's coefficient at p is u[uRow_r + p * uStep]: U's column r going forward, its
     * row r going back. The order of every chain is the row-by-row solve's.
     */
    private static void solveQuad(int n, int ld, int i, int j, float[] u, float[] b, int dir) {
        final int step = dir * ld, uStep = dir > 0 ? n : 1;
        final int r0 = i * ld + j, r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
        final int u0 = dir > 0 ? i : i * n, u1 = dir > 0 ? i + 1 : u0 - n, u2 = dir > 0 ? i + 2 : u1 - n, u3 = dir > 0 ? i + 3 : u2 - n;
        FloatVector a0 = FloatVector.fromArray(SP, b, r0), a1 = FloatVector.fromArray(SP, b, r0 + LANES), a2 = FloatVector.fromArray(SP, b, r0 + 2 * LANES), a3 = FloatVector.fromArray(SP, b, r0 + 3 * LANES);
        FloatVector c0 = FloatVector.fromArray(SP, b, r1), c1 = FloatVector.fromArray(SP, b, r1 + LANES), c2 = FloatVector.fromArray(SP, b, r1 + 2 * LANES), c3 = FloatVector.fromArray(SP, b, r1 + 3 * LANES);
        FloatVector d0 = FloatVector.fromArray(SP, b, r2), d1 = FloatVector.fromArray(SP, b, r2 + LANES), d2 = FloatVector.fromArray(SP, b, r2 + 2 * LANES), d3 = FloatVector.fromArray(SP, b, r2 + 3 * LANES);
        FloatVector e0 = FloatVector.fromArray(SP, b, r3), e1 = FloatVector.fromArray(SP, b, r3 + LANES), e2 = FloatVector.fromArray(SP, b, r3 + 2 * LANES), e3 = FloatVector.fromArray(SP, b, r3 + 3 * LANES);
        for (int p = dir > 0 ? 0 : n - 1; p != i; p += dir) {
            int bp = p * ld + j, up = p * uStep;
            FloatVector f = FloatVector.broadcast(SP, -u[u0 + up]), g = FloatVector.broadcast(SP, -u[u1 + up]), h = FloatVector.broadcast(SP, -u[u2 + up]), q = FloatVector.broadcast(SP, -u[u3 + up]);
            FloatVector v0 = FloatVector.fromArray(SP, b, bp), v1 = FloatVector.fromArray(SP, b, bp + LANES), v2 = FloatVector.fromArray(SP, b, bp + 2 * LANES), v3 = FloatVector.fromArray(SP, b, bp + 3 * LANES);
            a0 = v0.fma(f, a0);
            a1 = v1.fma(f, a1);
            a2 = v2.fma(f, a2);
            a3 = v3.fma(f, a3);
            c0 = v0.fma(g, c0);
            c1 = v1.fma(g, c1);
            c2 = v2.fma(g, c2);
            c3 = v3.fma(g, c3);
            d0 = v0.fma(h, d0);
            d1 = v1.fma(h, d1);
            d2 = v2.fma(h, d2);
            d3 = v3.fma(h, d3);
            e0 = v0.fma(q, e0);
            e1 = v1.fma(q, e1);
            e2 = v2.fma(q, e2);
            e3 = v3.fma(q, e3);
        }
        FloatVector inv0 = FloatVector.broadcast(SP, 1f / u[u0 + i * uStep]);
        a0 = a0.mul(inv0);
        a0.intoArray(b, r0);
        a1 = a1.mul(inv0);
        a1.intoArray(b, r0 + LANES);
        a2 = a2.mul(inv0);
        a2.intoArray(b, r0 + 2 * LANES);
        a3 = a3.mul(inv0);
        a3.intoArray(b, r0 + 3 * LANES);
        FloatVector t10 = FloatVector.broadcast(SP, -u[u1 + i * uStep]);
        c0 = a0.fma(t10, c0);
        c1 = a1.fma(t10, c1);
        c2 = a2.fma(t10, c2);
        c3 = a3.fma(t10, c3);
        FloatVector inv1 = FloatVector.broadcast(SP, 1f / u[u1 + (i + dir) * uStep]);
        c0 = c0.mul(inv1);
        c0.intoArray(b, r1);
        c1 = c1.mul(inv1);
        c1.intoArray(b, r1 + LANES);
        c2 = c2.mul(inv1);
        c2.intoArray(b, r1 + 2 * LANES);
        c3 = c3.mul(inv1);
        c3.intoArray(b, r1 + 3 * LANES);
        FloatVector t20 = FloatVector.broadcast(SP, -u[u2 + i * uStep]);
        d0 = a0.fma(t20, d0);
        d1 = a1.fma(t20, d1);
        d2 = a2.fma(t20, d2);
        d3 = a3.fma(t20, d3);
        FloatVector t21 = FloatVector.broadcast(SP, -u[u2 + (i + dir) * uStep]);
        d0 = c0.fma(t21, d0);
        d1 = c1.fma(t21, d1);
        d2 = c2.fma(t21, d2);
        d3 = c3.fma(t21, d3);
        FloatVector inv2 = FloatVector.broadcast(SP, 1f / u[u2 + (i + 2 * dir) * uStep]);
        d0 = d0.mul(inv2);
        d0.intoArray(b, r2);
        d1 = d1.mul(inv2);
        d1.intoArray(b, r2 + LANES);
        d2 = d2.mul(inv2);
        d2.intoArray(b, r2 + 2 * LANES);
        d3 = d3.mul(inv2);
        d3.intoArray(b, r2 + 3 * LANES);
        FloatVector t30 = FloatVector.broadcast(SP, -u[u3 + i * uStep]);
        e0 = a0.fma(t30, e0);
        e1 = a1.fma(t30, e1);
        e2 = a2.fma(t30, e2);
        e3 = a3.fma(t30, e3);
        FloatVector t31 = FloatVector.broadcast(SP, -u[u3 + (i + dir) * uStep]);
        e0 = c0.fma(t31, e0);
        e1 = c1.fma(t31, e1);
        e2 = c2.fma(t31, e2);
        e3 = c3.fma(t31, e3);
        FloatVector t32 = FloatVector.broadcast(SP, -u[u3 + (i + 2 * dir) * uStep]);
        e0 = d0.fma(t32, e0);
        e1 = d1.fma(t32, e1);
        e2 = d2.fma(t32, e2);
        e3 = d3.fma(t32, e3);
        FloatVector inv3 = FloatVector.broadcast(SP, 1f / u[u3 + (i + 3 * dir) * uStep]);
        e0 = e0.mul(inv3);
        e0.intoArray(b, r3);
        e1 = e1.mul(inv3);
        e1.intoArray(b, r3 + LANES);
        e2 = e2.mul(inv3);
        e2.intoArray(b, r3 + 2 * LANES);
        e3 = e3.mul(inv3);
        e3.intoArray(b, r3 + 3 * LANES);
    }

    /** Back substitution of row i alone, p from n-1 down to i+1. */
    private static void backRow1(int n, int ld, int i, int j, float[] u, float[] b, int vecs) {
        for (int v = 0; v < vecs; v++) {
            int col = j + v * LANES;
            FloatVector acc = FloatVector.fromArray(SP, b, i * ld + col);
            for (int p = n - 1; p > i; p--) acc = FloatVector.fromArray(SP, b, p * ld + col).fma(FloatVector.broadcast(SP, -u[i * n + p]), acc);
            acc.mul(FloatVector.broadcast(SP, 1f / u[i * n + i])).intoArray(b, i * ld + col);
        }
    }

    /** Columns [j, j + LANES) of {@link #cholSolve}: one vector wide, row by row. */
    private static void cholSolve1(int n, int ld, int j, float[] u, float[] b) {
        for (int i = 0; i < n; i++) forwardRow1(n, ld, i, j, u, b, 1);
        for (int i = n - 1; i >= 0; i--) backRow1(n, ld, i, j, u, b, 1);
    }

    /** The row-by-row solve: reference for the vector path, and the path for few right-hand sides. */
    static void cholSolveSimple(int n, int nrhs, MemorySegment u, long uOff, MemorySegment b, long bOff) {
        for (int i = 0; i < n; i++) {
            long rowB = bOff + (long) i * nrhs;
            for (int p = 0; p < i; p++) {
                float upi = get(u, uOff + (long) p * n + i);
                if (upi != 0f) axpy(nrhs, -upi, b, bOff + (long) p * nrhs, b, rowB);
            }
            scal(nrhs, 1f / get(u, uOff + (long) i * n + i), b, rowB);
        }
        for (int i = n - 1; i >= 0; i--) {
            long rowB = bOff + (long) i * nrhs;
            for (int p = n - 1; p > i; p--) {
                float uip = get(u, uOff + (long) i * n + p);
                if (uip != 0f) axpy(nrhs, -uip, b, bOff + (long) p * nrhs, b, rowB);
            }
            scal(nrhs, 1f / get(u, uOff + (long) i * n + i), b, rowB);
        }
    }

    /** {@link #gemm} for contiguous matrices: op(A) [m,k], op(B) [k,n], C [m,n] with natural leading dimensions. */
    public static void mm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                          MemorySegment a, long aOff, MemorySegment b, long bOff,
                          float beta, MemorySegment c, long cOff) {
        gemm(transA, transB, m, n, k, alpha, a, aOff, transA ? m : k, b, bOff, transB ? k : n, beta, c, cOff, n);
    }

    /** dst[0..n) = src[0..n). */
    public static void copy(int n, MemorySegment src, long sOff, MemorySegment dst, long dOff) {
        MemorySegment.copy(src, sOff * 4, dst, dOff * 4, (long) n * 4);
    }

    /** x[0..n) = 0. */
    public static void zero(int n, MemorySegment x, long off) {
        x.asSlice(off * 4, (long) n * 4).fill((byte) 0);
    }
}
