package org.mrine.backend.cpu;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.management.ObjectName;

/**
 * Keeps the Vector API kernels away from HotSpot's C1 compiler: they go from the interpreter
 * straight to C2, the only compiler that turns {@code FloatVector} operations into vector
 * instructions.
 *
 * <p>Why: C1 compiles the kernels with every vector boxed on the heap, 50 to 100 times slower than
 * C2's code. Tiered compilation normally replaces that with C2's version within a second, but the
 * 4x4 GEMM tile has too many live vectors for C1's register allocator at tier 3 (the profiling
 * tier: "out of virtual registers"). A kernel that was first compiled at tier 2 (which HotSpot picks
 * when C2's queue is long: at start-up, on a busy machine) then never reaches C2 at all, because
 * the step from tier 2 to C2 goes through tier 3. Seen here: a covariance recursion that ran at
 * 1.1 ms per track-step for minutes instead of 16 us, with tile4x4 left at tier 2; which JVM of a
 * batch landed there depended on timing, one source of the engine's swings between runs.
 *
 * <p>How: a compiler directive (the same as {@code -XX:CompilerDirectivesFile}, which is a
 * diagnostic flag) added at run time through the {@code DiagnosticCommand} MBean, before the first
 * kernel runs, so no launcher flag is needed and an application embedding the engine gets it too.
 * {@code -Dmrine.jit.c2only=false} leaves HotSpot's default policy.
 *
 * <p>Strip-mined loops: C2 compiles the kernels' loops best where it strip-mines counted loops
 * ({@code -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000}): the default with G1, ZGC and
 * Shenandoah, but not with ParallelGC or SerialGC, which the training launcher uses for throughput.
 * Without it the 64^3 product ran at 31 GFLOP/s with the 8x2, 4x4 and 6x4 tiles instead of 59, 59
 * and 49, and at 55 instead of 65 with 6x2 (AVX2; 512-bit: 6x4 105 against 110, 4x4 87 against
 * 106), the same code in the same JVM build (2-core AMD EPYC Zen 4, bench/README.md). Those flags
 * cannot be set once the JVM runs, so the launchers pass them and the first kernel says once on
 * stderr where a JVM runs without them (an application that embeds the engine on ParallelGC).
 */
public final class VectorJit {
    /**
     * The GEMM register tiles: the kernels whose tier-3 compilation fails. Only these: a method C1
     * does not compile runs in the interpreter until C2 takes it, and small helpers (Blas.get) kept
     * there were then seen called out of line from C2's tiles, 5 times slower.
     */
    static final String[] KERNELS = {"org/mrine/backend/cpu/Gemm.tile*"};

    private static volatile String outcome = "not tried";

    private VectorJit() {
    }

    /** What happened: "added", "off" (the property), "not tried" (no kernel ran yet) or why it could not be added. */
    public static String outcome() {
        return outcome;
    }

    /** The flags that strip-mine counted loops, as the launchers pass them. */
    public static final String LOOP_FLAGS = "-XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000";

    /**
     * Whether this JVM's C2 strip-mines counted loops, and the two flags that decide it; an empty map
     * where the JVM does not say (not HotSpot).
     */
    public static Map<String, Object> loopStripMining() {
        return LoopFlags.READ;
    }

    /** Read once: the flags cannot change while the JVM runs. */
    private static final class LoopFlags {
        static final Map<String, Object> READ = java.util.Collections.unmodifiableMap(read());
    }

    private static Map<String, Object> read() {
        String safepoints = VmOptions.get("UseCountedLoopSafepoints"), iterations = VmOptions.get("LoopStripMiningIter");
        Map<String, Object> out = new LinkedHashMap<>();
        if (safepoints == null || iterations == null) return out;
        boolean polls = Boolean.parseBoolean(safepoints);
        long perStrip = Long.parseLong(iterations);
        out.put("UseCountedLoopSafepoints", polls);
        out.put("LoopStripMiningIter", perStrip);
        out.put("in_force", polls && perStrip > 1);
        return out;
    }

    static synchronized void preferC2() {
        if (!outcome.equals("not tried")) return;
        if (Boolean.FALSE.equals(loopStripMining().get("in_force"))) {
            System.err.println("mrine: this JVM does not strip-mine loops (the default with -XX:+UseParallelGC and -XX:+UseSerialGC),"
                    + " which leaves the Java kernels up to 2x slower; add " + LOOP_FLAGS + ", as the mrine launcher does");
        }
        if ("false".equals(System.getProperty("mrine.jit.c2only"))) {
            outcome = "off";
            return;
        }
        Path file = null;
        try {
            StringBuilder match = new StringBuilder();
            for (String c : KERNELS) match.append(match.isEmpty() ? "" : ", ").append('"').append(c).append('"');
            file = Files.createTempFile("mrine-jit", ".json");
            Files.writeString(file, "[ { match: [" + match + "], c1: { Exclude: true } } ]\n");
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            outcome = String.valueOf(said).contains("1 compiler directives added") ? "added" : "refused: " + String.valueOf(said).strip();
        } catch (Exception | LinkageError e) {
            // another JVM (no HotSpot DiagnosticCommand) or no temporary folder: the default policy runs
            outcome = "not added: " + e;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException ignored) {
                    // a leftover temporary file of a few bytes
                }
            }
        }
    }
}
