package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import org.mrine.tensor.DeviceMemory;

/**
 * The CUDA backend's memory: device allocations carved from large chunks (256-byte aligned,
 * zeroed, freed together when the backend closes), host copies from page-locked chunks, and the
 * transfers between them on the backend's stream. Before anything is enqueued, {@code beforeWork}
 * runs: the backend issues the per-trial work it has deferred (so stream order is call order).
 */
final class CudaMemory implements DeviceMemory {
    private static final long DEVICE_CHUNK = 64L << 20;
    private static final long HOST_CHUNK = 8L << 20;
    private static final long DEVICE_ALIGN = 256;
    private static final long HOST_ALIGN = 64;

    private final DeviceApi api;
    private final Runnable beforeWork;
    private long deviceChunk, deviceUsed = DEVICE_CHUNK, deviceFree;
    private MemorySegment hostChunk;
    private long hostUsed = HOST_CHUNK;
    private long ticket;
    private long completed;
    private long deviceBytes, hostBytes;
    /** Tensor transfers, and the host's waits for the device (every one of them a round trip). */
    private long uploads, downloads, waits;

    CudaMemory(DeviceApi api, Runnable beforeWork) {
        this.api = api;
        this.beforeWork = beforeWork;
    }

    private static long align(long v, long a) {
        return (v + a - 1) / a * a;
    }

    /** Device memory, not zeroed (scratch). */
    long allocateScratch(long bytes) {
        long size = align(Math.max(bytes, 4), DEVICE_ALIGN);
        deviceBytes += size;
        if (size > DEVICE_CHUNK / 4) return api.malloc(size);
        if (deviceUsed + size > DEVICE_CHUNK) {
            deviceChunk = api.malloc(DEVICE_CHUNK);
            deviceUsed = 0;
        }
        long at = deviceChunk + deviceUsed;
        deviceUsed += size;
        return at;
    }

    @Override
    public long allocateDevice(long bytes) {
        long at = allocateScratch(bytes);
        api.memset32Async(at, 0, align(bytes, 4) / 4);
        return at;
    }

    @Override
    public MemorySegment allocateHost(long bytes) {
        long size = align(Math.max(bytes, 1), HOST_ALIGN);
        hostBytes += size;
        if (size > HOST_CHUNK / 4) return api.mallocHost(size).asSlice(0, bytes);
        if (hostUsed + size > HOST_CHUNK) {
            hostChunk = api.mallocHost(HOST_CHUNK);
            hostUsed = 0;
        }
        MemorySegment s = hostChunk.asSlice(hostUsed, bytes);
        hostUsed += size;
        return s;
    }

    @Override
    public long upload(MemorySegment src, long dstAddress, long bytes) {
        beforeWork.run();
        api.uploadAsync(src, dstAddress, bytes);
        uploads++;
        return ++ticket;
    }

    @Override
    public void awaitUpload(long t) {
        if (t > completed) synchronize();
    }

    @Override
    public void download(long srcAddress, MemorySegment dst, long bytes) {
        beforeWork.run();
        api.download(srcAddress, dst, bytes);
        downloads++;
        synchronizedNow();
    }

    @Override
    public void copy(long srcAddress, long dstAddress, long bytes) {
        beforeWork.run();
        api.copyAsync(srcAddress, dstAddress, bytes);
    }

    @Override
    public void fill(long dstAddress, long count, float v) {
        beforeWork.run();
        api.memset32Async(dstAddress, Float.floatToRawIntBits(v), count);
    }

    /** Waits for all enqueued work (uploads included). */
    void synchronize() {
        api.synchronize();
        synchronizedNow();
    }

    /** Called after every wait for the stream (a sums download, a synchronize): all enqueued work is done. */
    void synchronizedNow() {
        completed = ticket;
        waits++;
    }

    /** How often the host has waited for the device so far (the descriptor ring reuses its space by it). */
    long waits() {
        return waits;
    }

    long uploads() {
        return uploads;
    }

    long downloads() {
        return downloads;
    }

    long deviceBytes() {
        return deviceBytes;
    }

    long hostBytes() {
        return hostBytes;
    }
}
