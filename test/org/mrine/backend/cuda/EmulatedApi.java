package org.mrine.backend.cuda;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link DeviceApi} on the CPU: the kernels of {@code kernels/*.cu} compiled with g++ against
 * {@code kernels/emu/cuda_emu.h} (every thread a fiber, barriers and warp shuffles honoured) and
 * called through the FFM API; "device" memory is host memory. It checks launches as the driver
 * would (block size, shared memory, argument list against the kernel's arity), so the whole CUDA
 * backend (its Java orchestration and its kernels' arithmetic) runs and is compared with the CPU
 * backend on machines without a GPU. Timing means nothing here.
 *
 * <p>With a schedule seed other than 0, every launch runs its blocks, and between barriers the warps
 * of a block and the lanes of a warp, in orders shuffled from the seed (a different order each
 * launch): results that depend on those orders (float atomics, races) then change from seed to seed.
 * It counts the host's waits for the "device" (downloads and synchronizations), as a real device
 * would make the host wait.
 */
final class EmulatedApi implements DeviceApi {
    private static Path library;
    private static String unavailable;

    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, MemorySegment> allocations = new TreeMap<>();
    private final int maxShared;
    private final long scheduleSeed;
    private final int multiprocessors;
    private final MethodHandle launch;
    private final MethodHandle arity;
    private final MethodHandle schedule;
    private int launches;
    private long hostSyncs;
    /** Seconds spent in each kernel (-Dmrine.emu.profile=true; printed by the tests that ask for it). */
    static final Map<String, Long> PROFILE = Boolean.getBoolean("mrine.emu.profile") ? new java.util.concurrent.ConcurrentHashMap<>() : null;

    /** An emulated device with maxShared bytes of dynamic shared memory per block (227 KiB: an H100), in order. */
    EmulatedApi(int maxShared) {
        this(maxShared, 0, 2);
    }

    /**
     * An emulated device whose launches run in orders shuffled from scheduleSeed (0: in order), reporting
     * {@code multiprocessors} (which sizes grids: 2 keeps them small; 132, an H100's, gives the device's
     * launch configurations, split-K included).
     */
    EmulatedApi(int maxShared, long scheduleSeed, int multiprocessors) {
        this.maxShared = maxShared;
        this.scheduleSeed = scheduleSeed;
        this.multiprocessors = multiprocessors;
        SymbolLookup lib = SymbolLookup.libraryLookup(library(), Arena.global());
        Linker linker = Linker.nativeLinker();
        launch = linker.downcallHandle(lib.findOrThrow("mrine_emu_launch"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        arity = linker.downcallHandle(lib.findOrThrow("mrine_emu_arity"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        schedule = linker.downcallHandle(lib.findOrThrow("mrine_emu_schedule"), FunctionDescriptor.ofVoid(ValueLayout.JAVA_LONG));
    }

    EmulatedApi() {
        this(227 * 1024);
    }

    /** Null when the emulation can be built here, else why not (no g++). */
    static synchronized String unavailableReason() {
        if (library == null && unavailable == null) {
            try {
                library = build();
            } catch (IOException | RuntimeException e) {
                unavailable = "the CUDA emulation could not be built: " + e.getMessage();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                unavailable = "interrupted while building the CUDA emulation";
            }
        }
        return unavailable;
    }

    static synchronized Path library() {
        String why = unavailableReason();
        if (why != null) throw new IllegalStateException(why);
        return library;
    }

    /** Test-only kernels that depend on the schedule on purpose (CudaDeterminismTest). */
    static final Path PROBES = Path.of("test", "resources", "emu");
    static final List<String> PROBE_KERNELS = List.of("probe_atomic_sum", "probe_missing_barrier");

    /** The kernels directory of the project (tests run in the project root). */
    static Path kernelsDir() {
        Path k = Path.of("kernels").toAbsolutePath();
        if (!Files.isDirectory(k)) throw new IllegalStateException("no kernels/ directory under " + Path.of("").toAbsolutePath());
        return k;
    }

    /** Compiles the emulation once per source state into the temp directory. */
    private static Path build() throws IOException, InterruptedException {
        Path k = kernelsDir();
        List<Path> sources;
        try (var s = Files.list(k)) {
            sources = s.filter(p -> p.toString().endsWith(".cu") || p.toString().endsWith(".cuh")).sorted().toList();
        }
        // the test-only probe kernels (CudaDeterminismTest) beside them
        List<Path> probes = Files.isDirectory(PROBES) ? List.of(PROBES.resolve("order_probe.cu").toAbsolutePath()) : List.of();
        StringBuilder unit = new StringBuilder("#include \"cuda_emu.h\"\n");
        for (Path p : sources) if (p.toString().endsWith(".cu")) unit.append("#include \"").append(p).append("\"\n");
        for (Path p : probes) unit.append("#include \"").append(p).append("\"\n");
        unit.append("#include \"emu_runtime.inc\"\n");
        unit.append("const mrine_emu::Kernel MRINE_EMU_KERNELS[] = {\n");
        for (Kernel kernel : Kernel.values()) unit.append("    EMU_KERNEL(").append(kernel.symbol()).append("),\n");
        if (!probes.isEmpty()) for (String probe : PROBE_KERNELS) unit.append("    EMU_KERNEL(").append(probe).append("),\n");
        unit.append("};\nconst int MRINE_EMU_KERNEL_COUNT = sizeof(MRINE_EMU_KERNELS) / sizeof(MRINE_EMU_KERNELS[0]);\n");
        MessageDigest sha = sha256();
        sha.update(unit.toString().getBytes(StandardCharsets.UTF_8));
        for (Path p : sources) sha.update(Files.readAllBytes(p));
        for (Path p : probes) sha.update(Files.readAllBytes(p));
        for (String f : List.of("cuda_emu.h", "emu_runtime.inc")) sha.update(Files.readAllBytes(k.resolve("emu").resolve(f)));
        String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "mrine-cuda-emu-" + hash);
        Path lib = dir.resolve("libmrine_emu.so");
        if (Files.exists(lib)) return lib;
        Files.createDirectories(dir);
        Path cpp = dir.resolve("emu_all.cpp");
        Files.writeString(cpp, unit);
        Path tmp = dir.resolve("libmrine_emu." + ProcessHandle.current().pid() + ".so");
        List<String> command = new java.util.ArrayList<>(List.of("g++", "-std=gnu++17", "-O3", "-march=native", "-fPIC", "-shared",
                "-pthread", "-ffp-contract=off", "-DMRINE_EMU"));
        // thread-local block indices and shared arrays through TLS descriptors: three times faster than __tls_get_addr
        if (List.of("amd64", "x86_64").contains(System.getProperty("os.arch"))) command.add("-mtls-dialect=gnu2");
        command.addAll(List.of("-I" + k.resolve("emu"), "-I" + k, "-o", tmp.toString(), cpp.toString()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("g++ failed:\n" + out);
        }
        Files.move(tmp, lib, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        return lib;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    int launches() {
        return launches;
    }

    /** Times the host waited for this device: downloads and synchronizations. */
    long hostSyncs() {
        return hostSyncs;
    }

    private MemorySegment at(long address, long bytes) {
        Map.Entry<Long, MemorySegment> e = allocations.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue().byteSize()) {
            throw new IllegalArgumentException("emulated device: [0x" + Long.toHexString(address) + ", +" + bytes + ") is in no allocation");
        }
        return e.getValue().asSlice(address - e.getKey(), bytes);
    }

    @Override
    public String deviceName() {
        return "CUDA emulation (CPU)";
    }

    @Override
    public int multiprocessors() {
        return multiprocessors;
    }

    @Override
    public int maxDynamicSharedMemory() {
        return maxShared;
    }

    @Override
    public long malloc(long bytes) {
        MemorySegment s = arena.allocate(bytes, 256);
        // undefined contents on a device: make reads of unwritten memory show
        s.fill((byte) 0xff);
        allocations.put(s.address(), s);
        return s.address();
    }

    @Override
    public MemorySegment mallocHost(long bytes) {
        return arena.allocate(bytes, 64);
    }

    @Override
    public void uploadAsync(MemorySegment src, long dstAddress, long bytes) {
        if (bytes > 0) MemorySegment.copy(src, 0, at(dstAddress, bytes), 0, bytes);
    }

    @Override
    public void download(long srcAddress, MemorySegment dst, long bytes) {
        hostSyncs++;
        if (bytes > 0) MemorySegment.copy(at(srcAddress, bytes), 0, dst, 0, bytes);
    }

    @Override
    public void copyAsync(long srcAddress, long dstAddress, long bytes) {
        if (bytes > 0) MemorySegment.copy(at(srcAddress, bytes), 0, at(dstAddress, bytes), 0, bytes);
    }

    @Override
    public void memset32Async(long dstAddress, int value, long count) {
        if (count == 0) return;
        MemorySegment s = at(dstAddress, 4 * count);
        for (long i = 0; i < count; i++) s.setAtIndex(ValueLayout.JAVA_INT, i, value);
    }

    @Override
    public void launch(Kernel k, int gx, int gy, int gz, int block, int sharedBytes, KernelArgs args) {
        args.check(k, block);
        launch(k.symbol(), gx, gy, gz, block, sharedBytes, args);
    }

    /** Launches a kernel by its name (the probes have no {@link Kernel} entry), checked as the driver would. */
    void launch(String symbol, int gx, int gy, int gz, int block, int sharedBytes, KernelArgs args) {
        if (block < 32 || block > 1024 || block % 32 != 0) throw new IllegalArgumentException(symbol + ": block of " + block + " threads");
        if (gx < 1 || gy < 1 || gy > 65535 || gz < 1 || gz > 65535) {
            throw new IllegalArgumentException(symbol + ": grid (" + gx + ", " + gy + ", " + gz + ")");
        }
        if (sharedBytes < 0 || sharedBytes > maxShared) throw new IllegalArgumentException(symbol + ": " + sharedBytes + " bytes of shared memory");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocateFrom(symbol);
            int n = (int) arity.invokeExact(name);
            if (n != args.count()) throw new IllegalStateException(symbol + " has " + n + " parameters in the source, " + args.count() + " given");
            MemorySegment values = a.allocate(8L * Math.max(1, n), 8);
            MemorySegment pointers = a.allocate(ValueLayout.ADDRESS, Math.max(1, n));
            for (int i = 0; i < n; i++) {
                long bits = args.bits(i);
                switch (args.type(i)) {
                    case 'i', 'f' -> values.set(ValueLayout.JAVA_INT, 8L * i, (int) bits);
                    default -> values.set(ValueLayout.JAVA_LONG, 8L * i, bits);
                }
                pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i));
            }
            // each launch its own shuffled order, from the seed and the launch's number
            schedule.invokeExact(scheduleSeed == 0 ? 0L : mix(scheduleSeed + launches));
            long t0 = System.nanoTime();
            int rc = (int) launch.invokeExact(name, gx, gy, gz, block, (long) sharedBytes, pointers);
            if (PROFILE != null) PROFILE.merge(symbol, System.nanoTime() - t0, Long::sum);
            if (rc != 0) throw new IllegalStateException(symbol + ": emulated launch failed with code " + rc + (rc == 3 ? " (barrier deadlock)" : ""));
            launches++;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void synchronize() {
        hostSyncs++;
    }

    @Override
    public long memoryInUse() {
        long bytes = 0;
        for (MemorySegment s : allocations.values()) bytes += s.byteSize();
        return bytes;
    }

    /** SplitMix64's finalizer: spreads consecutive numbers over the seed space (never 0 for them in practice). */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        z = z ^ (z >>> 31);
        return z == 0 ? 1 : z;
    }

    /** Prints the seconds spent per kernel (when -Dmrine.emu.profile=true). */
    static void printProfile(String title) {
        if (PROFILE == null) return;
        System.out.println("emulated kernel time, " + title + ":");
        PROFILE.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> System.out.printf("  %-28s %8.2f s%n", e.getKey(), e.getValue() / 1e9));
        PROFILE.clear();
    }

    @Override
    public void close() {
        arena.close();
    }
}
