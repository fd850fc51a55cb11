package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vectorized kernels against plain double-precision loops, sizes chosen to leave vector tails. */
class BlasTest {
    private final SplittableRandom rng = new SplittableRandom(1);

    private MemorySegment random(Arena arena, int n, double[] copy) {
        MemorySegment s = arena.allocate(Math.max(1, n) * 4L, 64);
        for (int i = 0; i < n; i++) {
            float v = (float) rng.nextGaussian();
            s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
            copy[i] = v;
        }
        return s;
    }

    /** The bias gradient's column sums: the bits of one axpy per row, at widths with and without whole vectors and blocks. */
    @Test
    void columnSumsAreTheRowByRowAxpys() {
        try (Arena arena = Arena.ofConfined()) {
            for (int cols : new int[] {1, 7, 20, 64, 128, 133}) {
                int rows = 37;
                double[] unused = new double[rows * cols], y0 = new double[cols];
                MemorySegment m = random(arena, rows * cols, unused), want = random(arena, cols, y0);
                MemorySegment got = arena.allocate(cols * 4L, 64), banded5 = arena.allocate(cols * 4L, 64), banded40 = arena.allocate(cols * 4L, 64);
                got.copyFrom(want);
                banded5.copyFrom(want);
                banded40.copyFrom(want);
                for (int r = 0; r < rows; r++) Blas.axpy(cols, 1f, m, (long) r * cols, want, 0);
                Blas.addColumnSums(rows, cols, cols, m, 0, got, 0);
                // in bands (as CpuDense spreads them over threads): bands that start inside a vector, and
                // vectors, blocks and single columns where the whole pass had others
                for (int from = 0; from < cols; from += 5) Blas.addColumnSums(rows, Math.min(5, cols - from), cols, m, from, banded5, from);
                for (int from = 0; from < cols; from += 40) Blas.addColumnSums(rows, Math.min(40, cols - from), cols, m, from, banded40, from);
                for (int j = 0; j < cols; j++) {
                    int bits = Float.floatToRawIntBits(want.getAtIndex(ValueLayout.JAVA_FLOAT, j));
                    assertEquals(bits, Float.floatToRawIntBits(got.getAtIndex(ValueLayout.JAVA_FLOAT, j)), cols + " columns, column " + j);
                    assertEquals(bits, Float.floatToRawIntBits(banded5.getAtIndex(ValueLayout.JAVA_FLOAT, j)), cols + " columns in bands of 5, column " + j);
                    assertEquals(bits, Float.floatToRawIntBits(banded40.getAtIndex(ValueLayout.JAVA_FLOAT, j)), cols + " columns in bands of 40, column " + j);
                }
            }
        }
    }

