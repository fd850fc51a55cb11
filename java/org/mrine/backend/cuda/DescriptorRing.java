package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Small argument tables for launches (per-track and per-trial pointer lists, group member lists):
 * written into page-locked host memory and enqueued to a device ring of the same size. A region is
 * reused only after the stream has been drained, so the host never overwrites a table still in
 * flight.
 */
final class DescriptorRing {
    private final DeviceApi api;
    private final CudaMemory memory;
    private final long capacity;
    private final long device;
    private final MemorySegment host;
    private long cursor;

    DescriptorRing(DeviceApi api, CudaMemory memory, long capacity) {
        this.api = api;
        this.memory = memory;
        this.capacity = capacity;
        this.device = memory.allocateScratch(capacity);
        this.host = memory.allocateHost(capacity);
    }

    private long reserve(long bytes) {
        if (bytes > capacity) throw new IllegalArgumentException("descriptor table of " + bytes + " bytes exceeds the ring's " + capacity);
        cursor = (cursor + 15) & ~15L;
        if (cursor + bytes > capacity) {
            memory.synchronize();
            cursor = 0;
        }
        long at = cursor;
        cursor += bytes;
        return at;
    }

    /** Enqueues values[0..n) and returns their device address. */
    long put(long[] values, int n) {
        long at = reserve(8L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_LONG, at, n);
        api.uploadAsync(host.asSlice(at, 8L * n), device + at, 8L * n);
        return device + at;
    }

    /** Enqueues values[0..n) (32-bit) and returns their device address. */
    long put(int[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_INT, at, n);
        api.uploadAsync(host.asSlice(at, 4L * n), device + at, 4L * n);
        return device + at;
    }
}
