package org.mrine.backend.cpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import jdk.incubator.vector.FloatVector;
import org.mrine.io.Json;
import org.mrine.io.TempFiles;

/**
 * The CPU backend's machine-dependent choices, in one place: how many threads share a step,
 * the GEMM register tile, from what size a product splits over the threads, how long idle
 * helpers spin before they sleep, and whether a native BLAS takes the large products.
 *
 * <p>Where a choice comes from, last wins: the defaults below; the calibration stored for this
 * machine and CPU model ({@code mrine tune}, {@link CpuCalibration}) in
 * {@code ~/.cache/mrine/cpu-tuning/}; system properties ({@code -Dmrine.threads=1},
 * {@code -Dmrine.gemm.tile=8x2}, {@code -Dmrine.gemm.block_kb=256}, {@code -Dmrine.parallel.work=262144}, {@code -Dmrine.spin.us=50},
 * {@code -Dmrine.blas=openblas}, {@code -Dmrine.blas.work=4000000}). {@code -Dmrine.tuning=off}
 * ignores the stored calibration.
 *
 * <p>Bits: every choice except {@code blas} gives the same results bit for bit (each product's
 * entries are the same multiply-add chains whatever the tile, the thread count or the split,
 * and parallel gradient sums are reduced in item order, not per thread); a native BLAS sums in
 * its own order, so {@code blas != java} changes the last bits (within the reference fixtures'
 * tolerances), deterministically for a given library and machine.
 *
 * @param threads    threads that share the work of one step (the caller and threads - 1 helpers)
 * @param tile       GEMM register tile, rows x vectors of C: {@code 4x2}, {@code 6x2} (16 registers), {@code 8x2}, {@code 4x4} or {@code 6x4} (32)
 * @param blockKb    GEMM cache block: a wider op(B) goes in column panels of at most this many KiB, each
 *                   staying in cache while every row of A passes over it
 * @param parallelWork products of at least this many multiply-adds split their rows over the threads
 * @param spinMicros how long an idle helper thread polls for the next parallel section before it sleeps
 * @param blas       {@code java}, or a native library for the large products: {@code openblas}, {@code blis}
 * @param blasWork   products of at least this many multiply-adds go to the native library
 */
public record CpuTuning(int threads, String tile, int blockKb, long parallelWork, int spinMicros, String blas, long blasWork) {

    public static final String[] TILES = {"4x2", "8x2", "4x4", "6x2", "6x4"};
    public static final String[] LIBRARIES = {"java", "openblas", "blis"};
    /** The choices' names, as in the stored file, {@code mrine tune --set} and -Dmrine.NAME. */
    public static final String[] KEYS = {"threads", "gemm.tile", "gemm.block_kb", "parallel.work", "spin.us", "blas", "blas.work"};

    public CpuTuning {
        if (threads < 1) throw new IllegalArgumentException("cpu tuning: threads must be at least 1, got " + threads);
        if (!java.util.List.of(TILES).contains(tile)) {
            throw new IllegalArgumentException("cpu tuning: tile must be one of " + String.join(", ", TILES) + ", got '" + tile + "'");
        }
        if (blockKb < 16) throw new IllegalArgumentException("cpu tuning: gemm.block_kb must be at least 16, got " + blockKb);
        if (parallelWork < 1) throw new IllegalArgumentException("cpu tuning: parallel.work must be positive, got " + parallelWork);
        if (spinMicros < 0) throw new IllegalArgumentException("cpu tuning: spin.us must not be negative, got " + spinMicros);
        if (!java.util.List.of(LIBRARIES).contains(blas)) {
            throw new IllegalArgumentException("cpu tuning: blas must be one of " + String.join(", ", LIBRARIES) + ", got '" + blas + "'");
        }
        if (blasWork < 1) throw new IllegalArgumentException("cpu tuning: blas.work must be positive, got " + blasWork);
    }

    /**
     * The choices before any calibration: every core, Java products, and the tile with the most
     * accumulators that fits the vector registers: 6x4 (24 accumulators, 29 registers) where the JVM
     * has 32 (AVX-512 on x86, at any vector width; every ARM64), else 6x2 (12 accumulators, 15 of
     * AVX2's 16 registers).
     * On the 2-core AMD EPYC (Zen 5) 64^3 products ran at 202 GFLOP/s with 6x4 against 155 with 4x4
     * and 97 with 4x2 (one thread), and at 71 with 6x2 against 61 with 4x2 under -XX:UseAVX=2.
     */
    public static CpuTuning defaults() {
        return new CpuTuning(cores(), defaultTile(), 256, 1L << 20, 100, "java", 1L << 24);
    }

