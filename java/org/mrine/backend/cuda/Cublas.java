package org.mrine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * cuBLAS's SGEMM bound through the FFM API, optional: JCublas 12.x needs libcublas.so.12, which a
 * CUDA 13 machine lacks, so the backend binds whichever libcublas.so.13 (or .12) the machine has,
 * directly. When none loads, the backend uses its own sgemm kernel and says why in
 * {@link #unavailableReason}. Row-major products are issued as the column-major product of the
 * transposes ({@link #columnMajor}), on the backend's stream, in cuBLAS's default (full FP32, no
 * TF32) math mode.
 */
final class Cublas implements AutoCloseable {
    private static final int CUBLAS_OP_N = 0;
    private static final int CUBLAS_OP_T = 1;
    private static final int CUBLAS_DEFAULT_MATH = 0;
    /** Where to look, in order; -Dmrine.cublas.library names another. */
    static final List<String> LIBRARIES = List.of("libcublas.so.13", "/usr/local/cuda/lib64/libcublas.so.13",
            "/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13", "libcublas.so.12", "/usr/local/cuda/lib64/libcublas.so.12");

    private final Arena arena = Arena.ofShared();
    private final MemorySegment handle;
    private final MemorySegment scalars;
    private final MethodHandle sgemm;
    private final MethodHandle destroy;
    private final String library;
    private static String unavailable = "not tried";

    private Cublas(SymbolLookup lib, String library, long stream) throws Throwable {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        MethodHandle create = linker.downcallHandle(lib.findOrThrow("cublasCreate_v2"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        MethodHandle setStream = linker.downcallHandle(lib.findOrThrow("cublasSetStream_v2"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        MethodHandle setMath = linker.downcallHandle(lib.findOrThrow("cublasSetMathMode"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        destroy = linker.downcallHandle(lib.findOrThrow("cublasDestroy_v2"),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        sgemm = linker.downcallHandle(lib.findOrThrow("cublasSgemm_v2"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        MemorySegment h = arena.allocate(ValueLayout.ADDRESS);
        check((int) create.invokeExact(h), "cublasCreate");
        handle = h.get(ValueLayout.ADDRESS, 0);
        check((int) setStream.invokeExact(handle, MemorySegment.ofAddress(stream)), "cublasSetStream");
        check((int) setMath.invokeExact(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        scalars = arena.allocate(ValueLayout.JAVA_FLOAT, 2);
    }

    /**
     * cuBLAS on the given CUDA stream (the current context must be the backend's), or null when no
     * library loads or the handle cannot be created ({@link #unavailableReason} says which).
     */
    static Cublas open(long stream) {
        List<String> tried = new ArrayList<>();
        String override = System.getProperty("mrine.cublas.library");
        for (String name : override != null ? List.of(override) : LIBRARIES) {
            SymbolLookup lib;
            try {
                lib = SymbolLookup.libraryLookup(name, Arena.global());
            } catch (IllegalArgumentException e) {
                tried.add(name);
                continue;
            }
            try {
                Cublas c = new Cublas(lib, name, stream);
                unavailable = null;
                return c;
            } catch (Throwable e) {
                unavailable = name + " loaded but did not start: " + e.getMessage();
                return null;
            }
        }
        unavailable = "no cuBLAS library found (tried " + String.join(", ", tried) + ")";
        return null;
    }

    /** Why the last {@link #open} returned null (null after a success). */
    static String unavailableReason() {
        return unavailable;
    }

    String library() {
        return library;
    }

    private static void check(int status, String what) {
        if (status != 0) throw new IllegalStateException(what + " returned cuBLAS status " + status);
    }

    /**
     * The cublasSgemm arguments (transa, transb, m, n, k, A, lda, B, ldb) that compute the row-major
     * C[m,n] = op(A) op(B): cuBLAS sees each row-major matrix as its column-major transpose, so it
     * computes C^T = op(B)^T op(A)^T.
     */
    record ColumnMajor(int transa, int transb, int m, int n, int k, long a, int lda, long b, int ldb) {
    }

    static ColumnMajor columnMajor(boolean transA, boolean transB, int m, int n, int k, long a, int lda, long b, int ldb) {
        return new ColumnMajor(transB ? CUBLAS_OP_T : CUBLAS_OP_N, transA ? CUBLAS_OP_T : CUBLAS_OP_N, n, m, k, b, ldb, a, lda);
    }

    /** Row-major C[m,n] = alpha op(A) op(B) + beta C on the device (addresses), enqueued on the stream. */
    void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
               float beta, long c, int ldc) {
        ColumnMajor g = columnMajor(transA, transB, m, n, k, a, lda, b, ldb);
        scalars.setAtIndex(ValueLayout.JAVA_FLOAT, 0, alpha);
        scalars.setAtIndex(ValueLayout.JAVA_FLOAT, 1, beta);
        int status;
        try {
            status = (int) sgemm.invokeExact(handle, g.transa(), g.transb(), g.m(), g.n(), g.k(), scalars,
                    MemorySegment.ofAddress(g.a()), g.lda(), MemorySegment.ofAddress(g.b()), g.ldb(),
                    scalars.asSlice(4), MemorySegment.ofAddress(c), ldc);
        } catch (Throwable e) {
            throw new IllegalStateException("cublasSgemm failed", e);
        }
        check(status, "cublasSgemm");
    }

    @Override
    public void close() {
        try {
            int ignored = (int) destroy.invokeExact(handle);
        } catch (Throwable e) {
            // closing: nothing left to do
        }
        arena.close();
    }
}
