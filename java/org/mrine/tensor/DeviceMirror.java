package org.mrine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * One workspace allocation that lives on a device, with a host copy made on demand. Every view of
 * the allocation (slice, region, view) shares this object, so the state is per allocation:
 *
 * <pre>
 * hostValid   the host copy holds the current values (false until the host first looks)
 * deviceValid the device copy holds the current values
 * </pre>
 * At least one is always true. Host accessors of {@link Tensor} call {@link #hostRead} or
 * {@link #hostWrite} (download when the device is newer; a write makes the device stale); the
 * backend calls {@link #deviceRead} before a kernel reads the allocation and {@link #deviceWrite}
 * before one writes it (upload when the host is newer; a write makes the host stale). So values
 * cross the bus only when the other side asks for them: in training, the batch goes up and the
 * loss terms come down, nothing per time step. Not thread-safe: one backend drives it.
 */
public final class DeviceMirror {
    private final DeviceMemory memory;
    private final long address;
    private final long bytes;
    private MemorySegment host;
    private boolean hostValid;
    private boolean deviceValid = true;
    /** Ticket of the last upload from the host copy (0: none). */
    private long uploadTicket;

    DeviceMirror(DeviceMemory memory, long bytes) {
        this.memory = memory;
        this.bytes = bytes;
        this.address = memory.allocateDevice(bytes);
    }

    public DeviceMemory memory() {
        return memory;
    }

    /** Device address of the allocation's first byte. */
    public long address() {
        return address;
    }

    public long byteSize() {
        return bytes;
    }

    public boolean hostValid() {
        return hostValid;
    }

    public boolean deviceValid() {
        return deviceValid;
    }

    /** The host copy, current. */
    MemorySegment hostRead() {
        if (!hostValid) {
            if (host == null) host = memory.allocateHost(bytes);
            memory.download(address, host, bytes);
            hostValid = true;
        }
        return host;
    }

    /** The host copy, current, about to be written: the device copy becomes stale. */
    MemorySegment hostWrite() {
        hostRead();
        if (uploadTicket != 0) {
            memory.awaitUpload(uploadTicket);
            uploadTicket = 0;
        }
        deviceValid = false;
        return host;
    }

    /**
     * The host copy about to be written in [offset, offset + length) bytes: when that range is the
     * whole allocation, the old values are not downloaded first.
     */
    MemorySegment hostOverwrite(long offset, long length) {
        if (offset != 0 || length != bytes) return hostWrite();
        if (host == null) host = memory.allocateHost(bytes);
        if (uploadTicket != 0) {
            memory.awaitUpload(uploadTicket);
            uploadTicket = 0;
        }
        hostValid = true;
        deviceValid = false;
        return host;
    }

    /** Makes the device copy current (uploading the host copy when it is newer); returns the address. */
    public long deviceRead() {
        if (!deviceValid) {
            uploadTicket = memory.upload(host, address, bytes);
            deviceValid = true;
        }
        return address;
    }

    /** {@link #deviceRead}, then marks the host copy stale: a kernel is about to write. */
    public long deviceWrite() {
        deviceRead();
        hostValid = false;
        return address;
    }

    /** Sets floats [offset, offset + count) (offset in bytes) to v on the device. */
    void fill(long offset, long count, float v) {
        if (offset == 0 && count * Float.BYTES == bytes) {
            hostValid = false;
            deviceValid = true;
        } else {
            deviceWrite();
        }
        memory.fill(address + offset, count, v);
    }
}
