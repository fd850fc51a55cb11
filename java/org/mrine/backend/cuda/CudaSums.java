package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.mrine.backend.Sums;

/**
 * {@link Sums} on the device: the slots (doubles) followed by a copy of the kernels' error word, in
 * device memory and in a page-locked host buffer of the same layout. The reduction kernels add into
 * the slots in stream order; {@link #read} enqueues the error word's copy behind them and brings
 * slots and error word back in one transfer: a training step's one wait for the device.
 */
final class CudaSums implements Sums.Device {
    private final CudaStream stream;
    private final int slots;
    private final long device;
    private final MemorySegment host;

    private CudaSums(CudaStream stream, int slots) {
        this.stream = stream;
        this.slots = slots;
        this.device = stream.memory.allocateDevice(bytes(slots));
        this.host = stream.memory.allocateHost(bytes(slots));
    }

    private static long bytes(int slots) {
        return 8L * slots + 8;
    }

    static Sums create(CudaStream stream, int slots) {
        return new Sums(slots, new CudaSums(stream, slots));
    }

    /** The device address of the slots of sums made by this backend. */
    static long address(Sums sums, CudaStream stream) {
        if (!(sums.device() instanceof CudaSums s) || s.stream != stream) {
            throw new IllegalArgumentException("these sums were not made by this CUDA backend (Backend.sums)");
        }
        return s.device;
    }

    @Override
    public void clear() {
        stream.begin();
        stream.api.memset32Async(device, 0, 2L * slots);
    }

    @Override
    public void read(double[] into) {
        stream.begin();
        stream.api.copyAsync(stream.errorWord, device + 8L * slots, 4);
        stream.api.download(device, host, bytes(slots));
        stream.memory.synchronizedNow();
        MemorySegment.copy(host, ValueLayout.JAVA_DOUBLE, 0, into, 0, slots);
        stream.checkError(host.get(ValueLayout.JAVA_INT, 8L * slots), "found when the loss terms were read");
    }
}
