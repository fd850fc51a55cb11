package org.mrine.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuFuncGetAttribute;
import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemHostAlloc;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUfunction_attribute;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;
import jcuda.driver.JCudaDriver;

/**
 * {@link DeviceApi} on JCuda's driver API (needs only the driver's libcuda.so.1): the device's
 * primary context, one non-blocking stream, the kernel modules from the classpath ({@link KernelImages}:
 * the fat binaries, cubins plus PTX) loaded once with cuModuleLoadData, functions resolved once.
 * Errors surface as JCuda's {@code CudaException}. The context is made current on whichever thread
 * calls (one at a time).
 */
public final class JCudaApi implements DeviceApi {
    private final CUdevice device = new CUdevice();
    private final CUcontext context = new CUcontext();
    private final Stream stream = new Stream();
    private final String name;
    private final int multiprocessors;
    private final int maxDynamicShared;
    private final Map<String, CUmodule> modules = new LinkedHashMap<>();
    private final EnumMap<Kernel, CUfunction> functions = new EnumMap<>(Kernel.class);
    /** Device allocations by base address: a copy to an address finds its allocation here. */
    private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
    private final List<Pointer> hostAllocations = new ArrayList<>();
    private final Arena hostArena = Arena.ofShared();
    private Thread owner;
    private boolean closed;

    /** A stream whose raw handle cuBLAS can be given. */
    private static final class Stream extends CUstream {
        long handle() {
            return getNativePointer();
        }
    }

    /** A device pointer whose address the backend can read. */
    private static final class Allocation extends CUdeviceptr {
        final long bytes;

        Allocation(long bytes) {
            this.bytes = bytes;
        }

        long address() {
            return getNativePointer();
        }
    }