    /** 6x4 where the JVM has 32 vector registers, else 6x2 (fits 16). */
    static String defaultTile() {
        return vectorRegisters() >= 32 ? "6x4" : "6x2";
    }

    /**
     * How many vector registers C2 allocates from: 32 on ARM64, and on x86 where the JVM uses
     * AVX-512's encoding ({@code UseAVX} 3, which also gives 128- and 256-bit vectors registers
     * 16 to 31: with {@code -XX:MaxVectorSize=16} the 6x4 tile ran at 39.7 GFLOP/s on 64^3 against
     * 19.9 for 6x2 on the 2-core AMD EPYC), else 16. The flag is read from HotSpot once (it cannot
     * change while the JVM runs); on a JVM that does not say, 512-bit vectors stand for AVX-512.
     */
    public static int vectorRegisters() {
        return VectorRegisters.COUNT;
    }

    private static final class VectorRegisters {
        static final int COUNT = read();
    }

    private static int read() {
        String arch = System.getProperty("os.arch", "");
        if (arch.equals("aarch64")) return 32;
        if (!arch.equals("amd64") && !arch.equals("x86_64")) return 16;
        String useAvx = VmOptions.get("UseAVX");
        // not HotSpot, or a runtime without jdk.management: 512-bit vectors stand for AVX-512
        if (useAvx == null) return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512 ? 32 : 16;
        return Integer.parseInt(useAvx) >= 3 ? 32 : 16;
    }

    static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    public CpuTuning withThreads(int t) {
        return new CpuTuning(t, tile, blockKb, parallelWork, spinMicros, blas, blasWork);
    }

    public CpuTuning withTile(String t) {
        return new CpuTuning(threads, t, blockKb, parallelWork, spinMicros, blas, blasWork);
    }

    public CpuTuning withBlockKb(int kb) {
        return new CpuTuning(threads, tile, kb, parallelWork, spinMicros, blas, blasWork);
    }

    public CpuTuning withParallelWork(long w) {
        return new CpuTuning(threads, tile, blockKb, w, spinMicros, blas, blasWork);
    }

    public CpuTuning withSpinMicros(int us) {
        return new CpuTuning(threads, tile, blockKb, parallelWork, us, blas, blasWork);
    }

    public CpuTuning withBlas(String lib, long work) {
        return new CpuTuning(threads, tile, blockKb, parallelWork, spinMicros, lib, work);
    }

    /** This tuning with one choice changed by name (the property names without "mrine."). */
    public CpuTuning with(String key, String value) {
        try {
            return switch (key) {
                case "threads" -> withThreads(Integer.parseInt(value));
                case "gemm.tile", "tile" -> withTile(value);
                case "gemm.block_kb" -> withBlockKb(Integer.parseInt(value));
                case "parallel.work" -> withParallelWork(Long.parseLong(value));
                case "spin.us" -> withSpinMicros(Integer.parseInt(value));
                case "blas" -> withBlas(value, blasWork);
                case "blas.work" -> withBlas(blas, Long.parseLong(value));
                default -> throw new IllegalArgumentException("cpu tuning: unknown choice '" + key
                        + "', expected threads, gemm.tile, gemm.block_kb, parallel.work, spin.us, blas or blas.work");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("cpu tuning: " + key + " must be a whole number, got '" + value + "'");
        }
    }

    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("threads", threads);
        m.put("gemm.tile", tile);
        m.put("gemm.block_kb", blockKb);
        m.put("parallel.work", parallelWork);
        m.put("spin.us", spinMicros);
        m.put("blas", blas);
        m.put("blas.work", blasWork);
        return m;
    }

    static CpuTuning fromJson(Map<String, Object> m, String what) {
        CpuTuning t = defaults();
        for (String key : KEYS) {
            Object v = m.get(key);
            if (v != null) t = t.with(key, v instanceof Number n && !(v instanceof Double) ? Long.toString(n.longValue()) : String.valueOf(v));
        }
        return t;
    }

    // ------------------------------------------------------------------ where the choices come from

    private static volatile CpuTuning current;
    private static volatile String source = "defaults";
    /** What the stored calibration that {@link #current()} was loaded from measured (empty where none was read). */
    private static volatile Map<String, Object> storedMeasured = Map.of();

