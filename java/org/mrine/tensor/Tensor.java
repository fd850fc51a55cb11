package org.mrine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A float32 tensor in off-heap memory, row-major and contiguous: {@code shape} with the last
 * dimension fastest. The layout is the one a CUDA device buffer has, so a GPU backend copies or
 * pins the segment without conversion.
 *
 * <p>Tensors are created by a {@link Workspace} (one arena, freed together). Element access by
 * flat index is what the CPU kernels use; the model code never calls it.
 *
 * <p>Device residency: a tensor from a GPU backend's workspace has a {@link DeviceMirror} (null on
 * the CPU) shared by all views of its allocation, and lives on the device. Its host accessors
 * ({@link #get}, {@link #set}, {@link #segment}, {@link #copyFrom}, {@link #toArray}, ...) first make
 * the host copy current, and those that write mark the device copy stale; {@link #fill} and
 * tensor-to-tensor {@link #copyFrom(Tensor)} run on the device. The backend's kernels go through
 * {@link #device()} and {@link #deviceOffset()}. CPU tensors pay one null check per access.
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /** The host memory (for a mirrored tensor: its slice of the host copy, null until first used). */
    private MemorySegment data;
    private final int[] shape;
    private final long size;
    /** Null on the CPU; otherwise the allocation's device state, and this view's byte offset in it. */
    private final DeviceMirror mirror;
    private final long offset;

    Tensor(MemorySegment data, int[] shape) {
        this.data = data;
        this.shape = shape.clone();
        this.size = HostTensor.numel(shape);
        this.mirror = null;
        this.offset = 0;
        if (data.byteSize() != size * Float.BYTES) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes for shape " + Arrays.toString(shape));
        }
    }

    Tensor(DeviceMirror mirror, long offset, int[] shape) {
        this.shape = shape.clone();
        this.size = HostTensor.numel(shape);
        this.mirror = mirror;
        this.offset = offset;
        if (offset < 0 || offset + size * Float.BYTES > mirror.byteSize()) {
            throw new IllegalArgumentException("view of " + Arrays.toString(shape) + " at byte " + offset
                    + " outside an allocation of " + mirror.byteSize() + " bytes");
        }
    }

    /** The device state of this tensor's allocation: null for host (CPU) tensors. */
    public DeviceMirror device() {
        return mirror;
    }

    /** Byte offset of this view in its device allocation (0 for host tensors). */
    public long deviceOffset() {
        return offset;
    }

    /** The host copy, current (read access). */
    private MemorySegment hostRead() {
        MemorySegment whole = mirror.hostRead();
        if (data == null) data = whole.asSlice(offset, size * Float.BYTES);
        return data;
    }

    /** The host copy, current, about to be written: the device copy becomes stale. */
    private MemorySegment hostWrite() {
        MemorySegment whole = mirror.hostWrite();
        if (data == null) data = whole.asSlice(offset, size * Float.BYTES);
        return data;
    }

    /** The host memory for reading and writing (a mirrored tensor's device copy becomes stale). */
    public MemorySegment segment() {
        return mirror == null ? data : hostWrite();
    }

    public int[] shape() {
        return shape.clone();
    }

    public int dim(int i) {
        return shape[i < 0 ? shape.length + i : i];
    }

    public int rank() {
        return shape.length;
    }

    public long size() {
        return size;
    }

    public float get(long i) {
        return (mirror == null ? data : hostRead()).getAtIndex(F32, i);
    }

    public void set(long i, float v) {
        (mirror == null ? data : hostWrite()).setAtIndex(F32, i, v);
    }

    public void add(long i, float v) {
        MemorySegment d = mirror == null ? data : hostWrite();
        d.setAtIndex(F32, i, d.getAtIndex(F32, i) + v);
    }

    public void fill(float v) {
        if (mirror != null) {
            mirror.fill(offset, size, v);
        } else if (v == 0f) {
            data.fill((byte) 0);
        } else {
            for (long i = 0; i < size; i++) data.setAtIndex(F32, i, v);
        }
    }

    /** A view of {@code count} consecutive sub-tensors along dimension 0, starting at {@code first}. */
    public Tensor slice(int first, int count) {
        long inner = size / shape[0];
        int[] s = shape.clone();
        s[0] = count;
        if (mirror != null) return new Tensor(mirror, offset + first * inner * Float.BYTES, s);
        return new Tensor(data.asSlice(first * inner * Float.BYTES, count * inner * Float.BYTES), s);
    }

    /** A view of {@code shape} starting {@code offset} elements into this tensor's memory. */
    public Tensor region(long offset, int... shape) {
        long n = HostTensor.numel(shape);
        if (offset < 0 || offset + n > size) {
            throw new IllegalArgumentException("region " + Arrays.toString(shape) + " at " + offset + " outside " + Arrays.toString(this.shape));
        }
        if (mirror != null) return new Tensor(mirror, this.offset + offset * Float.BYTES, shape);
        return new Tensor(data.asSlice(offset * Float.BYTES, n * Float.BYTES), shape);
    }

    /** The same memory seen with another shape of equal size. */
    public Tensor view(int... newShape) {
        if (HostTensor.numel(newShape) != size) {
            throw new IllegalArgumentException("cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        }
        if (mirror != null) return new Tensor(mirror, offset, newShape);
        return new Tensor(data, newShape);
    }

    /**
     * Copies host values in. On a device this is the explicit host-to-device copy (a batch's data
     * going up): the upload is enqueued at once, in program order, not when a kernel first reads.
     */
    public void copyFrom(float[] src) {
        if (src.length != size) throw new IllegalArgumentException("copy of " + src.length + " values into " + Arrays.toString(shape));
        MemorySegment.copy(src, 0, hostForOverwrite(), F32, 0, src.length);
        if (mirror != null) mirror.deviceRead();
    }

    /** The value of element i, asked for in element order. */
    @FunctionalInterface
    public interface ElementValue {
        float at(long i);
    }

    /**
     * Sets every element to values.at(i), for i = 0, 1, ... in order, written straight into host
     * memory (on a device, its host copy, then the one upload of {@link #copyFrom(float[])}): no
     * array of the tensor's size on the way.
     */
    public void setInOrder(ElementValue values) {
        MemorySegment d = hostForOverwrite();
        for (long i = 0; i < size; i++) d.setAtIndex(F32, i, values.at(i));
        if (mirror != null) mirror.deviceRead();
    }

    /** Host memory to overwrite this tensor's values in (on a device, its host copy, uploaded by the caller's deviceRead). */
    private MemorySegment hostForOverwrite() {
        if (mirror == null) return data;
        MemorySegment whole = mirror.hostOverwrite(offset, size * Float.BYTES);
        if (data == null) data = whole.asSlice(offset, size * Float.BYTES);
        return data;
    }

    public void copyFrom(Tensor src) {
        if (src.size != size) throw new IllegalArgumentException("copy of " + Arrays.toString(src.shape) + " into " + Arrays.toString(shape));
        if (mirror != null && src.mirror != null && mirror.memory() == src.mirror.memory()) {
            long from = src.mirror.deviceRead() + src.offset;
            mirror.memory().copy(from, mirror.deviceWrite() + offset, size * Float.BYTES);
            return;
        }
        MemorySegment s = src.mirror == null ? src.data : src.hostRead();
        MemorySegment.copy(s, 0, segment(), 0, size * Float.BYTES);
    }

    public float[] toArray() {
        return (mirror == null ? data : hostRead()).toArray(F32);
    }

    public HostTensor toHost() {
        return new HostTensor(shape.clone(), toArray());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
