package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The GEMM under every Java choice of {@link CpuTuning} (register tile, cache block, threads, the
 * size from which products split) gives the same bits as the default, and the default is right
 * (against double-precision sums). Blocks of 16 KiB force column panels on small products; the
 * shapes leave partial vectors, leftover rows, rows that split over threads, an inner dimension
 * longer than {@link Gemm#P_BLOCK}, and more rows than one copy of a transposed A holds
 * ({@link Gemm#A_ROWS}).
 */
class GemmChoicesTest {
    private static final int[][] SHAPES = {{1, 5, 3}, {7, 33, 70}, {13, 96, 200}, {37, 40, 300}, {64, 64, 64}, {130, 130, 90}, {9, 300, 40}, {9, 40, 1100}, {400, 40, 600}};

    @Test
    void everyChoiceGivesTheSameBits() {
        int compared = 0;
        SplittableRandom rng = new SplittableRandom(9);
        CpuTuning base = CpuTuning.defaults();
        CpuTuning[] choices = {
            base.withThreads(1), base.withTile("8x2"), base.withTile("4x4"), base.withBlockKb(16), base.withBlockKb(16).withTile("4x4"),
            base.withBlockKb(16).withTile("8x2").withParallelWork(1), base.withParallelWork(1), base.withThreads(1).withBlockKb(64),
            base.withTile("6x2"), base.withTile("6x4"), base.withTile("6x2").withParallelWork(1), base.withTile("6x4").withParallelWork(1).withBlockKb(16),
            // a many-core machine's split: more threads than some products have rows, and an uneven count
            base.withThreads(16).withParallelWork(1), base.withThreads(5).withParallelWork(1).withTile("4x2"),
        };
        try (Arena arena = Arena.ofShared()) {
            for (int[] mnk : SHAPES) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) {
                        for (float beta : new float[] {0f, 1f, 0.3f}) {
                            MemorySegment a = random(arena, m * k, rng), b = random(arena, k * n, rng), c0 = random(arena, m * n, rng);
                            float[] want = run(base, ta, tb, m, n, k, beta, a, b, c0, arena);
                            checkAgainstDoubles(want, ta, tb, m, n, k, beta, a, b, c0);
                            for (CpuTuning t : choices) {
                                assertArrayEquals(want, run(t, ta, tb, m, n, k, beta, a, b, c0, arena),
                                        t + " on " + m + "x" + n + "x" + k + " ta=" + ta + " tb=" + tb + " beta=" + beta);
                                compared++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(SHAPES.length * 4 * 3 * choices.length, compared);
    }

    /**
     * A stored transposed gives the bits of the same A stored as rows, under every choice: with 8
     * lanes the transposed one is copied as rows in pieces ({@link Gemm#A_AS_ROWS}), otherwise read
     * in place at its stride, and either way only the reading differs.
     */
    @Test
    void aStoredTransposedGivesTheBitsOfAStoredAsRows() {
        int compared = 0;
        SplittableRandom rng = new SplittableRandom(11);
        CpuTuning base = CpuTuning.defaults();
        CpuTuning[] choices = {base, base.withThreads(1), base.withParallelWork(1), base.withTile("6x2").withParallelWork(1),
            base.withTile("4x2"), base.withTile("6x4").withBlockKb(16), base.withThreads(5).withParallelWork(1)};
        try (Arena arena = Arena.ofShared()) {
            for (int[] mnk : new int[][] {{64, 64, 64}, {13, 96, 200}, {400, 40, 600}, {200, 17, 1100}, {1, 64, 30}}) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                MemorySegment rows = random(arena, m * k, rng), b = random(arena, k * n, rng), c0 = random(arena, m * n, rng);
                MemorySegment stored = arena.allocate((long) m * k * 4, 64);
                for (int i = 0; i < m; i++) {
                    for (int p = 0; p < k; p++) stored.setAtIndex(ValueLayout.JAVA_FLOAT, (long) p * m + i, rows.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * k + p));
                }
                for (CpuTuning t : choices) {
                    for (float beta : new float[] {0f, 0.3f}) {
                        assertArrayEquals(run(t, false, false, m, n, k, beta, rows, b, c0, arena), run(t, true, false, m, n, k, beta, stored, b, c0, arena),
                                t + " on " + m + "x" + n + "x" + k + " beta=" + beta);
                        compared++;
                    }
                }
            }
        }
        assertEquals(5 * 7 * 2, compared);
    }

    private static float[] run(CpuTuning t, boolean ta, boolean tb, int m, int n, int k, float beta,
                               MemorySegment a, MemorySegment b, MemorySegment c0, Arena arena) {
        MemorySegment c = arena.allocate((long) m * n * 4, 64);
        c.copyFrom(c0);
        try (CpuTuning.Scope s = CpuTuning.use(t)) {
            Blas.mm(ta, tb, m, n, k, 0.7f, a, 0, b, 0, beta, c, 0);
        }
        return c.toArray(ValueLayout.JAVA_FLOAT);
    }

    private static void checkAgainstDoubles(float[] got, boolean ta, boolean tb, int m, int n, int k, float beta,
                                            MemorySegment a, MemorySegment b, MemorySegment c0) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double want = beta * c0.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j);
                for (int p = 0; p < k; p++) {
                    double aip = a.getAtIndex(ValueLayout.JAVA_FLOAT, ta ? (long) p * m + i : (long) i * k + p);
                    double bpj = b.getAtIndex(ValueLayout.JAVA_FLOAT, tb ? (long) j * k + p : (long) p * n + j);
                    want += 0.7 * aip * bpj;
                }
                assertEquals(want, got[i * n + j], 1e-5 * (1 + k), "at " + i + "," + j);
            }
        }
    }

    private static MemorySegment random(Arena arena, int n, SplittableRandom rng) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4L, 64);
        for (int i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }
}