    /** The choices in force (loaded on first use). */
    public static CpuTuning current() {
        CpuTuning t = current;
        if (t == null) {
            synchronized (CpuTuning.class) {
                if (current == null) current = load();
                t = current;
            }
        }
        return t;
    }

    /** Where {@link #current()} came from: defaults, the stored calibration's path, and the overriding properties. */
    public static String source() {
        current();
        return source;
    }

    /** Makes t the choices in force until the returned handle is closed (tests, calibration, bench). */
    public static Scope use(CpuTuning t) {
        CpuTuning before = current();
        String sourceBefore = source;
        synchronized (CpuTuning.class) {
            current = t;
            source = "set in process";
        }
        return () -> {
            synchronized (CpuTuning.class) {
                current = before;
                source = sourceBefore;
            }
        };
    }

    /** Closing restores the previous choices. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private static CpuTuning load() {
        CpuTuning t = defaults();
        StringBuilder from = new StringBuilder("defaults");
        Map<String, Object> measured = Map.of();
        if (!"off".equals(System.getProperty("mrine.tuning"))) {
            Path file = storedPath();
            if (Files.isRegularFile(file)) {
                try {
                    Map<String, Object> stored = Json.object(Json.parse(Files.readString(file)), file.toString());
                    if (!ofThisFormat(stored)) {
                        System.err.println("mrine: not using the CPU calibration in " + file + ": " + STALE
                                + " (kernels up to 2x slower); the launcher measures again on first use, or run `mrine tune`");
                    } else {
                        t = fromJson(Json.object(stored.get("choices"), file + ": choices"), file.toString());
                        from = new StringBuilder(file.toString());
                        if (stored.get("measured") != null) measured = Json.object(stored.get("measured"), file + ": measured");
                    }
                } catch (IOException | RuntimeException e) {
                    System.err.println("mrine: ignoring the CPU calibration in " + file + " (" + e.getMessage() + "); run `mrine tune` again");
                }
            }
        }
        for (String key : KEYS) {
            String v = System.getProperty("mrine." + key);
            if (v != null) {
                t = t.with(key, v);
                from.append(", -Dmrine.").append(key).append('=').append(v);
            }
        }
        source = from.toString();
        storedMeasured = measured;
        return t;
    }

    /** The folder of stored calibrations: {@code -Dmrine.cache.dir}, else $XDG_CACHE_HOME/mrine, else ~/.cache/mrine. */
    public static Path cacheDir() {
        String dir = System.getProperty("mrine.cache.dir");
        if (dir != null) return Path.of(dir);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "mrine");
        return Path.of(System.getProperty("user.home"), ".cache", "mrine");
    }

    /**
     * The stored calibration of this machine: one file per host, CPU (model name, and family, model
     * and stepping, which tell apart CPUs a VM shows under one name), core count and vector width
     * (a JVM flag such as -XX:MaxVectorSize=32 changes the kernels, so it gets its own file), and
     * below 512 bits whether the JVM has 32 vector registers ({@code -32reg}): -XX:UseAVX=2 and
     * -XX:MaxVectorSize=32 on one AVX-512 CPU both give 256-bit vectors, with 16 and 32 registers,
     * and their best tiles differ; {@code -nostrip} where the JVM does not strip-mine C2's loops (an
     * application on ParallelGC without the launchers' flags, {@link VectorJit}), whose kernels run at
     * other speeds than the launchers'.
     */
    public static Path storedPath() {
        CpuIdentity cpu = CpuIdentity.current();
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String key = hostName() + "-" + cpu.name() + (cpu.key().isEmpty() ? "" : "-" + cpu.key()) + "-" + cores() + "c-"
                + bits + "bit" + (bits < 512 && vectorRegisters() >= 32 ? "-32reg" : "")
                + (Boolean.FALSE.equals(VectorJit.loopStripMining().get("in_force")) ? "-nostrip" : "");
        return cacheDir().resolve("cpu-tuning").resolve(key.replaceAll("[^A-Za-z0-9._-]+", "_") + ".json");
    }

    /**
     * Whether this JVM has asked once whether to calibrate (and did where nothing current was stored):
     * every CPU backend calls {@link #calibrateOnFirstUse}, and {@link #stored()} reads the file.
     */
    private static volatile boolean firstUseDecided;

    /**
     * With {@code -Dmrine.tune.auto=true} (the {@code mrine} launcher sets it), calibrates and
     * stores the choices when this machine has none stored yet: once, under a minute on 2 cores.
     */
    public static void calibrateOnFirstUse() {
        if (firstUseDecided || CpuCalibration.running() || !Boolean.getBoolean("mrine.tune.auto") || "off".equals(System.getProperty("mrine.tuning"))) {
            return;
        }
        synchronized (CpuTuning.class) {
            if (firstUseDecided) return;
            firstUseDecided = true;
            if (stored()) return;
            System.err.println("mrine: calibrating the CPU backend for this machine (once; `mrine tune` redoes it, -Dmrine.tuning=off skips it) ...");
            try {
                CpuCalibration.Result r = CpuCalibration.calibrate(null);
                store(r.tuning(), r.measured());
                System.err.println("mrine: CPU choices " + r.tuning().toJson() + " stored in " + storedPath());
                String hint = CpuCalibration.nativeBlasHint();
                if (hint != null) System.err.println("mrine: " + hint);
            } catch (RuntimeException e) {
                System.err.println("mrine: CPU calibration failed (" + e.getMessage() + "); using the defaults");
            }
        }
    }

    /**
     * One figure ({@code measured.KEY}) of the stored calibration the choices in force were loaded
     * from, or null: none where it was ignored ({@code -Dmrine.tuning=off}, unreadable) or is absent.
     */
    public static Object storedMeasurement(String key) {
        current();
        return storedMeasured.get(key);
    }

    /**
     * The stored calibration's format: 2 since the launchers strip-mine C2's loops (VectorJit). Files
     * of format 1 (no field) were measured on kernels up to 2x slower, so their choices are not taken:
     * the launcher's first use measures again, as on a new machine.
     */
    static final int FORMAT = 2;
    private static final String STALE = "measured by an earlier mrine, before its launchers strip-mined loops";

    private static boolean ofThisFormat(Map<String, Object> stored) {
        return stored.get("format") instanceof Number n && n.intValue() >= FORMAT;
    }

    /** Whether a stored calibration of the current format exists for this machine. */
    public static boolean stored() {
        Path file = storedPath();
        if (!Files.isRegularFile(file)) return false;
        try {
            return ofThisFormat(Json.object(Json.parse(Files.readString(file)), file.toString()));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Writes a calibration (choices and what was measured) atomically and makes it the choices in force. */
    public static void store(CpuTuning t, Map<String, Object> measured) {
        Path file = storedPath();
        Map<String, Object> out = new LinkedHashMap<>();
        CpuIdentity cpu = CpuIdentity.current();
        out.put("cpu", cpu.name());
        out.put("cpu_id", cpu.id());
        if (cpu.microarchitecture() != null) out.put("microarchitecture", cpu.microarchitecture());
        out.put("host", hostName());
        out.put("cores", cores());
        out.put("vector_bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        out.put("vector_registers", vectorRegisters());
        out.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        out.put("date", java.time.LocalDateTime.now().withNano(0).toString());
        out.put("choices", t.toJson());
        out.put("blas_kernels", nativeBlasKernels());
        out.put("measured", measured);
        out.put("format", FORMAT);
        try {
            Files.createDirectories(file.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the CPU calibration " + file + ": " + e.getMessage(), e);
        }
        TempFiles.writeString(file, Json.write(out) + "\n");
        synchronized (CpuTuning.class) {
            current = null;
        }
        current();
    }

    /** Products the native BLAS {@code lib} has computed in this JVM (0 where it does not load). */
    public static long nativeBlasCalls(String lib) {
        return NativeBlas.available(lib) ? NativeBlas.get(lib).calls() : 0;
    }

    /**
     * The kernels each native BLAS that loads here runs, by the library's own name for them (which it
     * picks from the CPU, not from the JVM's vector width): {"openblas": "Cooperlake", ...}.
     */
    public static Map<String, String> nativeBlasKernels() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String lib : new String[] {"openblas", "blis"}) {
            if (NativeBlas.available(lib)) out.put(lib, NativeBlas.get(lib).kernels);
        }
        return out;
    }

    /** Why a native BLAS ({@code openblas}, {@code blis}) does not load here, or null when it does. */
    public static String nativeBlasProblem(String lib) {
        return NativeBlas.problem(lib);
    }

    private static String hostName() {
        try {
            String h = Files.readString(Path.of("/etc/hostname")).trim();
            if (!h.isEmpty()) return h;
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        String env = System.getenv("HOSTNAME");
        return env != null && !env.isBlank() ? env : "host";
    }
}
