package org.mrine.data;

import java.util.Arrays;

/**
 * A named numeric array read from a file (.npy, a .mat variable, a CSV column), as doubles in
 * row-major order whatever the file's layout.
 *
 * @param dtype the file's element type in its own words ("<f4", "uint8", "double", ...)
 */
public record NumericArray(String name, String dtype, int[] shape, double[] data) {

    public NumericArray {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != data.length) {
            throw new IllegalArgumentException(name + ": shape " + Arrays.toString(shape) + " holds " + n + " values, data has " + data.length);
        }
    }

    public int rank() {
        return shape.length;
    }

    /** "35129×52", "[]" for a scalar. */
    public String shapeText() {
        if (shape.length == 0) return "scalar";
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : "×").append(shape[i]);
        return sb.toString();
    }

    /** Rows with a NaN anywhere, counting along axis 0 of a matrix (or elements of a vector). */
    public int nanRows() {
        if (shape.length == 0) return Double.isNaN(data[0]) ? 1 : 0;
        int rows = shape[0], per = rows == 0 ? 0 : data.length / rows, n = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < per; c++) {
                if (Double.isNaN(data[r * per + c])) {
                    n++;
                    break;
                }
            }
        }
        return n;
    }
}
