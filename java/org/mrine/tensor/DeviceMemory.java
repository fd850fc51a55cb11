package org.mrine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Device memory behind a {@link Workspace}: implemented by a GPU backend, absent (null) on the CPU.
 * Addresses are device addresses in bytes; host segments are what the backend hands out for host
 * copies (pinned memory on a GPU). A {@link DeviceMirror} calls these to move one allocation between
 * the two; nothing else in the tensor package knows about devices.
 */
public interface DeviceMemory {

    /** A zeroed device allocation of {@code bytes}; lives until the backend closes. */
    long allocateDevice(long bytes);

    /** Host memory for the host copy of an allocation (pinned where the backend can). */
    MemorySegment allocateHost(long bytes);

    /**
     * Enqueues host to device. The host bytes must stay unchanged until the copy completed:
     * the returned ticket goes to {@link #awaitUpload} before the host copy is written again.
     */
    long upload(MemorySegment src, long dstAddress, long bytes);

    /** Waits until the upload with this ticket has completed (returns at once when it has). */
    void awaitUpload(long ticket);

    /** Device to host, after all work enqueued so far; returns when the bytes have arrived. */
    void download(long srcAddress, MemorySegment dst, long bytes);

    /** Device to device, enqueued after all work so far. */
    void copy(long srcAddress, long dstAddress, long bytes);

    /** Sets {@code count} floats at dstAddress to v, enqueued after all work so far. */
    void fill(long dstAddress, long count, float v);
}
