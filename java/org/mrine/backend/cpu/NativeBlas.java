package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * A system BLAS bound through the FFM API: {@code cblas_sgemm} of OpenBLAS
 * ({@code libopenblas0-pthread} on Debian) or BLIS ({@code libblis4}), for the large batched
 * products where the calibration measured it faster than {@link Gemm} ({@link CpuTuning#blas()}),
 * and the 64^3 Kalman products too where it wins those. The library runs single-threaded: a small
 * product is one call, a large one is cut into row chunks that the backend's own threads share,
 * both decided by the product's shape alone, so results do not depend on the thread count.
 * It sums in its own order, so its last bits differ from the Java kernels' (within the reference
 * fixtures' tolerances). The Java kernels stay the specification and the fallback.
 */
final class NativeBlas {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final Map<String, Object> LOADED = new ConcurrentHashMap<>();

    /**
     * Products of at most this many multiply-adds (about 10 us) take the critical downcall: no
     * switch of the thread's state around the call, which a 64 x 64 product (6 us) otherwise pays
     * twice; the JVM cannot stop the thread for a safepoint meanwhile, so longer products keep
     * the ordinary call.
     */
    static final long CRITICAL_MAX_WORK = 1L << 20;

    final String name;
    final String path;
    /**
     * The kernels the library picked for this CPU, as it names them (OpenBLAS's core name, e.g.
     * "Cooperlake" or "Haswell"; BLIS's configuration, e.g. "zen3"), or "unknown". The library
     * decides this itself from CPUID, whatever vector width the JVM was asked for: emulating an
     * AVX2-only machine with -XX:UseAVX=2 on an AVX-512 CPU also needs OPENBLAS_CORETYPE=Haswell
     * (BLIS: BLIS_ARCH_TYPE), and a figure is judged with this name beside it.
     */
    final String kernels;
    private final MethodHandle sgemm;
    private final MethodHandle sgemmCritical;

    private NativeBlas(String name, String path, String kernels, MethodHandle sgemm, MethodHandle sgemmCritical) {
        this.name = name;
        this.path = path;
        this.kernels = kernels;
        this.sgemm = sgemm;
        this.sgemmCritical = sgemmCritical;
    }

    /** The library by name ({@code openblas} or {@code blis}), loaded once; throws with the reason when it cannot load. */
    static NativeBlas get(String name) {
        Object o = LOADED.computeIfAbsent(name, NativeBlas::tryLoad);
        if (o instanceof NativeBlas b) return b;
        throw new IllegalStateException((String) o);
    }

    /** Whether {@link #get} would succeed. */
    static boolean available(String name) {
        return LOADED.computeIfAbsent(name, NativeBlas::tryLoad) instanceof NativeBlas;
    }

    /** Why the library does not load, or null when it does. */
    static String problem(String name) {
        return LOADED.computeIfAbsent(name, NativeBlas::tryLoad) instanceof String s ? s : null;
    }

    private static Object tryLoad(String name) {
        String[] candidates = switch (name) {
            case "openblas" -> new String[] {"libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
                    "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0"};
            case "blis" -> new String[] {"libblis.so.4", "/usr/lib/x86_64-linux-gnu/libblis.so.4",
                    "/usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4", "/usr/lib/aarch64-linux-gnu/libblis.so.4"};
            default -> new String[0];
        };
        if (candidates.length == 0) return "unknown BLAS library '" + name + "', expected openblas or blis";
        String install = name.equals("openblas") ? "libopenblas0-pthread" : "libblis4-pthread";
        Linker linker = Linker.nativeLinker();
        for (String c : candidates) {
            if (c.startsWith("/") && !Files.exists(Path.of(c))) continue;
            SymbolLookup lib;
            try {
                lib = c.startsWith("/") ? SymbolLookup.libraryLookup(Path.of(c), Arena.global()) : SymbolLookup.libraryLookup(c, Arena.global());
            } catch (IllegalArgumentException e) {
                continue;
            }
            MemorySegment gemm = lib.find("cblas_sgemm").orElse(null);
            if (gemm == null) continue;
            FunctionDescriptor sgemmSignature = FunctionDescriptor.ofVoid(
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
            MethodHandle h = linker.downcallHandle(gemm, sgemmSignature);
            MethodHandle critical = linker.downcallHandle(gemm, sgemmSignature, Linker.Option.critical(false));
            // one thread inside the library: ours split the work (and a second pool would fight them)
            String threadsFn = name.equals("openblas") ? "openblas_set_num_threads" : "bli_thread_set_num_threads";
            MemorySegment setThreads = lib.find(threadsFn).orElse(null);
            try {
                if (setThreads != null) {
                    ValueLayout arg = name.equals("openblas") ? ValueLayout.JAVA_INT : ValueLayout.JAVA_LONG;
                    MethodHandle st = linker.downcallHandle(setThreads, FunctionDescriptor.ofVoid(arg));
                    if (name.equals("openblas")) st.invokeExact(1); else st.invokeExact(1L);
                }
            } catch (Throwable t) {
                return name + ": " + threadsFn + " failed: " + t;
            }
            return new NativeBlas(name, c, kernels(linker, lib, name), h, critical);
        }
        return name + " is not installed (no " + String.join(", ", candidates) + " with cblas_sgemm; on Debian: apt-get install " + install + ")";
    }

    /** The library's own name for the kernels it runs here ({@link #kernels}). */
    private static String kernels(Linker linker, SymbolLookup lib, String name) {
        try {
            MemorySegment text;
            if (name.equals("openblas")) {
                MemorySegment corename = lib.find("openblas_get_corename").orElse(null);
                if (corename == null) return "unknown";
                text = (MemorySegment) linker.downcallHandle(corename, FunctionDescriptor.of(ValueLayout.ADDRESS)).invokeExact();
            } else {
                MemorySegment query = lib.find("bli_arch_query_id").orElse(null), string = lib.find("bli_arch_string").orElse(null);
                if (query == null || string == null) return "unknown";
                int arch = (int) linker.downcallHandle(query, FunctionDescriptor.of(ValueLayout.JAVA_INT)).invokeExact();
                text = (MemorySegment) linker.downcallHandle(string, FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT)).invokeExact(arch);
            }
            return text.equals(MemorySegment.NULL) ? "unknown" : text.reinterpret(256).getString(0).trim();
        } catch (Throwable t) {
            return "unknown (" + t + ")";
        }
    }

    /** Products this library has computed in this JVM: a test's proof that it ran (its sums may equal the Java kernels'). */
    private final LongAdder calls = new LongAdder();

    long calls() {
        return calls.sum();
    }

    /** C = alpha op(A) op(B) + beta C as {@link Blas#gemm}; every segment off-heap. */
    void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
              MemorySegment a, long aOff, int lda, MemorySegment b, long bOff, int ldb,
              float beta, MemorySegment c, long cOff, int ldc) {
        // Raw addresses, each checked against its segment for the whole extent the library reads or
        // writes: a slice would be checked at its start only, and passing a segment of the shared
        // workspace makes every call acquire and release its session, one counter for all threads.
        MemorySegment pa = at(a, aOff, transA ? k : m, transA ? m : k, lda, "A");
        MemorySegment pb = at(b, bOff, transB ? n : k, transB ? k : n, ldb, "B");
        MemorySegment pc = at(c, cOff, m, n, ldc, "C");
        int ta = transA ? TRANS : NO_TRANS, tb = transB ? TRANS : NO_TRANS;
        calls.increment();
        try {
            if ((long) m * n * k <= CRITICAL_MAX_WORK) {
                sgemmCritical.invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            } else {
                sgemm.invokeExact(ROW_MAJOR, ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
        } catch (Throwable t) {
            throw new IllegalStateException(name + " cblas_sgemm failed: " + t, t);
        }
    }

    /**
     * The address of a [rows, cols] matrix (leading dimension ld) at float offset off of seg, once
     * checked to lie inside it. The call then holds no reference to seg's arena: the workspaces
     * are closed only by their backend's close, never while a product runs.
     */
    private static MemorySegment at(MemorySegment seg, long off, int rows, int cols, int ld, String which) {
        if (!seg.isNative()) throw new IllegalArgumentException("gemm " + which + ": a heap segment; the native BLAS takes off-heap memory only");
        if (!seg.scope().isAlive()) throw new IllegalStateException("gemm " + which + ": the segment's arena is closed");
        long floats = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        if (off < 0 || ld < cols || (off + floats) * 4 > seg.byteSize()) {
            throw new IndexOutOfBoundsException("gemm " + which + ": [" + rows + "," + cols + "] with leading dimension " + ld
                    + " at float " + off + " does not fit in a segment of " + seg.byteSize() / 4 + " floats");
        }
        return MemorySegment.ofAddress(seg.address() + off * 4);
    }
}
