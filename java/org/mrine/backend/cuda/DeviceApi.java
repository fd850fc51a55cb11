package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;

/**
 * The few driver operations the CUDA backend needs, on one device, one context and one stream:
 * everything enqueued runs in order. Implemented with JCuda's driver API ({@link JCudaApi}); the
 * tests also run the backend on an emulation of these calls that executes the kernels' C++ on the
 * CPU. Device addresses are plain longs.
 */
public interface DeviceApi extends AutoCloseable {

    /** The device's name, e.g. "NVIDIA H100 80GB HBM3". */
    String deviceName();

    /** Streaming multiprocessors (sizes grids of elementwise kernels). */
    int multiprocessors();

    /** The most dynamic shared memory one block may use, in bytes (the opt-in limit). */
    int maxDynamicSharedMemory();

    /** A device allocation (contents undefined). */
    long malloc(long bytes);

    /** Page-locked host memory (contents undefined). */
    MemorySegment mallocHost(long bytes);

    /** Enqueues a host-to-device copy from page-locked memory. */
    void uploadAsync(MemorySegment src, long dstAddress, long bytes);

    /** Device to host after all enqueued work; returns when done. */
    void download(long srcAddress, MemorySegment dst, long bytes);

    /** Enqueues a device-to-device copy. */
    void copyAsync(long srcAddress, long dstAddress, long bytes);

    /** Enqueues setting count 32-bit words at dstAddress to value. */
    void memset32Async(long dstAddress, int value, long count);

    /**
     * Enqueues kernel k on a grid (gx, gy, gz) of 1-D blocks of {@code block} threads with
     * {@code sharedBytes} of dynamic shared memory. The arguments must match k's signature.
     */
    void launch(Kernel k, int gx, int gy, int gz, int block, int sharedBytes, KernelArgs args);

    /** The raw CUstream handle of the backend's stream (for libraries such as cuBLAS), or 0 where there is none. */
    default long streamHandle() {
        return 0;
    }

    /** Bytes of device memory in use on the whole device (total minus free, as the driver reports), or -1 where unknown. */
    default long memoryInUse() {
        return -1;
    }

    /** Waits for everything enqueued. */
    void synchronize();

    /** Frees every allocation and the context's resources. */
    @Override
    void close();
}
