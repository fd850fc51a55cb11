package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-blocked matrix product on off-heap float32 memory, the hot loop of the CPU backend:
 * C[m,n] = alpha * op(A) op(B) + beta * C. Each tile of C (4 rows by 2 vectors, or the tuning's
 * {@link CpuTuning#tile()}: 8 x 2 or 4 x 4 where there are 32 vector registers) is accumulated in
 * registers over a block of the inner dimension ({@link #P_BLOCK}), then written. op(B) is read row
 * by row, so a transposed B is first packed into a per-thread buffer (and, with 8 lanes, a transposed
 * A copied as rows: {@link #A_AS_ROWS}). Large products split their
 * rows over the threads ({@link CpuThreads}) in chunks whose bounds depend on the product's shape
 * only; a native BLAS may take the largest ({@link CpuTuning#blas()}).
 *
 * <p>Every tile computes each entry of C the same way: for the first block of p, acc = 0,
 * acc = fma(a_ip, b_pj, acc) over the block, c = beta * c + alpha * acc (beta * c only when beta
 * is not 0); for each next block the same with c + alpha * acc. The tile, the cache panels, the
 * thread count and the split change which entries are computed together, never an entry's bits.
 */
final class Gemm {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int ROWS = 4;
    /** Rows of C per parallel item: a multiple of the 4- and 8-row tiles' rows (24 for the 6-row tiles); about 16 items per product. */
    private static final int CHUNK_ALIGN = 8, CHUNKS = 16;

    static {
        VectorJit.preferC2();
    }

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
        CpuTuning tuning = CpuTuning.current();
        if (!tuning.blas().equals("java") && (long) m * n * k >= tuning.blasWork()) {
            NativeBlas lib = nativeBlas(tuning.blas());
            if (lib != null) {
                nativeGemm(lib, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                return;
            }
        }
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
        final int tile = tileCode(tuning.tile());
        final long blockBytes = tuning.blockKb() * 1024L;
        if ((long) m * n * k >= tuning.parallelWork() && m >= 2 * CHUNK_ALIGN && CpuThreads.workers(2) > 1) {
            // six-row tiles get chunks of a multiple of 24 rows, so no chunk ends in a 2-row remainder
            int chunk = chunkRows(m, sixRows(tile) ? 24 : CHUNK_ALIGN);
            int items = (m + chunk - 1) / chunk;
            CpuThreads.forEach(items, (w, item) -> rows(item * chunk, Math.min(m, (item + 1) * chunk), m, tile, blockBytes, transA, n, k, alpha,
                    a, aOff, lda, bb, bo, lb, beta, c, cOff, ldc));
        } else {
            rows(0, m, m, tile, blockBytes, transA, n, k, alpha, a, aOff, lda, bb, bo, lb, beta, c, cOff, ldc);
        }
    }

    /**
     * Products below this many multiply-adds go to a native BLAS in one call: a 64 x 64 Kalman
     * product cut into 8-row chunks spent more in the calls than in the library's kernel.
     */
    static final long NATIVE_ONE_CALL_WORK = 1L << 21;

    /**
     * Rows per native call at the least: every call packs all of op(B) again, so a chunk of few rows
     * pays that copy for little work. A layer's weight gradient, [128, 1600] x [1600, 128], ran at
     * 110 to 120 GFLOP/s on two threads in 16 chunks of 8 rows and at 188 in 2 of 64 (OpenBLAS,
     * AVX2); the batched layers' own products (1600 rows and more) keep their chunks.
     */
    static final int NATIVE_MIN_CHUNK_ROWS = 64;

    /**
     * The product on a native BLAS: in one call below {@link #NATIVE_ONE_CALL_WORK}, else in row
     * chunks shared by the threads. Which it is and the chunks' bounds depend on the shape only, so
     * each is the same library call whatever the thread count.
     */
    private static void nativeGemm(NativeBlas lib, boolean transA, boolean transB, int m, int n, int k, float alpha,
                                   MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                                   float beta, MemorySegment c, long cOff, int ldc) {
        if ((long) m * n * k < NATIVE_ONE_CALL_WORK) {
            lib.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        int chunk = Math.max(chunkRows(m), NATIVE_MIN_CHUNK_ROWS);
        int items = (m + chunk - 1) / chunk;
        CpuThreads.forEach(items, (w, item) -> {
            int r0 = item * chunk, rows = Math.min(chunk, m - r0);
            lib.gemm(transA, transB, rows, n, k, alpha, a, transA ? aOff + r0 : aOff + (long) r0 * lda, lda,
                    b, bOff, ldb, beta, c, cOff + (long) r0 * ldc, ldc);
        });
    }

    private static volatile String blasWarned;
    /** The library the last product used: every product asks, and two map lookups by name cost more than a compare. */
    private static volatile NativeBlas lastBlas;

    /** The tuning's native library, or null (once said on stderr) when it does not load: the Java kernels then run. */
    private static NativeBlas nativeBlas(String name) {
        NativeBlas last = lastBlas;
        if (last != null && last.name.equals(name)) return last;
        if (NativeBlas.available(name)) return lastBlas = NativeBlas.get(name);
        if (!name.equals(blasWarned)) {
            blasWarned = name;
            System.err.println("mrine: " + NativeBlas.problem(name) + "; the Java kernels run instead");
        }
        return null;
    }

    /** Rows per parallel item for a product with m rows: about {@link #CHUNKS} items, each a multiple of 8 rows. */
    static int chunkRows(int m) {
        return chunkRows(m, CHUNK_ALIGN);
    }

    /** Rows per parallel item: about {@link #CHUNKS} items, each a multiple of align rows. */
    private static int chunkRows(int m, int align) {
        int rows = (m + CHUNKS - 1) / CHUNKS;
        return Math.max(align, (rows + align - 1) / align * align);
    }

    static final int TILE_4X2 = 0, TILE_8X2 = 1, TILE_4X4 = 2, TILE_6X2 = 3, TILE_6X4 = 4;

    static int tileCode(String tile) {
        return switch (tile) {
            case "8x2" -> TILE_8X2;
            case "4x4" -> TILE_4X4;
            case "6x2" -> TILE_6X2;
            case "6x4" -> TILE_6X4;
            default -> TILE_4X2;
        };
    }

    /** Whether the tile takes six rows of C at a time (6x2, 6x4). */
    private static boolean sixRows(int tile) {
        return tile == TILE_6X2 || tile == TILE_6X4;
    }

    /** dst [k, nPad] = op(B) [k, n] padded with zero columns. */
    private static void pack(boolean transB, int n, int k, MemorySegment b, long bOff, int ldb, MemorySegment dst, int nPad) {
        // B [n,k] with rows ldb apart: its transpose in register blocks
        if (transB) Transpose.transpose(n, k, b, bOff, ldb, dst, 0, nPad);
        for (int p = 0; p < k; p++) {
            long row = (long) p * nPad;
            if (!transB) MemorySegment.copy(b, (bOff + (long) p * ldb) * 4, dst, row * 4, (long) n * 4);
            for (int j = n; j < nPad; j++) Blas.set(dst, row + j, 0f);
        }
    }

    /** Per-thread lanes of a partial last vector of C, written lane by lane. */
    private static final ThreadLocal<float[]> PARTIAL_VECTOR = ThreadLocal.withInitial(() -> new float[L]);

    /**
     * Whether a transposed A is copied as rows before the tiles read it: the 16-register tiles (6x2,
     * 4x2) have a loop for A as rows, whose range checks C2 lifts out (it does so only where an index
     * moves by a constant), and with A read at a stride known at run time they keep six checks per 12
     * multiply-adds. With 8 lanes that paid for the copy: 6x2 at 64^3, one thread, Zen 4, 85 against
     * 67 GFLOP/s with A as rows, 73 against 66 with A transposed and copied. With 16 lanes the
     * 32-register tiles run at the FMA peak either way, and the copy cost 14% on a 64^3 product.
     */
    static final boolean A_AS_ROWS = L == 8;

    /** Rows of op(A) per copy of a transposed A ({@link #rows}): a multiple of every tile's rows. */
    static final int A_ROWS = 192;

    /** Per-thread buffer of op(A)'s rows where A is stored transposed; grows, never shrinks. */
    private static final ThreadLocal<MemorySegment[]> A_ROWS_BUFFER = ThreadLocal.withInitial(() -> new MemorySegment[1]);

    private static MemorySegment aRowsBuffer(long floats) {
        return grown(A_ROWS_BUFFER.get(), floats);
    }

    private static MemorySegment packBuffer(long floats) {
        return grown(PACK.get(), floats);
    }

    private static MemorySegment grown(MemorySegment[] holder, long floats) {
        if (holder[0] == null || holder[0].byteSize() < floats * 4) {
            holder[0] = Arena.ofAuto().allocate(Math.max(floats, 4096) * 4, 64);
        }
        return holder[0];
    }

    /**
     * The inner dimension goes in blocks of this many: C = beta C + alpha (sum over the first block),
     * then C += alpha (sum over each next block), each block's sum one chain of multiply-adds from zero.
     * A fixed part of the product's definition (not a tuning choice, so no choice changes the bits):
     * a tall op(B), such as a weight gradient's [3200, 128], then stays in cache while every row of A
     * passes over its block, instead of streaming from memory for every 4 rows of C.
     */
    static final int P_BLOCK = 512;

    /**
     * Rows [from, to) of C; op(B) is row-major [k,n] with leading dimension ldb. The inner dimension
     * goes in blocks of {@link #P_BLOCK}; within a block, when its part of op(B) is larger than the
     * tuning's cache block ({@link CpuTuning#blockKb()}: about what L2 holds beside A's rows and C),
     * the columns go in panels whose part of op(B) stays in cache while every row passes over it.
     * The panels change no bits (each entry of C is computed the same way in any panel).
     *
     * <p>With {@link #A_AS_ROWS}, A stored transposed is first copied, {@link #A_ROWS} rows and one
     * block of p at a time, into a per-thread buffer of op(A)'s rows; only data moves, so no bits
     * change.
     */
    private static void rows(int from, int to, int m, int tile, long blockBytes, boolean transA, int n, int k, float alpha,
                             MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
                             float beta, MemorySegment c, long cOff, int ldc) {
        final int nPad = (n + L - 1) / L * L;
        for (int p0 = 0; p0 < k; p0 += P_BLOCK) {
            int kb = Math.min(P_BLOCK, k - p0);
            int nb = nPad;
            if ((long) kb * nPad * 4 > blockBytes) nb = Math.min(nPad, Math.max(4 * L, (int) (blockBytes / (4L * kb)) / (4 * L) * (4 * L)));
            long aBlock = aOff + (transA ? (long) p0 * lda : p0), bBlock = bOff + (long) p0 * ldb;
            float betaBlock = p0 == 0 ? beta : 1f;
            if (!(transA && A_AS_ROWS)) {
                // A(i, p) at aBlock + i rs + p ps, whichever way A is stored
                long rs = transA ? 1 : lda, ps = transA ? lda : 1;
                for (int j0 = 0; j0 < n; j0 += nb) {
                    block(from, to, j0, Math.min(n, j0 + nb), tile, n, kb, alpha, a, aBlock, rs, ps, b, bBlock, ldb, betaBlock, c, cOff, ldc);
                }
                continue;
            }
            for (int r0 = from; r0 < to; r0 += A_ROWS) {
                int r1 = Math.min(to, r0 + A_ROWS);
                // A [k,m] stored: columns r0..r1 of its rows p0.. become op(A)'s rows r0..r1, kb long;
                // up to a vector's width of columns more where A has them, as the transpose moves
                // whole blocks in registers and leftover columns one by one
                int width = Math.min(m - r0, (r1 - r0 + L - 1) / L * L);
                MemorySegment aRows = aRowsBuffer((long) width * kb);
                Transpose.transpose(kb, width, a, aBlock + r0, lda, aRows, 0, kb);
                for (int j0 = 0; j0 < n; j0 += nb) {
                    // row i of C reads buffer row i - r0
                    block(r0, r1, j0, Math.min(n, j0 + nb), tile, n, kb, alpha, aRows, -(long) r0 * kb, kb, 1, b, bBlock, ldb, betaBlock, c, cOff, ldc);
                }
            }
        }
    }

    /** Rows [from, to), columns [j0, j1) of C in register tiles; A(i, p) at aOff + i rs + p ps. */
    private static void block(int from, int to, int j0, int j1, int tile, int n, int k, float alpha,
                              MemorySegment a, long aOff, long rs, long ps, MemorySegment b, long bOff, int ldb,
                              float beta, MemorySegment c, long cOff, int ldc) {
        final float[] lanes = PARTIAL_VECTOR.get();
        int i = from;
        if (sixRows(tile)) {
            for (; i + 6 <= to; i += 6) {
                int j = j0;
                if (tile == TILE_6X4) {
                    for (; j + 4 * L <= j1; j += 4 * L) tile6x4(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
                }
                for (; j + 2 * L <= j1; j += 2 * L) tile6x2(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
                for (; j < j1; j += L) {
                    int width = Math.min(L, n - j);
                    tile4x1(i, j, width, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
                    tile1x1(i + 4, j, width, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
                    tile1x1(i + 5, j, width, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
                }
            }
        }
        if (tile == TILE_8X2) {
            for (; i + 8 <= to; i += 8) {
                int j = j0;
                for (; j + 2 * L <= j1; j += 2 * L) tile8x2(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
                for (; j < j1; j += L) {
                    tile4x1(i, j, Math.min(L, n - j), k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
                    tile4x1(i + 4, j, Math.min(L, n - j), k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
                }
            }
        }
        for (; i + ROWS <= to; i += ROWS) {
            int j = j0;
            if (tile == TILE_4X4 || tile == TILE_6X4) {
                for (; j + 4 * L <= j1; j += 4 * L) tile4x4(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
            }
            for (; j + 2 * L <= j1; j += 2 * L) tile4x2(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
            for (; j < j1; j += L) tile4x1(i, j, Math.min(L, n - j), k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
        }
        for (; i < to; i++) {
            int j = j0;
            for (; j + 8 * L <= j1; j += 8 * L) tile1x8(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
            for (; j + 4 * L <= j1; j += 4 * L) tile1x4(i, j, k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc);
            for (; j < j1; j += L) tile1x1(i, j, Math.min(L, n - j), k, alpha, a, aOff, rs, ps, b, bOff, ldb, beta, c, cOff, ldc, lanes);
        }
    }

    /** 4 rows by 2 vectors: 8 accumulators, 2 loads and 4 broadcasts per 8 multiply-adds (fits 16 vector registers). */
    private static void tile4x2(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs;
        long bRow = bOff + j;
        if (ps == 1) {
            // A as rows: the same loop with a_ip at a constant stride, whose range checks C2 lifts out of it
            for (int p = 0; p < k; p++, bRow += ldb) {
                FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
                FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
                FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + p));
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(SP, Blas.get(a, a1 + p));
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(SP, Blas.get(a, a2 + p));
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(SP, Blas.get(a, a3 + p));
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
            }
        } else {
            for (int p = 0; p < k; p++, bRow += ldb) {
                FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
                FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
                long ap = p * ps;
                FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
            }
        }
        // the epilogue is written out here: behind a helper call C2 would box the accumulators
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c10 = c10.mul(va);
        c11 = c11.mul(va);
        c20 = c20.mul(va);
        c21 = c21.mul(va);
        c30 = c30.mul(va);
        c31 = c31.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c11 = FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c21 = FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
            c31 = FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c11.intoMemorySegment(c, (r1 + L) * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c21.intoMemorySegment(c, (r2 + L) * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
        c31.intoMemorySegment(c, (r3 + L) * 4, ORDER);
    }

    /** 8 rows by 2 vectors: 16 accumulators, 2 loads and 8 broadcasts per 16 multiply-adds. Needs 32 vector
     * registers (AVX-512): more independent chains than 4 x 2 for two FMA units with a 4-cycle latency
     * (which need 8 in flight just to stay busy). */
    private static void tile8x2(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs, a6 = a5 + rs, a7 = a6 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(SP, Blas.get(a, a4 + ap));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(SP, Blas.get(a, a5 + ap));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(SP, Blas.get(a, a6 + ap));
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(SP, Blas.get(a, a7 + ap));
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        // the epilogue is written out here: behind a helper call C2 would box the accumulators
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc, r6 = r5 + ldc, r7 = r6 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c10 = c10.mul(va);
        c11 = c11.mul(va);
        c20 = c20.mul(va);
        c21 = c21.mul(va);
        c30 = c30.mul(va);
        c31 = c31.mul(va);
        c40 = c40.mul(va);
        c41 = c41.mul(va);
        c50 = c50.mul(va);
        c51 = c51.mul(va);
        c60 = c60.mul(va);
        c61 = c61.mul(va);
        c70 = c70.mul(va);
        c71 = c71.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c11 = FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c21 = FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
            c31 = FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31);
            c40 = FloatVector.fromMemorySegment(SP, c, r4 * 4, ORDER).fma(vb, c40);
            c41 = FloatVector.fromMemorySegment(SP, c, (r4 + L) * 4, ORDER).fma(vb, c41);
            c50 = FloatVector.fromMemorySegment(SP, c, r5 * 4, ORDER).fma(vb, c50);
            c51 = FloatVector.fromMemorySegment(SP, c, (r5 + L) * 4, ORDER).fma(vb, c51);
            c60 = FloatVector.fromMemorySegment(SP, c, r6 * 4, ORDER).fma(vb, c60);
            c61 = FloatVector.fromMemorySegment(SP, c, (r6 + L) * 4, ORDER).fma(vb, c61);
            c70 = FloatVector.fromMemorySegment(SP, c, r7 * 4, ORDER).fma(vb, c70);
            c71 = FloatVector.fromMemorySegment(SP, c, (r7 + L) * 4, ORDER).fma(vb, c71);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c11.intoMemorySegment(c, (r1 + L) * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c21.intoMemorySegment(c, (r2 + L) * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
        c31.intoMemorySegment(c, (r3 + L) * 4, ORDER);
        c40.intoMemorySegment(c, r4 * 4, ORDER);
        c41.intoMemorySegment(c, (r4 + L) * 4, ORDER);
        c50.intoMemorySegment(c, r5 * 4, ORDER);
        c51.intoMemorySegment(c, (r5 + L) * 4, ORDER);
        c60.intoMemorySegment(c, r6 * 4, ORDER);
        c61.intoMemorySegment(c, (r6 + L) * 4, ORDER);
        c70.intoMemorySegment(c, r7 * 4, ORDER);
        c71.intoMemorySegment(c, (r7 + L) * 4, ORDER);
    }

    /** 4 rows by 4 vectors: 16 accumulators, 4 loads and 4 broadcasts per 16 multiply-adds (a 64-wide
     * row of a 64 x 64 product in one tile at 512 bits). Needs 32 vector registers. */
    private static void tile4x4(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(SP, b, (bRow + 2 * L) * 4, ORDER);
            FloatVector b3 = FloatVector.fromMemorySegment(SP, b, (bRow + 3 * L) * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        // the epilogue is written out here: behind a helper call C2 would box the accumulators
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c02 = c02.mul(va);
        c03 = c03.mul(va);
        c10 = c10.mul(va);
        c11 = c11.mul(va);
        c12 = c12.mul(va);
        c13 = c13.mul(va);
        c20 = c20.mul(va);
        c21 = c21.mul(va);
        c22 = c22.mul(va);
        c23 = c23.mul(va);
        c30 = c30.mul(va);
        c31 = c31.mul(va);
        c32 = c32.mul(va);
        c33 = c33.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c02 = FloatVector.fromMemorySegment(SP, c, (r0 + 2 * L) * 4, ORDER).fma(vb, c02);
            c03 = FloatVector.fromMemorySegment(SP, c, (r0 + 3 * L) * 4, ORDER).fma(vb, c03);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c11 = FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11);
            c12 = FloatVector.fromMemorySegment(SP, c, (r1 + 2 * L) * 4, ORDER).fma(vb, c12);
            c13 = FloatVector.fromMemorySegment(SP, c, (r1 + 3 * L) * 4, ORDER).fma(vb, c13);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c21 = FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21);
            c22 = FloatVector.fromMemorySegment(SP, c, (r2 + 2 * L) * 4, ORDER).fma(vb, c22);
            c23 = FloatVector.fromMemorySegment(SP, c, (r2 + 3 * L) * 4, ORDER).fma(vb, c23);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
            c31 = FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31);
            c32 = FloatVector.fromMemorySegment(SP, c, (r3 + 2 * L) * 4, ORDER).fma(vb, c32);
            c33 = FloatVector.fromMemorySegment(SP, c, (r3 + 3 * L) * 4, ORDER).fma(vb, c33);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c02.intoMemorySegment(c, (r0 + 2 * L) * 4, ORDER);
        c03.intoMemorySegment(c, (r0 + 3 * L) * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c11.intoMemorySegment(c, (r1 + L) * 4, ORDER);
        c12.intoMemorySegment(c, (r1 + 2 * L) * 4, ORDER);
        c13.intoMemorySegment(c, (r1 + 3 * L) * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c21.intoMemorySegment(c, (r2 + L) * 4, ORDER);
        c22.intoMemorySegment(c, (r2 + 2 * L) * 4, ORDER);
        c23.intoMemorySegment(c, (r2 + 3 * L) * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
        c31.intoMemorySegment(c, (r3 + L) * 4, ORDER);
        c32.intoMemorySegment(c, (r3 + 2 * L) * 4, ORDER);
        c33.intoMemorySegment(c, (r3 + 3 * L) * 4, ORDER);
    }

    /** 6 rows by 2 vectors: 12 accumulators, 2 loads and 6 broadcasts per 12 multiply-adds, 15 registers:
     * the most chains that fit 16 vector registers (AVX2), as in BLIS's and OpenBLAS's Haswell kernels. */
    private static void tile6x2(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        long bRow = bOff + j;
        if (ps == 1) {
            // A as rows: the same loop with a_ip at a constant stride, whose range checks C2 lifts out of it
            for (int p = 0; p < k; p++, bRow += ldb) {
                FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
                FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
                FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + p));
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(SP, Blas.get(a, a1 + p));
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(SP, Blas.get(a, a2 + p));
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(SP, Blas.get(a, a3 + p));
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
                x = FloatVector.broadcast(SP, Blas.get(a, a4 + p));
                c40 = x.fma(b0, c40);
                c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(SP, Blas.get(a, a5 + p));
                c50 = x.fma(b0, c50);
                c51 = x.fma(b1, c51);
            }
        } else {
            for (int p = 0; p < k; p++, bRow += ldb) {
                FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
                FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
                long ap = p * ps;
                FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
                c00 = x.fma(b0, c00);
                c01 = x.fma(b1, c01);
                x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
                c10 = x.fma(b0, c10);
                c11 = x.fma(b1, c11);
                x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
                c20 = x.fma(b0, c20);
                c21 = x.fma(b1, c21);
                x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
                c30 = x.fma(b0, c30);
                c31 = x.fma(b1, c31);
                x = FloatVector.broadcast(SP, Blas.get(a, a4 + ap));
                c40 = x.fma(b0, c40);
                c41 = x.fma(b1, c41);
                x = FloatVector.broadcast(SP, Blas.get(a, a5 + ap));
                c50 = x.fma(b0, c50);
                c51 = x.fma(b1, c51);
            }
        }
        // the epilogue is written out here: behind a helper call C2 would box the accumulators
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c10 = c10.mul(va);
        c11 = c11.mul(va);
        c20 = c20.mul(va);
        c21 = c21.mul(va);
        c30 = c30.mul(va);
        c31 = c31.mul(va);
        c40 = c40.mul(va);
        c41 = c41.mul(va);
        c50 = c50.mul(va);
        c51 = c51.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c11 = FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c21 = FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
            c31 = FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31);
            c40 = FloatVector.fromMemorySegment(SP, c, r4 * 4, ORDER).fma(vb, c40);
            c41 = FloatVector.fromMemorySegment(SP, c, (r4 + L) * 4, ORDER).fma(vb, c41);
            c50 = FloatVector.fromMemorySegment(SP, c, r5 * 4, ORDER).fma(vb, c50);
            c51 = FloatVector.fromMemorySegment(SP, c, (r5 + L) * 4, ORDER).fma(vb, c51);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c11.intoMemorySegment(c, (r1 + L) * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c21.intoMemorySegment(c, (r2 + L) * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
        c31.intoMemorySegment(c, (r3 + L) * 4, ORDER);
        c40.intoMemorySegment(c, r4 * 4, ORDER);
        c41.intoMemorySegment(c, (r4 + L) * 4, ORDER);
        c50.intoMemorySegment(c, r5 * 4, ORDER);
        c51.intoMemorySegment(c, (r5 + L) * 4, ORDER);
    }

    /** 6 rows by 4 vectors: 24 accumulators, 4 loads and 6 broadcasts per 24 multiply-adds, 29 registers.
     * Needs 32 vector registers (AVX-512). */
    private static void tile6x4(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00, c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00, c40 = c00, c41 = c00, c42 = c00, c43 = c00, c50 = c00, c51 = c00, c52 = c00, c53 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs, a4 = a3 + rs, a5 = a4 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(SP, b, (bRow + 2 * L) * 4, ORDER);
            FloatVector b3 = FloatVector.fromMemorySegment(SP, b, (bRow + 3 * L) * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
            x = FloatVector.broadcast(SP, Blas.get(a, a4 + ap));
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            c43 = x.fma(b3, c43);
            x = FloatVector.broadcast(SP, Blas.get(a, a5 + ap));
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            c53 = x.fma(b3, c53);
        }
        // the epilogue is written out here: behind a helper call C2 would box the accumulators
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc, r4 = r3 + ldc, r5 = r4 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c02 = c02.mul(va);
        c03 = c03.mul(va);
        c10 = c10.mul(va);
        c11 = c11.mul(va);
        c12 = c12.mul(va);
        c13 = c13.mul(va);
        c20 = c20.mul(va);
        c21 = c21.mul(va);
        c22 = c22.mul(va);
        c23 = c23.mul(va);
        c30 = c30.mul(va);
        c31 = c31.mul(va);
        c32 = c32.mul(va);
        c33 = c33.mul(va);
        c40 = c40.mul(va);
        c41 = c41.mul(va);
        c42 = c42.mul(va);
        c43 = c43.mul(va);
        c50 = c50.mul(va);
        c51 = c51.mul(va);
        c52 = c52.mul(va);
        c53 = c53.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c02 = FloatVector.fromMemorySegment(SP, c, (r0 + 2 * L) * 4, ORDER).fma(vb, c02);
            c03 = FloatVector.fromMemorySegment(SP, c, (r0 + 3 * L) * 4, ORDER).fma(vb, c03);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c11 = FloatVector.fromMemorySegment(SP, c, (r1 + L) * 4, ORDER).fma(vb, c11);
            c12 = FloatVector.fromMemorySegment(SP, c, (r1 + 2 * L) * 4, ORDER).fma(vb, c12);
            c13 = FloatVector.fromMemorySegment(SP, c, (r1 + 3 * L) * 4, ORDER).fma(vb, c13);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c21 = FloatVector.fromMemorySegment(SP, c, (r2 + L) * 4, ORDER).fma(vb, c21);
            c22 = FloatVector.fromMemorySegment(SP, c, (r2 + 2 * L) * 4, ORDER).fma(vb, c22);
            c23 = FloatVector.fromMemorySegment(SP, c, (r2 + 3 * L) * 4, ORDER).fma(vb, c23);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
            c31 = FloatVector.fromMemorySegment(SP, c, (r3 + L) * 4, ORDER).fma(vb, c31);
            c32 = FloatVector.fromMemorySegment(SP, c, (r3 + 2 * L) * 4, ORDER).fma(vb, c32);
            c33 = FloatVector.fromMemorySegment(SP, c, (r3 + 3 * L) * 4, ORDER).fma(vb, c33);
            c40 = FloatVector.fromMemorySegment(SP, c, r4 * 4, ORDER).fma(vb, c40);
            c41 = FloatVector.fromMemorySegment(SP, c, (r4 + L) * 4, ORDER).fma(vb, c41);
            c42 = FloatVector.fromMemorySegment(SP, c, (r4 + 2 * L) * 4, ORDER).fma(vb, c42);
            c43 = FloatVector.fromMemorySegment(SP, c, (r4 + 3 * L) * 4, ORDER).fma(vb, c43);
            c50 = FloatVector.fromMemorySegment(SP, c, r5 * 4, ORDER).fma(vb, c50);
            c51 = FloatVector.fromMemorySegment(SP, c, (r5 + L) * 4, ORDER).fma(vb, c51);
            c52 = FloatVector.fromMemorySegment(SP, c, (r5 + 2 * L) * 4, ORDER).fma(vb, c52);
            c53 = FloatVector.fromMemorySegment(SP, c, (r5 + 3 * L) * 4, ORDER).fma(vb, c53);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c02.intoMemorySegment(c, (r0 + 2 * L) * 4, ORDER);
        c03.intoMemorySegment(c, (r0 + 3 * L) * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c11.intoMemorySegment(c, (r1 + L) * 4, ORDER);
        c12.intoMemorySegment(c, (r1 + 2 * L) * 4, ORDER);
        c13.intoMemorySegment(c, (r1 + 3 * L) * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c21.intoMemorySegment(c, (r2 + L) * 4, ORDER);
        c22.intoMemorySegment(c, (r2 + 2 * L) * 4, ORDER);
        c23.intoMemorySegment(c, (r2 + 3 * L) * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
        c31.intoMemorySegment(c, (r3 + L) * 4, ORDER);
        c32.intoMemorySegment(c, (r3 + 2 * L) * 4, ORDER);
        c33.intoMemorySegment(c, (r3 + 3 * L) * 4, ORDER);
        c40.intoMemorySegment(c, r4 * 4, ORDER);
        c41.intoMemorySegment(c, (r4 + L) * 4, ORDER);
        c42.intoMemorySegment(c, (r4 + 2 * L) * 4, ORDER);
        c43.intoMemorySegment(c, (r4 + 3 * L) * 4, ORDER);
        c50.intoMemorySegment(c, r5 * 4, ORDER);
        c51.intoMemorySegment(c, (r5 + L) * 4, ORDER);
        c52.intoMemorySegment(c, (r5 + 2 * L) * 4, ORDER);
        c53.intoMemorySegment(c, (r5 + 3 * L) * 4, ORDER);
    }

    /** 4 rows by 1 vector, columns [j, j + width): a partial last vector (width &lt; L) goes to C lane by
     * lane (masked loads and stores that can reach past a segment's end have a slow path, and C2 then
     * kept every vector of the loop on the heap). */
    private static void tile4x1(int i, int j, int width, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc, float[] lanes) {
        FloatVector c00 = FloatVector.zero(SP), c10 = c00, c20 = c00, c30 = c00;
        long a0 = aOff + i * rs, a1 = a0 + rs, a2 = a1 + rs, a3 = a2 + rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
            x = FloatVector.broadcast(SP, Blas.get(a, a1 + ap));
            c10 = x.fma(b0, c10);
            x = FloatVector.broadcast(SP, Blas.get(a, a2 + ap));
            c20 = x.fma(b0, c20);
            x = FloatVector.broadcast(SP, Blas.get(a, a3 + ap));
            c30 = x.fma(b0, c30);
        }
        long r0 = cOff + (long) i * ldc + j, r1 = r0 + ldc, r2 = r1 + ldc, r3 = r2 + ldc;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c10 = c10.mul(va);
        c20 = c20.mul(va);
        c30 = c30.mul(va);
        if (width < L) {
            storeLanes(c00, width, beta, c, r0, lanes);
            storeLanes(c10, width, beta, c, r1, lanes);
            storeLanes(c20, width, beta, c, r2, lanes);
            storeLanes(c30, width, beta, c, r3, lanes);
            return;
        }
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c10 = FloatVector.fromMemorySegment(SP, c, r1 * 4, ORDER).fma(vb, c10);
            c20 = FloatVector.fromMemorySegment(SP, c, r2 * 4, ORDER).fma(vb, c20);
            c30 = FloatVector.fromMemorySegment(SP, c, r3 * 4, ORDER).fma(vb, c30);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c10.intoMemorySegment(c, r1 * 4, ORDER);
        c20.intoMemorySegment(c, r2 * 4, ORDER);
        c30.intoMemorySegment(c, r3 * 4, ORDER);
    }

    /**
     * One row by 8 vectors: a row left over by the row tiles is a chain of multiply-adds per vector
     * of C, so its speed is the FMA latency over the chains in flight: 8 keep two FMA units with a
     * 4-cycle latency busy, where 4 (the 1 x 4 tile) left them half idle ({@link SparseRow} does
     * the same for the streaming step's one-row products).
     */
    private static void tile1x8(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00, c04 = c00, c05 = c00, c06 = c00, c07 = c00;
        long a0 = aOff + i * rs;
        for (int p = 0; p < k; p++) {
            long bRow = bOff + (long) p * ldb + j;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + p * ps));
            c00 = x.fma(FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER), c00);
            c01 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER), c01);
            c02 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 2 * L) * 4, ORDER), c02);
            c03 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 3 * L) * 4, ORDER), c03);
            c04 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 4 * L) * 4, ORDER), c04);
            c05 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 5 * L) * 4, ORDER), c05);
            c06 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 6 * L) * 4, ORDER), c06);
            c07 = x.fma(FloatVector.fromMemorySegment(SP, b, (bRow + 7 * L) * 4, ORDER), c07);
        }
        long r0 = cOff + (long) i * ldc + j;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c02 = c02.mul(va);
        c03 = c03.mul(va);
        c04 = c04.mul(va);
        c05 = c05.mul(va);
        c06 = c06.mul(va);
        c07 = c07.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c02 = FloatVector.fromMemorySegment(SP, c, (r0 + 2 * L) * 4, ORDER).fma(vb, c02);
            c03 = FloatVector.fromMemorySegment(SP, c, (r0 + 3 * L) * 4, ORDER).fma(vb, c03);
            c04 = FloatVector.fromMemorySegment(SP, c, (r0 + 4 * L) * 4, ORDER).fma(vb, c04);
            c05 = FloatVector.fromMemorySegment(SP, c, (r0 + 5 * L) * 4, ORDER).fma(vb, c05);
            c06 = FloatVector.fromMemorySegment(SP, c, (r0 + 6 * L) * 4, ORDER).fma(vb, c06);
            c07 = FloatVector.fromMemorySegment(SP, c, (r0 + 7 * L) * 4, ORDER).fma(vb, c07);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c02.intoMemorySegment(c, (r0 + 2 * L) * 4, ORDER);
        c03.intoMemorySegment(c, (r0 + 3 * L) * 4, ORDER);
        c04.intoMemorySegment(c, (r0 + 4 * L) * 4, ORDER);
        c05.intoMemorySegment(c, (r0 + 5 * L) * 4, ORDER);
        c06.intoMemorySegment(c, (r0 + 6 * L) * 4, ORDER);
        c07.intoMemorySegment(c, (r0 + 7 * L) * 4, ORDER);
    }

    /** One row by four vectors: a row left over by the row tiles, or a product of one row (a layer on one
     * sample, with its weight stored transposed). Four independent multiply-add chains; one chain alone
     * would wait on the multiply-add latency at every step. */
    private static void tile1x4(int i, int j, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector c00 = FloatVector.zero(SP), c01 = c00, c02 = c00, c03 = c00;
        long a0 = aOff + i * rs;
        for (int p = 0; p < k; p++) {
            long bRow = bOff + (long) p * ldb + j;
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SP, b, (bRow + L) * 4, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(SP, b, (bRow + 2 * L) * 4, ORDER);
            FloatVector b3 = FloatVector.fromMemorySegment(SP, b, (bRow + 3 * L) * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
        }
        long r0 = cOff + (long) i * ldc + j;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        c01 = c01.mul(va);
        c02 = c02.mul(va);
        c03 = c03.mul(va);
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
            c01 = FloatVector.fromMemorySegment(SP, c, (r0 + L) * 4, ORDER).fma(vb, c01);
            c02 = FloatVector.fromMemorySegment(SP, c, (r0 + 2 * L) * 4, ORDER).fma(vb, c02);
            c03 = FloatVector.fromMemorySegment(SP, c, (r0 + 3 * L) * 4, ORDER).fma(vb, c03);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
        c01.intoMemorySegment(c, (r0 + L) * 4, ORDER);
        c02.intoMemorySegment(c, (r0 + 2 * L) * 4, ORDER);
        c03.intoMemorySegment(c, (r0 + 3 * L) * 4, ORDER);
    }

    /** One row by one vector, like {@link #tile4x1}. */
    private static void tile1x1(int i, int j, int width, int k, float alpha, MemorySegment a, long aOff, long rs, long ps,
                                MemorySegment b, long bOff, int ldb, float beta, MemorySegment c, long cOff, int ldc, float[] lanes) {
        FloatVector c00 = FloatVector.zero(SP);
        long a0 = aOff + i * rs;
        long bRow = bOff + j;
        for (int p = 0; p < k; p++, bRow += ldb) {
            FloatVector b0 = FloatVector.fromMemorySegment(SP, b, bRow * 4, ORDER);
            long ap = p * ps;
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, a0 + ap));
            c00 = x.fma(b0, c00);
        }
        long r0 = cOff + (long) i * ldc + j;
        FloatVector va = FloatVector.broadcast(SP, alpha);
        c00 = c00.mul(va);
        if (width < L) {
            storeLanes(c00, width, beta, c, r0, lanes);
            return;
        }
        if (beta != 0f) {
            FloatVector vb = FloatVector.broadcast(SP, beta);
            c00 = FloatVector.fromMemorySegment(SP, c, r0 * 4, ORDER).fma(vb, c00);
        }
        c00.intoMemorySegment(c, r0 * 4, ORDER);
    }


    /** c[at .. at + width) = v's first lanes (+ beta * c): the same operations as the vector epilogue. */
    private static void storeLanes(FloatVector v, int width, float beta, MemorySegment c, long at, float[] lanes) {
        v.intoArray(lanes, 0);
        for (int q = 0; q < width; q++) {
            Blas.set(c, at + q, beta == 0f ? lanes[q] : Math.fma(Blas.get(c, at + q), beta, lanes[q]));
        }
    }
}
