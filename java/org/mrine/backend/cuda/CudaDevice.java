package org.mrine.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether this machine has a CUDA device, asked of the driver library itself ({@code libcuda.so.1},
 * through the FFM API) and not through JCuda: so a JCuda linkage or PTX-loading failure on a machine
 * that has a device is a failure of the backend, never mistaken for "no device". The answer is
 * computed once.
 */
public final class CudaDevice {

    /**
     * @param available a driver loaded, initialized and reported at least one device
     * @param devices   how many
     * @param name      the first device's name ("" when none)
     * @param reason    why there is no device ("" when there is one)
     * @param driverVersion the CUDA release the driver supports, as cuDriverGetVersion encodes it (13000 for
     *                  13.0), or 0 when unknown
     */
    public record Probe(boolean available, int devices, String name, String reason, int driverVersion) {
        Probe(boolean available, int devices, String name, String reason) {
            this(available, devices, name, reason, 0);
        }

        /** "13.0", or "unknown". */
        public String driverRelease() {
            return driverVersion > 0 ? KernelImages.release(driverVersion) : "unknown";
        }
    }

    private static Probe probe;

    private CudaDevice() {
    }

    public static synchronized Probe probe() {
        if (probe == null) probe = run();
        return probe;
    }

    /** True when a CUDA driver and at least one device were found. */
    public static boolean available() {
        return probe().available();
    }

    /** Why no CUDA device is usable, or "" when one is. */
    public static String reason() {
        return probe().reason();
    }

    private static Probe run() {
        if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
            return new Probe(false, 0, "", "the CUDA backend is built for Linux (this is " + System.getProperty("os.name") + ")");
        }
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup("libcuda.so.1", Arena.global());
        } catch (IllegalArgumentException e) {
            return new Probe(false, 0, "", "no NVIDIA driver (libcuda.so.1 not found)");
        }
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle init = linker.downcallHandle(lib.findOrThrow("cuInit"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle count = linker.downcallHandle(lib.findOrThrow("cuDeviceGetCount"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            MethodHandle get = linker.downcallHandle(lib.findOrThrow("cuDeviceGet"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
            MethodHandle name = linker.downcallHandle(lib.findOrThrow("cuDeviceGetName"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            MethodHandle driverVersion = linker.downcallHandle(lib.findOrThrow("cuDriverGetVersion"),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
            int rc = (int) init.invokeExact(0);
            if (rc != 0) return new Probe(false, 0, "", "the NVIDIA driver did not initialize: cuInit returned " + errorName(rc));
            try (Arena a = Arena.ofConfined()) {
                MemorySegment n = a.allocate(ValueLayout.JAVA_INT);
                rc = (int) count.invokeExact(n);
                if (rc != 0) return new Probe(false, 0, "", "cuDeviceGetCount returned " + errorName(rc));
                int devices = n.get(ValueLayout.JAVA_INT, 0);
                if (devices == 0) return new Probe(false, 0, "", "the NVIDIA driver reports no CUDA device");
                MemorySegment dev = a.allocate(ValueLayout.JAVA_INT);
                rc = (int) get.invokeExact(dev, 0);
                String label = "";
                if (rc == 0) {
                    MemorySegment buf = a.allocate(256);
                    rc = (int) name.invokeExact(buf, 256, dev.get(ValueLayout.JAVA_INT, 0));
                    if (rc == 0) label = buf.getString(0);
                }
                MemorySegment v = a.allocate(ValueLayout.JAVA_INT);
                int version = (int) driverVersion.invokeExact(v) == 0 ? v.get(ValueLayout.JAVA_INT, 0) : 0;
                return new Probe(true, devices, label, "", version);
            }
        } catch (Throwable e) {
            return new Probe(false, 0, "", "could not query the NVIDIA driver: " + e);
        }
    }

    private static String errorName(int rc) {
        return switch (rc) {
            case 100 -> "100 (CUDA_ERROR_NO_DEVICE)";
            case 35 -> "35 (CUDA_ERROR_INSUFFICIENT_DRIVER)";
            case 999 -> "999 (CUDA_ERROR_UNKNOWN)";
            default -> String.valueOf(rc);
        };
    }
}
