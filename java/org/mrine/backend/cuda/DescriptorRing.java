package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Small argument tables for launches (per-track and per-trial pointer lists, group member lists,
 * per-trial scales): written into page-locked host memory and enqueued to a device ring of the same
 * size. A region is reused only once the host has waited for the device after the region's last
 * use, so the host never overwrites a table still in flight. The host waits once per training step
 * anyway (for the loss terms), so a ring that holds a step's tables never adds a wait of its own:
 * it remembers where it stood at the last wait and checks a new table against that.
 */
final class DescriptorRing {
    private final DeviceApi api;
    private final CudaMemory memory;
    private final long capacity;
    private final long device;
    private final MemorySegment host;
    private long cursor;
    /** Laps around the ring so far, and the lap and cursor of the last wait for the device seen. */
    private long lap;
    private long waitsSeen;
    private long waitLap = -1;
    private long waitCursor;

    DescriptorRing(DeviceApi api, CudaMemory memory, long capacity) {
        this.api = api;
        this.memory = memory;
        this.capacity = capacity;
        this.device = memory.allocateScratch(capacity);
        this.host = memory.allocateHost(capacity);
    }

    private long reserve(long bytes) {
        if (bytes > capacity) throw new IllegalArgumentException("descriptor table of " + bytes + " bytes exceeds the ring's " + capacity);
        noteWaits();
        cursor = (cursor + 15) & ~15L;
        if (cursor + bytes > capacity) {
            lap++;
            cursor = 0;
        }
        // the previous lap's tables in [cursor, cursor + bytes) must be done: a wait since they were enqueued
        boolean free = lap == 0 || waitLap >= lap || (waitLap == lap - 1 && waitCursor >= cursor + bytes);
        if (!free) {
            memory.synchronize();
            noteWaits();
        }
        long at = cursor;
        cursor += bytes;
        return at;
    }

    /** Everything enqueued before a wait is done: a wait seen now covers every table up to the cursor. */
    private void noteWaits() {
        if (memory.waits() != waitsSeen) {
            waitsSeen = memory.waits();
            waitLap = lap;
            waitCursor = cursor;
        }
    }

    /** Enqueues values[0..n) and returns their device address. */
    long put(long[] values, int n) {
        long at = reserve(8L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_LONG, at, n);
        api.uploadAsync(host.asSlice(at, 8L * n), device + at, 8L * n);
        return device + at;
    }

    /** Enqueues values[0..n) (doubles) and returns their device address. */
    long put(double[] values, int n) {
        long at = reserve(8L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_DOUBLE, at, n);
        api.uploadAsync(host.asSlice(at, 8L * n), device + at, 8L * n);
        return device + at;
    }

    /** Enqueues values[0..n) (floats) and returns their device address. */
    long put(float[] values, int n) {
        long at = reserve(4L * n);
        MemorySegment.copy(values, 0, host, ValueLayout.JAVA_FLOAT, at, n);
        api.uploadAsync(host.asSlice(at, 4L * n), device + at, 4L * n);
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
