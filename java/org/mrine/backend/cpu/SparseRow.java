package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * c[1,n] = a[1,k] B[k,n] for one row a (B row-major with leading dimension ldb), leaving out the p
 * where a_p is zero: the streaming step's products (a layer on one sample, with its weight stored
 * transposed; a filter's frozen A, C or gain on one state). A streaming encoder's row of spike
 * counts is mostly zeros, whose rows of B are then never read.
 *
 * <p>The same bits as {@link Gemm#gemm} (alpha 1, beta 0) wherever B is finite: each entry's chain
 * of multiply-adds meets the same nonzero terms in the same order and the same blocks of
 * {@link Gemm#P_BLOCK}, and a zero term adds a zero to an accumulator that is never -0 (it starts
 * at +0, and a multiply-add returns -0 only onto a -0). Where B holds an infinity or a NaN in a row
 * left out, the dense product's NaN is a finite sum here (as in the reference BLAS, which skips
 * zero multipliers too).
 *
 * <p>Each block's nonzero entries are listed first; the tiles then take each listed row of B as
 * one slice, so its vector loads are checked against the segment once instead of once each. The
 * check per load is a compare and a branch that C2 cannot hoist (the listed rows are no arithmetic
 * sequence); with 8-lane vectors (AVX2) a 64-column tile pays eight per row, which doubled the
 * instructions per multiply-add. Listing the values and row offsets in arrays as well (no load of
 * a in the tiles) cost more than it saved, at both widths.
 */
final class SparseRow {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    /** A vector mask with every lane set, as {@code VectorMask.toLong} gives it. */
    private static final long ALL_LANES = L == 64 ? -1L : (1L << L) - 1;

    /** Per thread, a block's nonzero inner indices p (room for {@link Gemm#P_BLOCK}). */
    private static final ThreadLocal<int[]> NONZERO = ThreadLocal.withInitial(() -> new int[Gemm.P_BLOCK]);

    private SparseRow() {
    }

    /** Whether {@link #product} takes a product of n columns (else the dense kernels do). */
    static boolean suits(int n) {
        return Gemm.suits(n) && n % (4 * L) == 0;
    }

    /** c[1,n] = a[1,k] B[k,n], the zero entries of a left out; needs {@link #suits}. */
    static void product(int n, int k, MemorySegment a, long aOff, MemorySegment b, long bOff, int ldb, MemorySegment c, long cOff) {
        int[] nonzero = NONZERO.get();
        for (int p0 = 0; p0 < k; p0 += Gemm.P_BLOCK) {
            int p1 = Math.min(k, p0 + Gemm.P_BLOCK), count = 0, p = p0;
            for (int bound = p0 + SP.loopBound(p1 - p0); p < bound; p += L) {
                long bits = FloatVector.fromMemorySegment(SP, a, (aOff + p) * 4, ORDER).compare(VectorOperators.NE, 0f).toLong();
                if (bits == ALL_LANES) {
                    // a dense vector (a hidden layer's row, a filter's state): no bit-by-bit chain
                    for (int q = 0; q < L; q++) nonzero[count + q] = p + q;
                    count += L;
                    continue;
                }
                for (; bits != 0; bits &= bits - 1) nonzero[count++] = p + Long.numberOfTrailingZeros(bits);
            }
            for (; p < p1; p++) {
                if (Blas.get(a, aOff + p) != 0f) nonzero[count++] = p;
            }
            boolean onto = p0 > 0;
            int j = 0;
            for (; j + 8 * L <= n; j += 8 * L) tile8(j, nonzero, count, a, aOff, b, bOff, ldb, onto, c, cOff);
            for (; j + 4 * L <= n; j += 4 * L) tile4(j, nonzero, count, a, aOff, b, bOff, ldb, onto, c, cOff);
        }
    }

