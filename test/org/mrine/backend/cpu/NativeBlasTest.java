package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mrine.backend.cpu.Segments.at;
import static org.mrine.backend.cpu.Segments.gaussian;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.Json;

/**
 * The FFM binding of a native BLAS (.ci/run installs OpenBLAS and BLIS from Debian; without them
 * this test fails and says what to install): products on both of its downcalls (the critical one
 * for small products, the ordinary one above {@link NativeBlas#CRITICAL_MAX_WORK}) against sums in
 * double, transposed operands and leading dimensions wider than a row included; and every
 * operand's whole extent checked against its segment before the library touches memory.
 */
class NativeBlasTest {
    private final SplittableRandom rng = new SplittableRandom(5);

    @TempDir
    Path dir;

    /**
     * Each library names the kernels it picked, and picks them from the CPU and its own setting,
     * not from the JVM: a child `mrine tune --show` with OpenBLAS held to its Haswell core and BLIS
     * to its haswell configuration (BLIS 0.9's arch_t 3), as bench/reference/machine_report.sh
     * emulates an AVX2-only machine, reports those (x86-64 with AVX2, as every machine here).
     */
    @Test
    void librariesNameTheirKernelsAndFollowTheirOwnSetting() throws Exception {
        Map<String, String> here = CpuTuning.nativeBlasKernels();
        for (String lib : new String[] {"openblas", "blis"}) {
            String problem = NativeBlas.problem(lib);
            assertTrue(problem == null, problem);
            String kernels = NativeBlas.get(lib).kernels;
            assertTrue(!kernels.isEmpty() && !kernels.startsWith("unknown"), lib + " kernels: " + kernels);
            assertEquals(kernels, here.get(lib));
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "org.mrine.cli.Main", "tune", "--show"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
        pb.environment().put("OPENBLAS_CORETYPE", "Haswell");
        pb.environment().put("BLIS_ARCH_TYPE", "3");
        Process p = pb.start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "mrine tune --show did not finish");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("err.txt")));
        Map<String, Object> shown = Json.object(Json.parse(Files.readString(dir.resolve("out.txt"))), "mrine tune --show");
        Map<String, Object> kernels = Json.object(shown.get("blas_kernels"), "blas_kernels");
        assertEquals("Haswell", kernels.get("openblas"), shown.toString());
        assertEquals("haswell", kernels.get("blis"), shown.toString());
    }

    @Test
    void productsOnBothDowncallsMatchDoubleSums() {
        for (String lib : new String[] {"openblas", "blis"}) {
            String problem = NativeBlas.problem(lib);
            assertTrue(problem == null, problem);
            NativeBlas blas = NativeBlas.get(lib);
            // m n k transA transB: a Kalman-sized product (critical) and a layer-sized one (ordinary)
            int[][] shapes = {{64, 64, 64, 1, 0}, {640, 128, 96, 0, 1}, {7, 5, 3, 1, 1}};
            assertTrue((long) 64 * 64 * 64 <= NativeBlas.CRITICAL_MAX_WORK && 640L * 128 * 96 > NativeBlas.CRITICAL_MAX_WORK);
            for (int[] sh : shapes) {
                int m = sh[0], n = sh[1], k = sh[2];
                boolean ta = sh[3] == 1, tb = sh[4] == 1;
                int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
                try (Arena arena = Arena.ofConfined()) {
                    long aOff = 5, bOff = 2, cOff = 7;
                    MemorySegment a = gaussian(arena, rng, aOff + (long) (ta ? k : m) * lda);
                    MemorySegment b = gaussian(arena, rng, bOff + (long) (tb ? n : k) * ldb);
                    MemorySegment c = gaussian(arena, rng, cOff + (long) m * ldc);
                    MemorySegment before = arena.allocate(c.byteSize()).copyFrom(c);
                    float alpha = 0.75f, beta = -0.5f;
                    blas.gemm(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
                    double worst = 0, scale = 0;
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < n; j++) {
                            double s = 0;
                            for (int p = 0; p < k; p++) {
                                double x = at(a, aOff + (ta ? (long) p * lda + i : (long) i * lda + p));
                                double y = at(b, bOff + (tb ? (long) j * ldb + p : (long) p * ldb + j));
                                s += x * y;
                            }
                            double want = alpha * s + beta * at(before, cOff + (long) i * ldc + j);
                            worst = Math.max(worst, Math.abs(want - at(c, cOff + (long) i * ldc + j)));
                            scale = Math.max(scale, Math.abs(want));
                        }
                        // the padding between rows is not written
                        for (int j = n; j < ldc && i < m - 1; j++) {
                            assertEquals(at(before, cOff + (long) i * ldc + j), at(c, cOff + (long) i * ldc + j), lib + " wrote past a row of C");
                        }
                    }
                    assertTrue(scale > 0 && worst / scale < 1e-5, lib + " " + m + "x" + n + "x" + k + ": relative error " + worst / scale);
                }
            }
        }
    }

    @Test
    void operandsReachingPastTheirSegmentAreRefusedBeforeTheCall() {
        String problem = NativeBlas.problem("openblas");
        assertTrue(problem == null, problem);
        NativeBlas blas = NativeBlas.get("openblas");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = gaussian(arena, rng, 64 * 64), b = gaussian(arena, rng, 64 * 64), c = gaussian(arena, rng, 64 * 64);
            MemorySegment before = arena.allocate(c.byteSize()).copyFrom(c);
            // A's last row would end one float past its segment: its start alone is inside
            IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                    () -> blas.gemm(false, false, 64, 64, 64, 1f, a, 1, 64, b, 0, 64, 0f, c, 0, 64));
            assertTrue(e.getMessage().contains("gemm A"), e.getMessage());
            e = assertThrows(IndexOutOfBoundsException.class,
                    () -> blas.gemm(false, false, 64, 64, 64, 1f, a, 0, 64, b, 0, 64, 0f, c, 64, 64));
            assertTrue(e.getMessage().contains("gemm C"), e.getMessage());
            assertEquals(-1, c.mismatch(before), "C untouched by a refused call");
            // a heap segment has no address the library could use
            MemorySegment heap = MemorySegment.ofArray(new float[64 * 64]);
            assertThrows(IllegalArgumentException.class, () -> blas.gemm(false, false, 64, 64, 64, 1f, heap, 0, 64, b, 0, 64, 0f, c, 0, 64));
            // a leading dimension shorter than a row is refused too
            assertThrows(IndexOutOfBoundsException.class, () -> blas.gemm(false, true, 32, 32, 64, 1f, a, 0, 64, b, 0, 32, 0f, c, 0, 64));
        }
    }
}
