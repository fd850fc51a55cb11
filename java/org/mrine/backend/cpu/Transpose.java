package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Transposes in square blocks of one vector's width, held in registers: a block's L rows are
 * loaded as vectors, exchanged in log2(L) rounds of two-vector selects (rows L/2 apart, then L/4,
 * ..., 1: at 512 bits, 4 rounds of 16 vpermt2ps), and stored as the block's columns. Five times
 * faster than reading the columns with gathers through heap copies (a 64 x 64 transpose: 0.43
 * against 2.1 us on the EPYC here). Entries outside whole blocks go one by one. Only data moves;
 * {@link #sumWithTranspose} computes each pair of entries with the formula it always had, so no
 * bits change.
 *
 * <p>Written out for 16 lanes (AVX-512) and 8 (AVX2); other widths take the scalar loops.
 */
final class Transpose {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Whether the block kernels take this width. */
    private static final boolean BLOCKS = Blas.VECTOR && (L == 16 || L == 8);
    /**
     * The selects of round s (rows 2^s apart): from rows x and y, LOW[s] takes x's first 2^s
     * lanes, then y's first 2^s, and so on in groups of 2^(s+1); HIGH[s] the groups' second halves.
     */
    static final FloatVector[] LOW = new FloatVector[4], HIGH = new FloatVector[4];
    /** For {@link #block8}: SWAP[s] exchanges the halves of each group of 2^(s+1) lanes; SECOND_HALVES[s] marks the groups' second halves. */
    @SuppressWarnings("unchecked")
    private static final VectorShuffle<Float>[] SWAP = new VectorShuffle[4];
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] SECOND_HALVES = new VectorMask[4];
    /** DIAGONAL[r]: lane r alone, to keep a diagonal entry. */
    @SuppressWarnings("unchecked")
    private static final VectorMask<Float>[] DIAGONAL = new VectorMask[L];

    static {
        for (int s = 0; (1 << s) < L; s++) {
            int b = 1 << s;
            float[] low = new float[L], high = new float[L];
            for (int k = 0; k < L; k++) {
                int group = k / (2 * b) * 2 * b, r = k % (2 * b);
                low[k] = r < b ? group + r : L + group + r - b;
                high[k] = r < b ? group + b + r : L + group + r;
            }
            LOW[s] = FloatVector.fromArray(SP, low, 0);
            HIGH[s] = FloatVector.fromArray(SP, high, 0);
            int[] swap = new int[L];
            boolean[] second = new boolean[L];
            for (int k = 0; k < L; k++) {
                swap[k] = k ^ b;
                second[k] = (k & b) != 0;
            }
            SWAP[s] = VectorShuffle.fromArray(SP, swap, 0);
            SECOND_HALVES[s] = VectorMask.fromArray(SP, second, 0);
        }
        for (int r = 0; r < L; r++) {
            boolean[] lane = new boolean[L];
            lane[r] = true;
            DIAGONAL[r] = VectorMask.fromArray(SP, lane, 0);
        }
    }

    /** Per-thread scratch of one block for {@link #sumWithTranspose}. */
    private static final ThreadLocal<MemorySegment> SCRATCH = ThreadLocal.withInitial(() -> Arena.ofAuto().allocate((long) L * L * 4, 64));

    private Transpose() {
    }

    /** dst [n,m] (leading dimension ldd) = src [m,n]^T (leading dimension lds); no aliasing. */
    static void transpose(int m, int n, MemorySegment src, long sOff, long lds, MemorySegment dst, long dOff, long ldd) {
        int mb = BLOCKS ? m - m % L : 0, nb = BLOCKS ? n - n % L : 0;
        for (int i = 0; i < mb; i += L) {
            for (int j = 0; j < nb; j += L) block(src, sOff + i * lds + j, lds, dst, dOff + j * ldd + i, ldd);
        }
        for (int i = 0; i < m; i++) {
            for (int j = i < mb ? nb : 0; j < n; j++) Blas.set(dst, dOff + j * ldd + i, Blas.get(src, sOff + i * lds + j));
        }
    }

    /**
     * out = scale (M + M^T) for a square [n,n] matrix (contiguous rows): entries (i,j) and (j,i)
     * both get scale * (m_ij + m_ji) (the same float either way round); keepDiagonal leaves M's
     * diagonal as it was. out may be M.
     */
    static void sumWithTranspose(int n, float scale, MemorySegment m, long mOff, MemorySegment out, long oOff, boolean keepDiagonal) {
        int nb = BLOCKS ? n - n % L : 0;
        MemorySegment scratch = BLOCKS ? SCRATCH.get() : null;
        for (int i = 0; i < nb; i += L) {
            for (int j = i; j < nb; j += L) {
                long ij = mOff + (long) i * n + j, outIJ = oOff + (long) i * n + j;
                // M_JI^T into the scratch first: when out is m, R_JI is written over M_JI (each row of M_IJ
                // is read before R_IJ's row replaces it)
                block(m, mOff + (long) j * n + i, n, scratch, 0, L);
                for (int row = 0; row < L; row++) {
                    FloatVector own = FloatVector.fromMemorySegment(SP, m, (ij + (long) row * n) * 4, ORDER);
                    FloatVector sum = own.add(FloatVector.fromMemorySegment(SP, scratch, (long) row * L * 4, ORDER)).mul(scale);
                    if (keepDiagonal && i == j) sum = sum.blend(own, DIAGONAL[row]);
                    sum.intoMemorySegment(out, (outIJ + (long) row * n) * 4, ORDER);
                }
                // R_JI = R_IJ^T
                if (j != i) block(out, outIJ, n, out, oOff + (long) j * n + i, n);
            }
        }
        // the strips right of and below the whole blocks: pairs (i, j >= i) one by one
        for (int i = 0; i < n; i++) {
            for (int j = Math.max(i, i < nb ? nb : 0); j < n; j++) {
                float mij = Blas.get(m, mOff + (long) i * n + j), mji = Blas.get(m, mOff + (long) j * n + i);
                float v = scale * (mij + mji);
                Blas.set(out, oOff + (long) i * n + j, i == j && keepDiagonal ? mij : v);
                if (j != i) Blas.set(out, oOff + (long) j * n + i, v);
            }
        }
    }

    private static void block(MemorySegment src, long sOff, long lds, MemorySegment dst, long dOff, long ldd) {
        if (L == 16) {
            block16(src, sOff, lds, dst, dOff, ldd);
        } else {
            block8(src, sOff, lds, dst, dOff, ldd);
        }
    }

    /** dst block [16,16] = src block^T at 16 lanes: 4 rounds of two-vector selects. */
    private static void block16(MemorySegment src, long sOff, long lds, MemorySegment dst, long dOff, long ldd) {
        FloatVector r0 = FloatVector.fromMemorySegment(SP, src, (sOff + 0 * lds) * 4, ORDER);
        FloatVector r1 = FloatVector.fromMemorySegment(SP, src, (sOff + 1 * lds) * 4, ORDER);
        FloatVector r2 = FloatVector.fromMemorySegment(SP, src, (sOff + 2 * lds) * 4, ORDER);
        FloatVector r3 = FloatVector.fromMemorySegment(SP, src, (sOff + 3 * lds) * 4, ORDER);
        FloatVector r4 = FloatVector.fromMemorySegment(SP, src, (sOff + 4 * lds) * 4, ORDER);
        FloatVector r5 = FloatVector.fromMemorySegment(SP, src, (sOff + 5 * lds) * 4, ORDER);
        FloatVector r6 = FloatVector.fromMemorySegment(SP, src, (sOff + 6 * lds) * 4, ORDER);
        FloatVector r7 = FloatVector.fromMemorySegment(SP, src, (sOff + 7 * lds) * 4, ORDER);
        FloatVector r8 = FloatVector.fromMemorySegment(SP, src, (sOff + 8 * lds) * 4, ORDER);
        FloatVector r9 = FloatVector.fromMemorySegment(SP, src, (sOff + 9 * lds) * 4, ORDER);
        FloatVector r10 = FloatVector.fromMemorySegment(SP, src, (sOff + 10 * lds) * 4, ORDER);
        FloatVector r11 = FloatVector.fromMemorySegment(SP, src, (sOff + 11 * lds) * 4, ORDER);
        FloatVector r12 = FloatVector.fromMemorySegment(SP, src, (sOff + 12 * lds) * 4, ORDER);
        FloatVector r13 = FloatVector.fromMemorySegment(SP, src, (sOff + 13 * lds) * 4, ORDER);
        FloatVector r14 = FloatVector.fromMemorySegment(SP, src, (sOff + 14 * lds) * 4, ORDER);
        FloatVector r15 = FloatVector.fromMemorySegment(SP, src, (sOff + 15 * lds) * 4, ORDER);
        FloatVector s0x0 = LOW[3].selectFrom(r0, r8), s0x8 = HIGH[3].selectFrom(r0, r8);
        FloatVector s0x1 = LOW[3].selectFrom(r1, r9), s0x9 = HIGH[3].selectFrom(r1, r9);
        FloatVector s0x2 = LOW[3].selectFrom(r2, r10), s0x10 = HIGH[3].selectFrom(r2, r10);
        FloatVector s0x3 = LOW[3].selectFrom(r3, r11), s0x11 = HIGH[3].selectFrom(r3, r11);
        FloatVector s0x4 = LOW[3].selectFrom(r4, r12), s0x12 = HIGH[3].selectFrom(r4, r12);
        FloatVector s0x5 = LOW[3].selectFrom(r5, r13), s0x13 = HIGH[3].selectFrom(r5, r13);
        FloatVector s0x6 = LOW[3].selectFrom(r6, r14), s0x14 = HIGH[3].selectFrom(r6, r14);
        FloatVector s0x7 = LOW[3].selectFrom(r7, r15), s0x15 = HIGH[3].selectFrom(r7, r15);
        FloatVector s1x0 = LOW[2].selectFrom(s0x0, s0x4), s1x4 = HIGH[2].selectFrom(s0x0, s0x4);
        FloatVector s1x1 = LOW[2].selectFrom(s0x1, s0x5), s1x5 = HIGH[2].selectFrom(s0x1, s0x5);
        FloatVector s1x2 = LOW[2].selectFrom(s0x2, s0x6), s1x6 = HIGH[2].selectFrom(s0x2, s0x6);
        FloatVector s1x3 = LOW[2].selectFrom(s0x3, s0x7), s1x7 = HIGH[2].selectFrom(s0x3, s0x7);
        FloatVector s1x8 = LOW[2].selectFrom(s0x8, s0x12), s1x12 = HIGH[2].selectFrom(s0x8, s0x12);
        FloatVector s1x9 = LOW[2].selectFrom(s0x9, s0x13), s1x13 = HIGH[2].selectFrom(s0x9, s0x13);
        FloatVector s1x10 = LOW[2].selectFrom(s0x10, s0x14), s1x14 = HIGH[2].selectFrom(s0x10, s0x14);
        FloatVector s1x11 = LOW[2].selectFrom(s0x11, s0x15), s1x15 = HIGH[2].selectFrom(s0x11, s0x15);
        FloatVector s2x0 = LOW[1].selectFrom(s1x0, s1x2), s2x2 = HIGH[1].selectFrom(s1x0, s1x2);
        FloatVector s2x1 = LOW[1].selectFrom(s1x1, s1x3), s2x3 = HIGH[1].selectFrom(s1x1, s1x3);
        FloatVector s2x4 = LOW[1].selectFrom(s1x4, s1x6), s2x6 = HIGH[1].selectFrom(s1x4, s1x6);
        FloatVector s2x5 = LOW[1].selectFrom(s1x5, s1x7), s2x7 = HIGH[1].selectFrom(s1x5, s1x7);
        FloatVector s2x8 = LOW[1].selectFrom(s1x8, s1x10), s2x10 = HIGH[1].selectFrom(s1x8, s1x10);
        FloatVector s2x9 = LOW[1].selectFrom(s1x9, s1x11), s2x11 = HIGH[1].selectFrom(s1x9, s1x11);
        FloatVector s2x12 = LOW[1].selectFrom(s1x12, s1x14), s2x14 = HIGH[1].selectFrom(s1x12, s1x14);
        FloatVector s2x13 = LOW[1].selectFrom(s1x13, s1x15), s2x15 = HIGH[1].selectFrom(s1x13, s1x15);
        FloatVector s3x0 = LOW[0].selectFrom(s2x0, s2x1), s3x1 = HIGH[0].selectFrom(s2x0, s2x1);
        FloatVector s3x2 = LOW[0].selectFrom(s2x2, s2x3), s3x3 = HIGH[0].selectFrom(s2x2, s2x3);
        FloatVector s3x4 = LOW[0].selectFrom(s2x4, s2x5), s3x5 = HIGH[0].selectFrom(s2x4, s2x5);
        FloatVector s3x6 = LOW[0].selectFrom(s2x6, s2x7), s3x7 = HIGH[0].selectFrom(s2x6, s2x7);
        FloatVector s3x8 = LOW[0].selectFrom(s2x8, s2x9), s3x9 = HIGH[0].selectFrom(s2x8, s2x9);
        FloatVector s3x10 = LOW[0].selectFrom(s2x10, s2x11), s3x11 = HIGH[0].selectFrom(s2x10, s2x11);
        FloatVector s3x12 = LOW[0].selectFrom(s2x12, s2x13), s3x13 = HIGH[0].selectFrom(s2x12, s2x13);
        FloatVector s3x14 = LOW[0].selectFrom(s2x14, s2x15), s3x15 = HIGH[0].selectFrom(s2x14, s2x15);
        s3x0.intoMemorySegment(dst, (dOff + 0 * ldd) * 4, ORDER);
        s3x1.intoMemorySegment(dst, (dOff + 1 * ldd) * 4, ORDER);
        s3x2.intoMemorySegment(dst, (dOff + 2 * ldd) * 4, ORDER);
        s3x3.intoMemorySegment(dst, (dOff + 3 * ldd) * 4, ORDER);
        s3x4.intoMemorySegment(dst, (dOff + 4 * ldd) * 4, ORDER);
        s3x5.intoMemorySegment(dst, (dOff + 5 * ldd) * 4, ORDER);
        s3x6.intoMemorySegment(dst, (dOff + 6 * ldd) * 4, ORDER);
        s3x7.intoMemorySegment(dst, (dOff + 7 * ldd) * 4, ORDER);
        s3x8.intoMemorySegment(dst, (dOff + 8 * ldd) * 4, ORDER);
        s3x9.intoMemorySegment(dst, (dOff + 9 * ldd) * 4, ORDER);
        s3x10.intoMemorySegment(dst, (dOff + 10 * ldd) * 4, ORDER);
        s3x11.intoMemorySegment(dst, (dOff + 11 * ldd) * 4, ORDER);
        s3x12.intoMemorySegment(dst, (dOff + 12 * ldd) * 4, ORDER);
        s3x13.intoMemorySegment(dst, (dOff + 13 * ldd) * 4, ORDER);
        s3x14.intoMemorySegment(dst, (dOff + 14 * ldd) * 4, ORDER);
        s3x15.intoMemorySegment(dst, (dOff + 15 * ldd) * 4, ORDER);
    }

    /**
     * dst block [8,8] = src block^T at 8 lanes: 3 rounds, each pair of rows exchanged with one-vector
     * permutes and blends. AVX2 has no two-vector permute, and selectFrom(v, w) there cost more: a
     * 64 x 64 transpose took 1.22 us, 1.07 this way (-XX:UseAVX=2 on the EPYC here).
     */
    private static void block8(MemorySegment src, long sOff, long lds, MemorySegment dst, long dOff, long ldd) {
        FloatVector r0 = FloatVector.fromMemorySegment(SP, src, (sOff + 0 * lds) * 4, ORDER);
        FloatVector r1 = FloatVector.fromMemorySegment(SP, src, (sOff + 1 * lds) * 4, ORDER);
        FloatVector r2 = FloatVector.fromMemorySegment(SP, src, (sOff + 2 * lds) * 4, ORDER);
        FloatVector r3 = FloatVector.fromMemorySegment(SP, src, (sOff + 3 * lds) * 4, ORDER);
        FloatVector r4 = FloatVector.fromMemorySegment(SP, src, (sOff + 4 * lds) * 4, ORDER);
        FloatVector r5 = FloatVector.fromMemorySegment(SP, src, (sOff + 5 * lds) * 4, ORDER);
        FloatVector r6 = FloatVector.fromMemorySegment(SP, src, (sOff + 6 * lds) * 4, ORDER);
        FloatVector r7 = FloatVector.fromMemorySegment(SP, src, (sOff + 7 * lds) * 4, ORDER);
        FloatVector s0x0 = low8(2, r0, r4), s0x4 = high8(2, r0, r4);
        FloatVector s0x1 = low8(2, r1, r5), s0x5 = high8(2, r1, r5);
        FloatVector s0x2 = low8(2, r2, r6), s0x6 = high8(2, r2, r6);
        FloatVector s0x3 = low8(2, r3, r7), s0x7 = high8(2, r3, r7);
        FloatVector s1x0 = low8(1, s0x0, s0x2), s1x2 = high8(1, s0x0, s0x2);
        FloatVector s1x1 = low8(1, s0x1, s0x3), s1x3 = high8(1, s0x1, s0x3);
        FloatVector s1x4 = low8(1, s0x4, s0x6), s1x6 = high8(1, s0x4, s0x6);
        FloatVector s1x5 = low8(1, s0x5, s0x7), s1x7 = high8(1, s0x5, s0x7);
        FloatVector s2x0 = low8(0, s1x0, s1x1), s2x1 = high8(0, s1x0, s1x1);
        FloatVector s2x2 = low8(0, s1x2, s1x3), s2x3 = high8(0, s1x2, s1x3);
        FloatVector s2x4 = low8(0, s1x4, s1x5), s2x5 = high8(0, s1x4, s1x5);
        FloatVector s2x6 = low8(0, s1x6, s1x7), s2x7 = high8(0, s1x6, s1x7);
        s2x0.intoMemorySegment(dst, (dOff + 0 * ldd) * 4, ORDER);
        s2x1.intoMemorySegment(dst, (dOff + 1 * ldd) * 4, ORDER);
        s2x2.intoMemorySegment(dst, (dOff + 2 * ldd) * 4, ORDER);
        s2x3.intoMemorySegment(dst, (dOff + 3 * ldd) * 4, ORDER);
        s2x4.intoMemorySegment(dst, (dOff + 4 * ldd) * 4, ORDER);
        s2x5.intoMemorySegment(dst, (dOff + 5 * ldd) * 4, ORDER);
        s2x6.intoMemorySegment(dst, (dOff + 6 * ldd) * 4, ORDER);
        s2x7.intoMemorySegment(dst, (dOff + 7 * ldd) * 4, ORDER);
    }

    /** LOW[s] of x and y at 8 lanes: x where its groups' first halves are, y's first halves swapped into the second. */
    private static FloatVector low8(int s, FloatVector x, FloatVector y) {
        return x.blend(y.rearrange(swap(s)), secondHalves(s));
    }

    /** HIGH[s] of x and y at 8 lanes: x's second halves swapped into the first, y where its second halves are. */
    private static FloatVector high8(int s, FloatVector x, FloatVector y) {
        return x.rearrange(swap(s)).blend(y, secondHalves(s));
    }

    /*
     * The shuffles and masks of block8 as static final fields: C2 folds a constant s to one of them
     * and emits fixed permutes, where an element of the static final arrays (whose contents it may
     * not trust) left an index vector to load and check on every rearrange.
     */
    private static final VectorShuffle<Float> SWAP_0 = SWAP[0], SWAP_1 = SWAP[1], SWAP_2 = SWAP[2];
    private static final VectorMask<Float> SECOND_HALVES_0 = SECOND_HALVES[0], SECOND_HALVES_1 = SECOND_HALVES[1],
            SECOND_HALVES_2 = SECOND_HALVES[2];

    private static VectorShuffle<Float> swap(int s) {
        return s == 0 ? SWAP_0 : s == 1 ? SWAP_1 : SWAP_2;
    }

    private static VectorMask<Float> secondHalves(int s) {
        return s == 0 ? SECOND_HALVES_0 : s == 1 ? SECOND_HALVES_1 : SECOND_HALVES_2;
    }
}