    /**
     * Columns [j, j + 8L) over the listed rows: eight chains of multiply-adds, which keep two FMA
     * units with a 4-cycle latency busy (a single row's speed is the latency over the chains in
     * flight). The sum goes onto c (a later block) or replaces it (the first).
     */
    private static void tile8(int j, int[] nonzero, int count, MemorySegment a, long aOff, MemorySegment b, long bOff, int ldb,
                              boolean onto, MemorySegment c, long cOff) {
        FloatVector c0 = FloatVector.zero(SP), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        final long width = 8L * L * Float.BYTES;
        for (int q = 0; q < count; q++) {
            int p = nonzero[q];
            MemorySegment row = b.asSlice((bOff + (long) p * ldb + j) * Float.BYTES, width);
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, aOff + p));
            c0 = x.fma(FloatVector.fromMemorySegment(SP, row, 0, ORDER), c0);
            c1 = x.fma(FloatVector.fromMemorySegment(SP, row, 4L * L, ORDER), c1);
            c2 = x.fma(FloatVector.fromMemorySegment(SP, row, 8L * L, ORDER), c2);
            c3 = x.fma(FloatVector.fromMemorySegment(SP, row, 12L * L, ORDER), c3);
            c4 = x.fma(FloatVector.fromMemorySegment(SP, row, 16L * L, ORDER), c4);
            c5 = x.fma(FloatVector.fromMemorySegment(SP, row, 20L * L, ORDER), c5);
            c6 = x.fma(FloatVector.fromMemorySegment(SP, row, 24L * L, ORDER), c6);
            c7 = x.fma(FloatVector.fromMemorySegment(SP, row, 28L * L, ORDER), c7);
        }
        MemorySegment out = c.asSlice((cOff + j) * Float.BYTES, width);
        if (onto) {
            c0 = FloatVector.fromMemorySegment(SP, out, 0, ORDER).add(c0);
            c1 = FloatVector.fromMemorySegment(SP, out, 4L * L, ORDER).add(c1);
            c2 = FloatVector.fromMemorySegment(SP, out, 8L * L, ORDER).add(c2);
            c3 = FloatVector.fromMemorySegment(SP, out, 12L * L, ORDER).add(c3);
            c4 = FloatVector.fromMemorySegment(SP, out, 16L * L, ORDER).add(c4);
            c5 = FloatVector.fromMemorySegment(SP, out, 20L * L, ORDER).add(c5);
            c6 = FloatVector.fromMemorySegment(SP, out, 24L * L, ORDER).add(c6);
            c7 = FloatVector.fromMemorySegment(SP, out, 28L * L, ORDER).add(c7);
        }
        c0.intoMemorySegment(out, 0, ORDER);
        c1.intoMemorySegment(out, 4L * L, ORDER);
        c2.intoMemorySegment(out, 8L * L, ORDER);
        c3.intoMemorySegment(out, 12L * L, ORDER);
        c4.intoMemorySegment(out, 16L * L, ORDER);
        c5.intoMemorySegment(out, 20L * L, ORDER);
        c6.intoMemorySegment(out, 24L * L, ORDER);
        c7.intoMemorySegment(out, 28L * L, ORDER);
    }

    /** Columns [j, j + 4L) as {@link #tile8}: the columns the 8-vector tiles leave. */
    private static void tile4(int j, int[] nonzero, int count, MemorySegment a, long aOff, MemorySegment b, long bOff, int ldb,
                              boolean onto, MemorySegment c, long cOff) {
        FloatVector c0 = FloatVector.zero(SP), c1 = c0, c2 = c0, c3 = c0;
        final long width = 4L * L * Float.BYTES;
        for (int q = 0; q < count; q++) {
            int p = nonzero[q];
            MemorySegment row = b.asSlice((bOff + (long) p * ldb + j) * Float.BYTES, width);
            FloatVector x = FloatVector.broadcast(SP, Blas.get(a, aOff + p));
            c0 = x.fma(FloatVector.fromMemorySegment(SP, row, 0, ORDER), c0);
            c1 = x.fma(FloatVector.fromMemorySegment(SP, row, 4L * L, ORDER), c1);
            c2 = x.fma(FloatVector.fromMemorySegment(SP, row, 8L * L, ORDER), c2);
            c3 = x.fma(FloatVector.fromMemorySegment(SP, row, 12L * L, ORDER), c3);
        }
        MemorySegment out = c.asSlice((cOff + j) * Float.BYTES, width);
        if (onto) {
            c0 = FloatVector.fromMemorySegment(SP, out, 0, ORDER).add(c0);
            c1 = FloatVector.fromMemorySegment(SP, out, 4L * L, ORDER).add(c1);
            c2 = FloatVector.fromMemorySegment(SP, out, 8L * L, ORDER).add(c2);
            c3 = FloatVector.fromMemorySegment(SP, out, 12L * L, ORDER).add(c3);
        }
        c0.intoMemorySegment(out, 0, ORDER);
        c1.intoMemorySegment(out, 4L * L, ORDER);
        c2.intoMemorySegment(out, 8L * L, ORDER);
        c3.intoMemorySegment(out, 12L * L, ORDER);
    }
}
