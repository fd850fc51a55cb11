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
 */
final class EmulatedApi implements DeviceApi {
    private static Path library;
    private static String unavailable;

    private final Arena arena = Arena.ofShared();
    private final TreeMap<Long, MemorySegment> allocations = new TreeMap<>();
    private final int maxShared;
    private final MethodHandle launch;
    private final MethodHandle arity;
    private int launches;

    /** An emulated device with maxShared bytes of dynamic shared memory per block (227 KiB: an H100). */
    EmulatedApi(int maxShared) {
        this.maxShared = maxShared;
        SymbolLookup lib = SymbolLookup.libraryLookup(library(), Arena.global());
        Linker linker = Linker.nativeLinker();
        launch = linker.downcallHandle(lib.findOrThrow("mrine_emu_launch"), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_LONG, ValueLayout.ADDRESS));
        arity = linker.downcallHandle(lib.findOrThrow("mrine_emu_arity"), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
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
        StringBuilder unit = new StringBuilder("#include \"cuda_emu.h\"\n");
        for (Path p : sources) if (p.toString().endsWith(".cu")) unit.append("#include \"").append(p).append("\"\n");
        unit.append("#include \"emu_runtime.inc\"\n");
        unit.append("const mrine_emu::Kernel MRINE_EMU_KERNELS[] = {\n");
        for (Kernel kernel : Kernel.values()) unit.append("    EMU_KERNEL(").append(kernel.symbol()).append("),\n");
        unit.append("};\nconst int MRINE_EMU_KERNEL_COUNT = sizeof(MRINE_EMU_KERNELS) / sizeof(MRINE_EMU_KERNELS[0]);\n");
        MessageDigest sha = sha256();
        sha.update(unit.toString().getBytes(StandardCharsets.UTF_8));
        for (Path p : sources) sha.update(Files.readAllBytes(p));
        for (String f : List.of("cuda_emu.h", "emu_runtime.inc")) sha.update(Files.readAllBytes(k.resolve("emu").resolve(f)));
        String hash = HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        Path dir = Path.of(System.getProperty("java.io.tmpdir"), "mrine-cuda-emu-" + hash);
        Path lib = dir.resolve("libmrine_emu.so");
        if (Files.exists(lib)) return lib;
        Files.createDirectories(dir);
        Path cpp = dir.resolve("emu_all.cpp");
        Files.writeString(cpp, unit);
        Path tmp = dir.resolve("libmrine_emu." + ProcessHandle.current().pid() + ".so");
        Process p = new ProcessBuilder("g++", "-std=gnu++17", "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-DMRINE_EMU",
                "-I" + k.resolve("emu"), "-I" + k, "-o", tmp.toString(), cpp.toString())
                .redirectErrorStream(true).start();
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
        return 2;
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
        if (block < 32 || block > 1024 || block % 32 != 0) throw new IllegalArgumentException(k.symbol() + ": block of " + block + " threads");
        if (gx < 1 || gy < 1 || gy > 65535 || gz < 1 || gz > 65535) {
            throw new IllegalArgumentException(k.symbol() + ": grid (" + gx + ", " + gy + ", " + gz + ")");
        }
        if (sharedBytes < 0 || sharedBytes > maxShared) throw new IllegalArgumentException(k.symbol() + ": " + sharedBytes + " bytes of shared memory");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocateFrom(k.symbol());
            int n = (int) arity.invokeExact(name);
            if (n != args.count()) throw new IllegalStateException(k.symbol() + " has " + n + " parameters in the source, " + args.count() + " given");
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
            int rc = (int) launch.invokeExact(name, gx, gy, gz, block, (long) sharedBytes, pointers);
            if (rc != 0) throw new IllegalStateException(k.symbol() + ": emulated launch failed with code " + rc + (rc == 3 ? " (barrier deadlock)" : ""));
            launches++;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void synchronize() {
    }

    @Override
    public void close() {
        arena.close();
    }
}
