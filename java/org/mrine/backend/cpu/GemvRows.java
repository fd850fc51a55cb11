package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = alpha A x (+ y) for L rows of A at a time (L: the lanes of a vector; the mean recursions'
 * 64 x 64 matrix-vector products): L dot products side by side, each a chain of multiply-adds
 * over whole vectors of the row exactly as {@link Blas#dot}, then all L lane sums folded in one
 * network of two-vector selects and adds ({@link Transpose}'s rounds, an add after each). Each
 * lane of the result goes through the same additions in the same tree as {@link Blas#sum}
 * (checked for every lane when this file was generated), so every entry has the bits of the
 * row-by-row dot product; the rows enter the network in bit-reversed order, which leaves the
 * sums in row order.
 *
 * <p>Four rows at a time with a fold each kept the two FMA units waiting on the latency of
 * four short chains and spent 4 log2(L) shuffles per four rows; here the chains are L wide
 * and the fold costs 2 (L - 1) selects per L rows. Written out for 16 lanes and 8.
 */
final class GemvRows {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    private GemvRows() {
    }

    /** Whether {@link #rows} takes products with this many columns. */
    static boolean suits(int cols) {
        return Blas.VECTOR && (L == 16 || L == 8) && cols % L == 0 && cols > 0;
    }

    /** Rows [i, i + L) of y = alpha A x + beta y, beta 0 or 1; A [*, cols] from aOff; needs {@link #suits}. */
    static void rows(int i, int cols, float alpha, MemorySegment a, long aOff, MemorySegment x, long xOff, float beta,
                     MemorySegment y, long yOff, int incY) {
        long r0 = aOff + (long) i * cols, y0 = yOff + (long) i * incY;
        if (L == 16) {
            rows16(cols, alpha, a, r0, x, xOff, beta, y, y0, incY);
        } else {
            rows8(cols, alpha, a, r0, x, xOff, beta, y, y0, incY);
        }
    }

    /** y[0, L) (stride incY) = sums, or y + sums when beta is 1. */
    private static void store(FloatVector sums, float beta, MemorySegment y, long yOff, int incY) {
        if (incY == 1) {
            if (beta != 0f) sums = FloatVector.fromMemorySegment(SP, y, yOff * 4, ORDER).add(sums);
            sums.intoMemorySegment(y, yOff * 4, ORDER);
            return;
        }
        for (int l = 0; l < L; l++) {
            long at = yOff + (long) l * incY;
            Blas.set(y, at, beta == 0f ? sums.lane(l) : Blas.get(y, at) + sums.lane(l));
        }
    }

    /** 16 rows at 16 lanes (see the class comment). */
    private static void rows16(int cols, float alpha, MemorySegment a, long r0, MemorySegment x, long xOff, float beta,
                               MemorySegment y, long yOff, int incY) {
        FloatVector s0 = FloatVector.zero(SP), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0, s8 = s0, s9 = s0, s10 = s0, s11 = s0, s12 = s0, s13 = s0, s14 = s0, s15 = s0;
        for (int p = 0; p < cols; p += L) {
            FloatVector xv = FloatVector.fromMemorySegment(SP, x, (xOff + p) * 4, ORDER);
            s0 = FloatVector.fromMemorySegment(SP, a, (r0 + 0L * cols + p) * 4, ORDER).fma(xv, s0);
            s1 = FloatVector.fromMemorySegment(SP, a, (r0 + 1L * cols + p) * 4, ORDER).fma(xv, s1);
            s2 = FloatVector.fromMemorySegment(SP, a, (r0 + 2L * cols + p) * 4, ORDER).fma(xv, s2);
            s3 = FloatVector.fromMemorySegment(SP, a, (r0 + 3L * cols + p) * 4, ORDER).fma(xv, s3);
            s4 = FloatVector.fromMemorySegment(SP, a, (r0 + 4L * cols + p) * 4, ORDER).fma(xv, s4);
            s5 = FloatVector.fromMemorySegment(SP, a, (r0 + 5L * cols + p) * 4, ORDER).fma(xv, s5);
            s6 = FloatVector.fromMemorySegment(SP, a, (r0 + 6L * cols + p) * 4, ORDER).fma(xv, s6);
            s7 = FloatVector.fromMemorySegment(SP, a, (r0 + 7L * cols + p) * 4, ORDER).fma(xv, s7);
            s8 = FloatVector.fromMemorySegment(SP, a, (r0 + 8L * cols + p) * 4, ORDER).fma(xv, s8);
            s9 = FloatVector.fromMemorySegment(SP, a, (r0 + 9L * cols + p) * 4, ORDER).fma(xv, s9);
            s10 = FloatVector.fromMemorySegment(SP, a, (r0 + 10L * cols + p) * 4, ORDER).fma(xv, s10);
            s11 = FloatVector.fromMemorySegment(SP, a, (r0 + 11L * cols + p) * 4, ORDER).fma(xv, s11);
            s12 = FloatVector.fromMemorySegment(SP, a, (r0 + 12L * cols + p) * 4, ORDER).fma(xv, s12);
            s13 = FloatVector.fromMemorySegment(SP, a, (r0 + 13L * cols + p) * 4, ORDER).fma(xv, s13);
            s14 = FloatVector.fromMemorySegment(SP, a, (r0 + 14L * cols + p) * 4, ORDER).fma(xv, s14);
            s15 = FloatVector.fromMemorySegment(SP, a, (r0 + 15L * cols + p) * 4, ORDER).fma(xv, s15);
        }
        FloatVector f0x0 = Transpose.LOW[3].selectFrom(s0, s8).add(Transpose.HIGH[3].selectFrom(s0, s8));
        FloatVector f0x1 = Transpose.LOW[3].selectFrom(s4, s12).add(Transpose.HIGH[3].selectFrom(s4, s12));
        FloatVector f0x2 = Transpose.LOW[3].selectFrom(s2, s10).add(Transpose.HIGH[3].selectFrom(s2, s10));
        FloatVector f0x3 = Transpose.LOW[3].selectFrom(s6, s14).add(Transpose.HIGH[3].selectFrom(s6, s14));
        FloatVector f0x4 = Transpose.LOW[3].selectFrom(s1, s9).add(Transpose.HIGH[3].selectFrom(s1, s9));
        FloatVector f0x5 = Transpose.LOW[3].selectFrom(s5, s13).add(Transpose.HIGH[3].selectFrom(s5, s13));
        FloatVector f0x6 = Transpose.LOW[3].selectFrom(s3, s11).add(Transpose.HIGH[3].selectFrom(s3, s11));
        FloatVector f0x7 = Transpose.LOW[3].selectFrom(s7, s15).add(Transpose.HIGH[3].selectFrom(s7, s15));
        FloatVector f1x0 = Transpose.LOW[2].selectFrom(f0x0, f0x1).add(Transpose.HIGH[2].selectFrom(f0x0, f0x1));
        FloatVector f1x1 = Transpose.LOW[2].selectFrom(f0x2, f0x3).add(Transpose.HIGH[2].selectFrom(f0x2, f0x3));
        FloatVector f1x2 = Transpose.LOW[2].selectFrom(f0x4, f0x5).add(Transpose.HIGH[2].selectFrom(f0x4, f0x5));
        FloatVector f1x3 = Transpose.LOW[2].selectFrom(f0x6, f0x7).add(Transpose.HIGH[2].selectFrom(f0x6, f0x7));
        FloatVector f2x0 = Transpose.LOW[1].selectFrom(f1x0, f1x1).add(Transpose.HIGH[1].selectFrom(f1x0, f1x1));
        FloatVector f2x1 = Transpose.LOW[1].selectFrom(f1x2, f1x3).add(Transpose.HIGH[1].selectFrom(f1x2, f1x3));
        FloatVector f3x0 = Transpose.LOW[0].selectFrom(f2x0, f2x1).add(Transpose.HIGH[0].selectFrom(f2x0, f2x1));
        store(f3x0.mul(alpha), beta, y, yOff, incY);
    }

    /** 8 rows at 8 lanes (see the class comment). */
    private static void rows8(int cols, float alpha, MemorySegment a, long r0, MemorySegment x, long xOff, float beta,
                               MemorySegment y, long yOff, int incY) {
        FloatVector s0 = FloatVector.zero(SP), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (int p = 0; p < cols; p += L) {
            FloatVector xv = FloatVector.fromMemorySegment(SP, x, (xOff + p) * 4, ORDER);
            s0 = FloatVector.fromMemorySegment(SP, a, (r0 + 0L * cols + p) * 4, ORDER).fma(xv, s0);
            s1 = FloatVector.fromMemorySegment(SP, a, (r0 + 1L * cols + p) * 4, ORDER).fma(xv, s1);
            s2 = FloatVector.fromMemorySegment(SP, a, (r0 + 2L * cols + p) * 4, ORDER).fma(xv, s2);
            s3 = FloatVector.fromMemorySegment(SP, a, (r0 + 3L * cols + p) * 4, ORDER).fma(xv, s3);
            s4 = FloatVector.fromMemorySegment(SP, a, (r0 + 4L * cols + p) * 4, ORDER).fma(xv, s4);
            s5 = FloatVector.fromMemorySegment(SP, a, (r0 + 5L * cols + p) * 4, ORDER).fma(xv, s5);
            s6 = FloatVector.fromMemorySegment(SP, a, (r0 + 6L * cols + p) * 4, ORDER).fma(xv, s6);
            s7 = FloatVector.fromMemorySegment(SP, a, (r0 + 7L * cols + p) * 4, ORDER).fma(xv, s7);
        }
        FloatVector f0x0 = Transpose.LOW[2].selectFrom(s0, s4).add(Transpose.HIGH[2].selectFrom(s0, s4));
        FloatVector f0x1 = Transpose.LOW[2].selectFrom(s2, s6).add(Transpose.HIGH[2].selectFrom(s2, s6));
        FloatVector f0x2 = Transpose.LOW[2].selectFrom(s1, s5).add(Transpose.HIGH[2].selectFrom(s1, s5));
        FloatVector f0x3 = Transpose.LOW[2].selectFrom(s3, s7).add(Transpose.HIGH[2].selectFrom(s3, s7));
        FloatVector f1x0 = Transpose.LOW[1].selectFrom(f0x0, f0x1).add(Transpose.HIGH[1].selectFrom(f0x0, f0x1));
        FloatVector f1x1 = Transpose.LOW[1].selectFrom(f0x2, f0x3).add(Transpose.HIGH[1].selectFrom(f0x2, f0x3));
        FloatVector f2x0 = Transpose.LOW[0].selectFrom(f1x0, f1x1).add(Transpose.HIGH[0].selectFrom(f1x0, f1x1));
        store(f2x0.mul(alpha), beta, y, yOff, incY);
    }
}
