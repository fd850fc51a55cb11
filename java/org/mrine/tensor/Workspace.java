package org.mrine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owner of off-heap tensors: every tensor it hands out lives until {@link #close()}.
 * Allocation happens when models and workspaces are built, never inside the time loop.
 * The arena is shared so that worker threads may read and write the tensors.
 *
 * <p>A GPU backend's workspace is built with its {@link DeviceMemory}: its tensors then live on the
 * device (each allocation with a {@link DeviceMirror}) and get a host copy only when the host looks.
 */
public final class Workspace implements AutoCloseable {
    /** 64-byte alignment: a cache line, and a whole AVX-512 vector. */
    private static final long ALIGN = 64;
    private final Arena arena = Arena.ofShared();
    private final DeviceMemory device;
    private long bytes;

    /** Host tensors (the CPU backend). */
    public Workspace() {
        this(null);
    }

    /** Tensors on the device behind {@code device} (null: host tensors). */
    public Workspace(DeviceMemory device) {
        this.device = device;
    }

    /** The device memory behind this workspace's tensors, or null for host tensors. */
    public DeviceMemory device() {
        return device;
    }

    public Tensor zeros(int... shape) {
        long n = HostTensor.numel(shape);
        if (device != null) {
            DeviceMirror m = new DeviceMirror(device, Math.max(1, n) * Float.BYTES);
            bytes += m.byteSize();
            return new Tensor(m, 0, shape);
        }
        MemorySegment seg = arena.allocate(Math.max(1, n) * Float.BYTES, ALIGN);
        bytes += seg.byteSize();
        return new Tensor(n == 0 ? seg.asSlice(0, 0) : seg, shape);
    }

    public Tensor of(HostTensor host) {
        Tensor t = zeros(host.shape());
        t.copyFrom(host.data());
        return t;
    }

    /** Bytes handed out so far. */
    public long allocatedBytes() {
        return bytes;
    }

    @Override
    public void close() {
        arena.close();
    }
}
