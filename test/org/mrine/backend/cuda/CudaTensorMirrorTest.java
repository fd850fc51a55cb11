package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.mrine.tensor.DeviceMemory;
import org.mrine.tensor.DeviceMirror;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Device residency of tensors: values cross between host and device only when the other side
 * asks, views share their allocation's state, and host tensors have no device state at all.
 */
class CudaTensorMirrorTest {

    /** Device memory in host memory, counting transfers. */
    static final class CountingMemory implements DeviceMemory {
        final Arena arena = Arena.ofAuto();
        final TreeMap<Long, MemorySegment> device = new TreeMap<>();
        int uploads, downloads, copies, fills, awaited;
        long lastTicket;

        MemorySegment at(long address, long bytes) {
            Map.Entry<Long, MemorySegment> e = device.floorEntry(address);
            return e.getValue().asSlice(address - e.getKey(), bytes);
        }

        @Override
        public long allocateDevice(long bytes) {
            MemorySegment s = arena.allocate(bytes, 256);
            device.put(s.address(), s);
            return s.address();
        }

        @Override
        public MemorySegment allocateHost(long bytes) {
            return arena.allocate(bytes, 64);
        }

        @Override
        public long upload(MemorySegment src, long dst, long bytes) {
            uploads++;
            MemorySegment.copy(src, 0, at(dst, bytes), 0, bytes);
            return ++lastTicket;
        }

        @Override
        public void awaitUpload(long ticket) {
            awaited++;
        }

        @Override
        public void download(long src, MemorySegment dst, long bytes) {
            downloads++;
            MemorySegment.copy(at(src, bytes), 0, dst, 0, bytes);
        }

        @Override
        public void copy(long src, long dst, long bytes) {
            copies++;
            MemorySegment.copy(at(src, bytes), 0, at(dst, bytes), 0, bytes);
        }

        @Override
        public void fill(long dst, long count, float v) {
            fills++;
            MemorySegment s = at(dst, count * 4);
            for (long i = 0; i < count; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
        }

        /** What a kernel would see at a tensor's device address. */
        float deviceValue(Tensor t, long i) {
            return at(t.device().address() + t.deviceOffset(), t.size() * 4).getAtIndex(ValueLayout.JAVA_FLOAT, i);
        }

        /** A kernel writing v at element i. */
        void kernelWrites(Tensor t, long i, float v) {
            long a = t.device().deviceWrite() + t.deviceOffset();
            at(a, t.size() * 4).setAtIndex(ValueLayout.JAVA_FLOAT, i, v);
        }
    }

    @Test
    void hostTensorsHaveNoDeviceState() {
        try (Workspace ws = new Workspace()) {
            Tensor t = ws.zeros(3, 4);
            assertNull(t.device());
            assertNull(t.slice(1, 1).device());
            t.set(5, 2f);
            assertEquals(2f, t.view(12).get(5));
        }
    }

    @Test
    void valuesMoveOnlyWhenTheOtherSideAsks() {
        CountingMemory mem = new CountingMemory();
        Workspace ws = new Workspace(mem);
        Tensor t = ws.zeros(2, 3);
        DeviceMirror m = t.device();
        assertTrue(m.deviceValid() && !m.hostValid(), "a new tensor lives on the device");

        assertEquals(0f, t.get(0));
        assertEquals(1, mem.downloads, "first host read downloads");
        t.get(1);
        t.toArray();
        assertEquals(1, mem.downloads, "further reads use the host copy");

        t.set(2, 7f);
        assertFalse(m.deviceValid(), "a host write makes the device stale");
        assertEquals(1, mem.downloads, "the host copy was current: no download");
        t.set(3, 8f);
        m.deviceRead();
        m.deviceRead();
        assertEquals(1, mem.uploads, "one upload however often a kernel reads");
        assertEquals(7f, mem.deviceValue(t, 2));

        mem.kernelWrites(t, 4, 9f);
        assertFalse(m.hostValid(), "a kernel write makes the host stale");
        assertEquals(9f, t.get(4));
        assertEquals(2, mem.downloads);
        assertEquals(8f, t.get(3));
    }

    @Test
    void wholeOverwritesSkipTheDownloadAndWaitForUploadsInFlight() {
        CountingMemory mem = new CountingMemory();
        Tensor t = new Workspace(mem).zeros(4);
        mem.kernelWrites(t, 0, 1f);
        t.copyFrom(new float[] {1, 2, 3, 4});
        assertEquals(0, mem.downloads, "copyFrom of every element does not fetch the old values");
        t.device().deviceRead();
        assertEquals(1, mem.uploads);
        t.copyFrom(new float[] {5, 6, 7, 8});
        assertEquals(1, mem.awaited, "the host copy is not overwritten while its upload may be in flight");
        t.device().deviceRead();
        assertEquals(8f, mem.deviceValue(t, 3));
    }

    @Test
    void viewsShareTheirAllocationsState() {
        CountingMemory mem = new CountingMemory();
        Tensor whole = new Workspace(mem).zeros(3, 2);
        Tensor row = whole.slice(1, 1).view(2);
        Tensor cell = whole.region(5, 1);
        assertEquals(whole.device(), row.device());
        assertEquals(8, row.deviceOffset());
        assertEquals(20, cell.deviceOffset());
        row.copyFrom(new float[] {3, 4});
        assertEquals(1, mem.downloads, "a partial overwrite first fetches the rest of the allocation");
        assertEquals(4f, whole.get(3));
        whole.device().deviceRead();
        assertEquals(3f, mem.deviceValue(whole, 2));
        mem.kernelWrites(cell, 0, 6f);
        assertArrayEquals(new float[] {0, 0, 3, 4, 0, 6}, whole.toArray());
    }

    @Test
    void fillsAndTensorCopiesRunOnTheDevice() {
        CountingMemory mem = new CountingMemory();
        Workspace ws = new Workspace(mem);
        Tensor a = ws.zeros(4), b = ws.zeros(4);
        a.copyFrom(new float[] {1, 2, 3, 4});
        assertEquals(1, mem.uploads, "copying host values in is the explicit upload");
        a.fill(0.5f);
        assertEquals(1, mem.fills);
        assertEquals(1, mem.uploads, "filling a whole allocation needs nothing from the host");
        b.copyFrom(a);
        assertEquals(1, mem.copies);
        assertArrayEquals(new float[] {0.5f, 0.5f, 0.5f, 0.5f}, b.toArray());
        Tensor half = a.region(2, 2);
        a.set(0, 9f);
        half.fill(1f);
        assertEquals(2, mem.uploads, "a partial fill first makes the device copy current");
        assertArrayEquals(new float[] {9, 0.5f, 1, 1}, a.toArray());
    }

    @Test
    void segmentAccessCountsAsAWrite() {
        CountingMemory mem = new CountingMemory();
        Tensor t = new Workspace(mem).zeros(2);
        t.segment().setAtIndex(ValueLayout.JAVA_FLOAT, 1, 5f);
        assertFalse(t.device().deviceValid());
        t.device().deviceRead();
        assertEquals(5f, mem.deviceValue(t, 1));
    }
}