    private JCudaApi(int ordinal) {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        cuDeviceGet(device, ordinal);
        byte[] buf = new byte[256];
        cuDeviceGetName(buf, buf.length, device);
        int len = 0;
        while (len < buf.length && buf[len] != 0) len++;
        name = new String(buf, 0, len, java.nio.charset.StandardCharsets.US_ASCII);
        multiprocessors = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
        maxDynamicShared = attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN);
        cuDevicePrimaryCtxRetain(context, device);
        makeCurrent();
        cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
        for (String m : Kernel.modules()) modules.put(m, load(m));
        for (Kernel k : Kernel.values()) {
            CUfunction f = new CUfunction();
            cuModuleGetFunction(f, modules.get(k.module), k.symbol());
            int[] staticShared = new int[1];
            cuFuncGetAttribute(staticShared, CUfunction_attribute.CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f);
            // allow the large dynamic shared workspaces of the covariance kernels
            cuFuncSetAttribute(f, CUfunction_attribute.CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                    maxDynamicShared - staticShared[0]);
            functions.put(k, f);
        }
    }

    /**
     * Opens device {@code ordinal}: loads JCuda's natives, the driver and every kernel module.
     *
     * @throws UnsatisfiedLinkError        when JCuda's native library or the driver cannot be loaded
     * @throws jcuda.CudaException         when the driver, the device or a module fails
     * @throws IllegalStateException       when a kernel image is missing or the driver cannot load it (a driver
     *                                     too old for the kernels says which it needs)
     */
    public static JCudaApi open(int ordinal) {
        return new JCudaApi(ordinal);
    }

    private int attribute(int which) {
        int[] v = new int[1];
        cuDeviceGetAttribute(v, which, device);
        return v[0];
    }

    /** Loads a module's image (KernelImages); a driver too old for it says so in one line. */
    private static CUmodule load(String module) {
        byte[] image = KernelImages.load(module);
        CUmodule m = new CUmodule();
        try {
            cuModuleLoadData(m, image);
        } catch (jcuda.CudaException e) {
            int[] version = new int[1];
            cuDriverGetVersion(version);
            String tooOld = KernelImages.driverTooOld(version[0], errorCode(e), KernelImages.nvccRelease());
            if (tooOld != null) throw new IllegalStateException(tooOld, e);
            throw new IllegalStateException("the driver rejected " + KernelImages.resource(module) + ": " + e.getMessage(), e);
        }
        return m;
    }

    /** The CUresult code named in a JCuda exception's message ("CUDA_ERROR_UNSUPPORTED_PTX_VERSION"), or -1. */
    static int errorCode(jcuda.CudaException e) {
        String msg = String.valueOf(e.getMessage());
        int code = -1, longest = 0;
        for (java.lang.reflect.Field f : jcuda.driver.CUresult.class.getFields()) {
            // the longest name the message holds (some names begin others)
            if (f.getType() == int.class && f.getName().length() > longest && msg.contains(f.getName())) {
                try {
                    code = f.getInt(null);
                    longest = f.getName().length();
                } catch (IllegalAccessException ignored) {
                    // public static fields: not reached
                }
            }
        }
        return code;
    }

    private void makeCurrent() {
        Thread t = Thread.currentThread();
        if (owner != t) {
            cuCtxSetCurrent(context);
            owner = t;
        }
    }

    private CUdeviceptr at(long address) {
        Map.Entry<Long, Allocation> e = allocations.floorEntry(address);
        if (e == null || address >= e.getKey() + e.getValue().bytes) {
            throw new IllegalArgumentException("address 0x" + Long.toHexString(address) + " is in no allocation of this device");
        }
        return e.getValue().withByteOffset(address - e.getKey());
    }

    private static Pointer host(MemorySegment s, long bytes) {
        ByteBuffer b = s.asSlice(0, bytes).asByteBuffer();
        return Pointer.to(b);
    }

    @Override
    public String deviceName() {
        return name;
    }

    @Override
    public int multiprocessors() {
        return multiprocessors;
    }

    @Override
    public int maxDynamicSharedMemory() {
        return maxDynamicShared;
    }

    @Override
    public long malloc(long bytes) {
        makeCurrent();
        Allocation a = new Allocation(bytes);
        cuMemAlloc(a, bytes);
        allocations.put(a.address(), a);
        return a.address();
    }

    @Override
    public MemorySegment mallocHost(long bytes) {
        makeCurrent();
        Pointer p = new Pointer();
        cuMemHostAlloc(p, bytes, 0);
        hostAllocations.add(p);
        long address = MemorySegment.ofBuffer(p.getByteBuffer(0, bytes)).address();
        return MemorySegment.ofAddress(address).reinterpret(bytes, hostArena, null);
    }

    @Override
    public void uploadAsync(MemorySegment src, long dstAddress, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        cuMemcpyHtoDAsync(at(dstAddress), host(src, bytes), bytes, stream);
    }

    @Override
    public void download(long srcAddress, MemorySegment dst, long bytes) {
        makeCurrent();
        if (bytes > 0) cuMemcpyDtoHAsync(host(dst, bytes), at(srcAddress), bytes, stream);
        cuStreamSynchronize(stream);
    }

    @Override
    public void copyAsync(long srcAddress, long dstAddress, long bytes) {
        if (bytes == 0) return;
        makeCurrent();
        cuMemcpyDtoDAsync(at(dstAddress), at(srcAddress), bytes, stream);
    }

    @Override
    public void memset32Async(long dstAddress, int value, long count) {
        if (count == 0) return;
        makeCurrent();
        cuMemsetD32Async(at(dstAddress), value, count, stream);
    }

    @Override
    public void launch(Kernel k, int gx, int gy, int gz, int block, int sharedBytes, KernelArgs args) {
        args.check(k, block);
        makeCurrent();
        Pointer[] slots = new Pointer[args.count()];
        for (int i = 0; i < slots.length; i++) {
            long v = args.bits(i);
            slots[i] = switch (args.type(i)) {
                case 'p', 'l', 'd' -> Pointer.to(new long[] {v});
                case 'i', 'f' -> Pointer.to(new int[] {(int) v});
                default -> throw new IllegalStateException("argument type " + args.type(i));
            };
        }
        cuLaunchKernel(functions.get(k), gx, gy, gz, block, 1, 1, sharedBytes, stream, Pointer.to(slots), null);
    }

    @Override
    public long memoryInUse() {
        makeCurrent();
        long[] free = new long[1], total = new long[1];
        cuMemGetInfo(free, total);
        return total[0] - free[0];
    }

    @Override
    public long streamHandle() {
        return stream.handle();
    }

    @Override
    public void synchronize() {
        makeCurrent();
        cuStreamSynchronize(stream);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        makeCurrent();
        cuStreamSynchronize(stream);
        for (Allocation a : allocations.values()) cuMemFree(a);
        allocations.clear();
        hostArena.close();
        for (Pointer p : hostAllocations) cuMemFreeHost(p);
        hostAllocations.clear();
        for (CUmodule m : modules.values()) cuModuleUnload(m);
        cuStreamDestroy(stream);
        cuDevicePrimaryCtxRelease(device);
    }
}
