package org.mrine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Owner of off-heap tensors: every tensor it hands out lives until {@link #close()}.
 * Allocation happens when models and workspaces are built, never inside the time loop.
 * The arena is shared so that worker threads may read and write the tensors.
 */
public final class Workspace implements AutoCloseable {
    /** 64-byte alignment: a cache line, and a whole AVX-512 vector. */
    private static final long ALIGN = 64;
    private final Arena arena = Arena.ofShared();
    private long bytes;

    public Tensor zeros(int... shape) {
        long n = HostTensor.numel(shape);
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
