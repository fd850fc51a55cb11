package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The optional cuBLAS path without cuBLAS: the row-major to column-major argument mapping (checked
 * against a column-major reference SGEMM in Java), the fallback's reason, and the epilogue kernel
 * cuBLAS products go through (on the emulation). The cuBLAS products themselves are compared with
 * the CPU by CudaParityTest on a device where a libcublas loads.
 */
class CudaCublasTest {

    /** Column-major C[m,n] = op(A) op(B) + beta C, as the BLAS reference defines it. */
    static void referenceSgemm(int transa, int transb, int m, int n, int k, float[] a, int lda, float[] b, int ldb,
                               float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < m; i++) {
                float s = 0;
                for (int p = 0; p < k; p++) {
                    float x = transa == 0 ? a[i + p * lda] : a[p + i * lda];
                    float y = transb == 0 ? b[p + j * ldb] : b[j + p * ldb];
                    s += x * y;
                }
                c[i + j * ldc] = s + beta * c[i + j * ldc];
            }
        }
    }

    @Test
    void rowMajorProductsMapOntoColumnMajorSgemm() {
        SplittableRandom rng = new SplittableRandom(5);
        final int m = 5, n = 7, k = 3;
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                // row-major A: [m,k] or, transposed, [k,m]; B: [k,n] or [n,k]; C [m,n]
                int lda = ta ? m : k, ldb = tb ? k : n, ldc = n;
                float[] a = new float[m * k], b = new float[k * n], c = new float[m * n], expected = new float[m * n];
                for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextGaussian();
                for (int i = 0; i < b.length; i++) b[i] = (float) rng.nextGaussian();
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        float s = 0;
                        for (int p = 0; p < k; p++) s += (ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]);
                        expected[i * ldc + j] = s;
                    }
                }
                // addresses 1 and 2 stand for A and B: the mapping says which goes where
                Cublas.ColumnMajor g = Cublas.columnMajor(ta, tb, m, n, k, 1, lda, 2, ldb);
                float[] first = g.a() == 1 ? a : b, second = g.b() == 1 ? a : b;
                referenceSgemm(g.transa(), g.transb(), g.m(), g.n(), g.k(), first, g.lda(), second, g.ldb(), 0f, c, ldc);
                assertArrayEquals(expected, c, 1e-5f, "transA " + ta + ", transB " + tb);
            }
        }
    }

    @Test
    void withoutALibraryTheBackendSaysWhyAndUsesItsOwnKernel() {
        Cublas found = Cublas.open(0);
        if (found == null) {
            assertNotNull(Cublas.unavailableReason());
            assertTrue(Cublas.unavailableReason().contains("libcublas"), Cublas.unavailableReason());
        } else {
            found.close();
        }
        try (CudaBackend be = CudaTargets.emulated()) {
            assertTrue(be.gemmEngine().startsWith("sgemm kernel"), be.gemmEngine());
        }
    }

    @Test
    void theEpilogueAddsTheBiasAndAppliesTanh() {
        CudaTargets.assumeEmulation();
        try (EmulatedApi api = new EmulatedApi(); Arena arena = Arena.ofConfined()) {
            final int rows = 37, cols = 5;
            long out = api.malloc(4L * rows * cols), bias = api.malloc(4L * cols);
            MemorySegment host = arena.allocate(4L * rows * cols), hb = arena.allocate(4L * cols);
            float[] expected = new float[rows * cols];
            for (int i = 0; i < rows * cols; i++) host.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.1f * (i % 17) - 0.8f);
            for (int j = 0; j < cols; j++) hb.setAtIndex(ValueLayout.JAVA_FLOAT, j, 0.3f * j - 0.5f);
            for (int i = 0; i < rows * cols; i++) {
                expected[i] = (float) Math.tanh(host.getAtIndex(ValueLayout.JAVA_FLOAT, i) + hb.getAtIndex(ValueLayout.JAVA_FLOAT, i % cols));
            }
            api.uploadAsync(host, out, 4L * rows * cols);
            api.uploadAsync(hb, bias, 4L * cols);
            api.launch(Kernel.BIAS_ACT, 2, 1, 1, 64, 0, new KernelArgs().ptr(out).ptr(bias).i64(rows).i32(cols).i32(true));
            api.download(out, host, 4L * rows * cols);
            assertArrayEquals(expected, host.toArray(ValueLayout.JAVA_FLOAT), 1e-6f);
        }
    }
}
