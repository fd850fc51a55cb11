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
 */
public final class Tensor {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final MemorySegment data;
    private final int[] shape;
    private final long size;

    Tensor(MemorySegment data, int[] shape) {
        this.data = data;
        this.shape = shape.clone();
        this.size = HostTensor.numel(shape);
        if (data.byteSize() != size * Float.BYTES) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes for shape " + Arrays.toString(shape));
        }
    }

    public MemorySegment segment() {
        return data;
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
        return data.getAtIndex(F32, i);
    }

    public void set(long i, float v) {
        data.setAtIndex(F32, i, v);
    }

    public void add(long i, float v) {
        data.setAtIndex(F32, i, data.getAtIndex(F32, i) + v);
    }

    public void fill(float v) {
        if (v == 0f) {
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
        return new Tensor(data.asSlice(first * inner * Float.BYTES, count * inner * Float.BYTES), s);
    }

    /** A view of {@code shape} starting {@code offset} elements into this tensor's memory. */
    public Tensor region(long offset, int... shape) {
        long n = HostTensor.numel(shape);
        if (offset < 0 || offset + n > size) {
            throw new IllegalArgumentException("region " + Arrays.toString(shape) + " at " + offset + " outside " + Arrays.toString(this.shape));
        }
        return new Tensor(data.asSlice(offset * Float.BYTES, n * Float.BYTES), shape);
    }

    /** The same memory seen with another shape of equal size. */
    public Tensor view(int... newShape) {
        if (HostTensor.numel(newShape) != size) {
            throw new IllegalArgumentException("cannot view " + Arrays.toString(shape) + " as " + Arrays.toString(newShape));
        }
        return new Tensor(data, newShape);
    }

    public void copyFrom(float[] src) {
        if (src.length != size) throw new IllegalArgumentException("copy of " + src.length + " values into " + Arrays.toString(shape));
        MemorySegment.copy(src, 0, data, F32, 0, src.length);
    }

    public void copyFrom(Tensor src) {
        if (src.size != size) throw new IllegalArgumentException("copy of " + Arrays.toString(src.shape) + " into " + Arrays.toString(shape));
        MemorySegment.copy(src.data, 0, data, 0, size * Float.BYTES);
    }

    public float[] toArray() {
        return data.toArray(F32);
    }

    public HostTensor toHost() {
        return new HostTensor(shape.clone(), toArray());
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