    @Test
    void gemmAllTranspositions() {
        int compared = 0;
        try (Arena arena = Arena.ofConfined()) {
            // tiles of 4x2, 4x1 and 1x1 vectors, partial last vectors (17, 20, 40), the scalar path (n < a vector)
            for (int[] mnk : new int[][] {{1, 1, 1}, {3, 17, 5}, {19, 7, 33}, {16, 16, 16}, {5, 40, 9}, {9, 20, 12}}) {
                int m = mnk[0], n = mnk[1], k = mnk[2];
                for (boolean ta : new boolean[] {false, true}) {
                    for (boolean tb : new boolean[] {false, true}) for (float beta : new float[] {0f, 0.3f}) {
                        double[] a = new double[m * k], b = new double[k * n], c = new double[m * n];
                        MemorySegment sa = random(arena, m * k, a), sb = random(arena, k * n, b), sc = random(arena, m * n, c);
                        Blas.mm(ta, tb, m, n, k, 0.7f, sa, 0, sb, 0, beta, sc, 0);
                        for (int i = 0; i < m; i++) {
                            for (int j = 0; j < n; j++) {
                                double want = beta * c[i * n + j];
                                for (int p = 0; p < k; p++) {
                                    double aip = ta ? a[p * m + i] : a[i * k + p];
                                    double bpj = tb ? b[j * k + p] : b[p * n + j];
                                    want += 0.7 * aip * bpj;
                                }
                                assertEquals(want, sc.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j), 1e-5 * (1 + k),
                                        "gemm beta=" + beta + " ta=" + ta + " tb=" + tb + " at " + i + "," + j);
                                compared++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(2 * 4 * (1 + 51 + 133 + 256 + 200 + 180), compared);
    }

    @Test
    void gemvEqualsRowByRowDotProductsBitForBit() {
        // 16 rows at a time with folded lane sums, 4 at a time, and single rows; whole vectors and tails
        try (Arena arena = Arena.ofConfined()) {
            int checked = 0;
            for (int rows : new int[] {3, 16, 37, 128}) {
                for (int cols : new int[] {16, 20, 64, 131}) {
                    for (float beta : new float[] {0f, 1f}) {
                        // y contiguous, and every third entry of y (a column of a matrix)
                        int incY = beta == 0f ? 1 : 3;
                        MemorySegment a = random(arena, rows * cols, new double[rows * cols]);
                        MemorySegment x = random(arena, cols, new double[cols]);
                        MemorySegment y = random(arena, rows * incY, new double[rows * incY]);
                        float[] before = y.toArray(ValueLayout.JAVA_FLOAT);
                        Blas.gemv(false, rows, cols, 0.7f, a, 0, x, 0, beta, y, 0, incY);
                        for (int r = 0; r < rows; r++) {
                            float d = 0.7f * Blas.dot(cols, a, (long) r * cols, x, 0);
                            float want = beta == 0f ? d : before[r * incY] + d;
                            assertEquals(want, y.getAtIndex(ValueLayout.JAVA_FLOAT, (long) r * incY), 0f, rows + "x" + cols + " row " + r);
                            checked++;
                        }
                    }
                }
            }
            assertEquals(2 * 4 * (3 + 16 + 37 + 128), checked);
        }
    }

    @Test
    void transposedGemvEqualsRowByRowAxpyBitForBit() {
        // y += A^T (alpha x): four vectors of y in registers, then the columns left; zeros of x skipped
        try (Arena arena = Arena.ofConfined()) {
            int checked = 0;
            for (int rows : new int[] {1, 7, 64}) {
                for (int cols : new int[] {5, 16, 20, 64, 70, 131}) {
                    for (float beta : new float[] {0f, 1f}) {
                        MemorySegment a = random(arena, rows * cols, new double[rows * cols]);
                        MemorySegment x = random(arena, rows, new double[rows]);
                        for (int i = 0; i < rows; i += 3) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0f);
                        MemorySegment y = random(arena, cols, new double[cols]), want = arena.allocate(cols * 4L, 64);
                        MemorySegment.copy(y, 0, want, 0, cols * 4L);
                        if (beta == 0f) Blas.zero(cols, want, 0);
                        for (int i = 0; i < rows; i++) {
                            float xi = x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                            if (xi != 0f) Blas.axpy(cols, 0.7f * xi, a, (long) i * cols, want, 0);
                        }
                        Blas.gemv(true, rows, cols, 0.7f, a, 0, x, 0, beta, y, 0, 1);
                        for (int j = 0; j < cols; j++) {
                            assertEquals(Float.floatToRawIntBits(want.getAtIndex(ValueLayout.JAVA_FLOAT, j)),
                                    Float.floatToRawIntBits(y.getAtIndex(ValueLayout.JAVA_FLOAT, j)), rows + "x" + cols + " column " + j);
                            checked++;
                        }
                    }
                }
            }
            assertEquals(3 * 2 * (5 + 16 + 20 + 64 + 70 + 131), checked);
        }
    }

    @Test
    void sparseRowEqualsTheDenseProductBitForBit() {
        // spike-count rows (mostly zeros, some -0) and dense rows; k over one inner block (512) and
        // under; n taken by the 1 x 8 and 1 x 4 tiles, and n the dense kernels keep (40)
        try (Arena arena = Arena.ofConfined()) {
            int checked = 0, skipped = 0;
            for (int k : new int[] {7, 128, 800, 1100}) {
                for (int n : new int[] {40, 64, 128, 192}) {
                    for (double zeros : new double[] {0, 0.9}) {
                        MemorySegment row = arena.allocate(k * 4L, 64), b = random(arena, k * n, new double[k * n]);
                        for (int p = 0; p < k; p++) {
                            float v = rng.nextDouble() < zeros ? (rng.nextBoolean() ? 0f : -0f) : (float) rng.nextGaussian();
                            row.setAtIndex(ValueLayout.JAVA_FLOAT, p, v);
                            if (v == 0f) skipped++;
                        }
                        MemorySegment dense = arena.allocate(n * 4L, 64), sparse = arena.allocate(n * 4L, 64);
                        Blas.gemm(false, false, 1, n, k, 1f, row, 0, k, b, 0, n, 0f, dense, 0, n);
                        Blas.sparseRow(n, k, row, 0, b, 0, sparse, 0);
                        for (int j = 0; j < n; j++) {
                            float want = dense.getAtIndex(ValueLayout.JAVA_FLOAT, j), got = sparse.getAtIndex(ValueLayout.JAVA_FLOAT, j);
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got), "k=" + k + " n=" + n + " column " + j);
                            checked++;
                        }
                    }
                }
            }
            assertEquals(4 * 2 * (40 + 64 + 128 + 192), checked);
            assertTrue(skipped > 0.8 * 4 * (7 + 128 + 800 + 1100), "the rows hold zeros to skip: " + skipped);
        }
    }

    @Test
    void choleskySolveRecoversSolution() {
        try (Arena arena = Arena.ofConfined()) {
            // right-hand side counts for every solve path: simple (3), one full and one masked vector (21),
            // four vectors at a time (64), four vectors plus a masked tail (70)
            // n: quads with 0 to 3 rows left over for pairs and single rows
            for (int n : new int[] {1, 5, 13, 17, 18, 19, 64, 66, 67}) for (int r : new int[] {3, 21, 64, 70}) {
                double[] g = new double[n * n];
                MemorySegment gs = random(arena, n * n, g);
                MemorySegment a = arena.allocate((long) n * n * 4, 64);
                // A = G G^T + n I is SPD
                Blas.mm(false, true, n, n, n, 1f, gs, 0, gs, 0, 0f, a, 0);
                for (int i = 0; i < n; i++) a.setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + i, a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + i) + n);
                double[] x = new double[n * r];
                MemorySegment xs = random(arena, n * r, x);
                MemorySegment b = arena.allocate((long) n * r * 4, 64);
                Blas.mm(false, false, n, r, n, 1f, a, 0, xs, 0, 0f, b, 0);
                float[] spd = a.toArray(ValueLayout.JAVA_FLOAT);
                Blas.cholesky(n, a, 0);
                // U is upper triangular with U^T U = A
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        double uTu = 0;
                        for (int p = 0; p < n; p++) {
                            uTu += (double) a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) p * n + i) * a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) p * n + j);
                        }
                        if (j < i) assertEquals(0f, a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * n + j), "strict lower triangle");
                        assertEquals(spd[i * n + j], uTu, 1e-4 * n, "U^T U at " + i + "," + j);
                    }
                }
                MemorySegment rowByRow = arena.allocate((long) n * r * 4, 64);
                rowByRow.copyFrom(b);
                Blas.cholSolve(n, r, a, 0, b, 0);
                for (int i = 0; i < n * r; i++) assertEquals(x[i], b.getAtIndex(ValueLayout.JAVA_FLOAT, i), 1e-4, "n=" + n + " r=" + r);
                // the vector paths (rows in quads or pairs, then one at a time) keep every entry's chain: the row-by-row bits
                Blas.cholSolveSimple(n, r, a, 0, rowByRow, 0);
                assertArrayEquals(rowByRow.toArray(ValueLayout.JAVA_FLOAT), b.toArray(ValueLayout.JAVA_FLOAT), "bits, n=" + n + " r=" + r);
            }
        }
    }

    @Test
    void tanhWithinSixUlpAndVectorEqualsScalar() {
        int n = 200_003;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(n * 4L, 64);
            for (int i = 0; i < n; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, -12f + 24f * i / (n - 1));
            float[] in = x.toArray(ValueLayout.JAVA_FLOAT);
            Blas.tanh(n, x, 0);
            double worst = 0;
            for (int i = 0; i < n; i++) {
                float got = x.getAtIndex(ValueLayout.JAVA_FLOAT, i);
                double want = Math.tanh(in[i]);
                worst = Math.max(worst, Math.abs(got - want) / Math.max(Math.abs(want), 1e-30));
                assertEquals(Blas.tanh(in[i]), got, 0f, "vector and scalar tanh at " + in[i]);
            }
            assertTrue(worst < 4e-7, "tanh relative error " + worst);
        }
    }
}
