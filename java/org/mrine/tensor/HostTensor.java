package org.mrine.tensor;

import java.util.Arrays;

/**
 * A float32 tensor on the Java heap, row-major: what files are read into and written from.
 * Engine tensors live off-heap ({@link Tensor}); this is only the exchange format at the edges.
 */
public record HostTensor(int[] shape, float[] data) {

    public HostTensor {
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                    + " values but data has " + data.length);
        }
    }

    public static HostTensor zeros(int... shape) {
        return new HostTensor(shape.clone(), new float[Math.toIntExact(numel(shape))]);
    }

    public static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            n *= d;
        }
        return n;
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int i) {
        return shape[i];
    }

    public String shapeString() {
        return Arrays.toString(shape);
    }
}
