package org.mrine.serve;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The bytes of one Redis stream field as channel values: little-endian binary arrays of a numpy
 * dtype (what a BRAND node writes with {@code ndarray.tobytes()}), or text (decimals separated
 * by spaces or commas, what {@code redis-cli XADD} writes). A field whose length does not match the
 * channel count, or text that is not a number, is rejected: decode returns false.
 */
public enum SampleCodec {
    FLOAT32(4), FLOAT64(8), INT8(1), UINT8(1), INT16(2), INT32(4), INT64(8), TEXT(0);

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Bytes per value (0 for text). */
    public final int size;

    SampleCodec(int size) {
        this.size = size;
    }

    /** The codec named by a numpy-style dtype, or null. */
    public static SampleCodec of(String dtype) {
        for (SampleCodec c : values()) if (c.name().equalsIgnoreCase(dtype)) return c;
        return null;
    }

    /** Decodes exactly out.length values from b into out; false (out partly written) when b does not hold that many. */
    public boolean decode(byte[] b, float[] out) {
        if (this == TEXT) return decodeText(b, out);
        if (b.length != out.length * size) return false;
        MemorySegment s = MemorySegment.ofArray(b);
        for (int c = 0; c < out.length; c++) {
            long o = (long) c * size;
            out[c] = switch (this) {
                case FLOAT32 -> s.get(F32, o);
                case FLOAT64 -> (float) s.get(F64, o);
                case INT8 -> b[c];
                case UINT8 -> b[c] & 0xff;
                case INT16 -> s.get(I16, o);
                case INT32 -> s.get(I32, o);
                case INT64 -> s.get(I64, o);
                case TEXT -> throw new AssertionError();
            };
        }
        return true;
    }

    /** A time stamp field: 8 bytes of float64, or text; NaN when it is neither. */
    public static double decodeTimestamp(byte[] b) {
        if (b.length == 8) {
            double v = MemorySegment.ofArray(b).get(F64, 0);
            if (Double.isFinite(v)) return v;
        }
        try {
            return Double.parseDouble(new String(b, java.nio.charset.StandardCharsets.US_ASCII).trim());
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Parses decimals separated by spaces or commas (no allocation for plain decimals up to 18 digits). */
    private static boolean decodeText(byte[] b, float[] out) {
        int i = 0, n = b.length, c = 0;
        while (true) {
            while (i < n && (b[i] == ' ' || b[i] == ',' || b[i] == '\t')) i++;
            if (i == n) return c == out.length;
            if (c == out.length) return false;
            int start = i;
            while (i < n && b[i] != ' ' && b[i] != ',' && b[i] != '\t') i++;
            float v = parseFloat(b, start, i);
            if (Float.isNaN(v) && !isNanToken(b, start, i)) return false;
            out[c++] = v;
        }
    }

    private static boolean isNanToken(byte[] b, int from, int to) {
        return to - from == 3 && (b[from] | 0x20) == 'n' && (b[from + 1] | 0x20) == 'a' && (b[from + 2] | 0x20) == 'n';
    }

    /** A decimal token as float (exactly as Float.parseFloat); NaN when it is not a number. */
    private static float parseFloat(byte[] b, int from, int to) {
        // fast path: [-]digits[.digits] with at most 18 digits, exactly representable as long / 10^k,
        // is parsed by Float.parseFloat's rules only through the JDK: fall back to it for anything
        // else. The fast path covers integers (spike counts), exact in float up to 2^24.
        int i = from;
        boolean neg = false;
        if (i < to && (b[i] == '-' || b[i] == '+')) neg = b[i++] == '-';
        long v = 0;
        int digits = 0;
        while (i < to && b[i] >= '0' && b[i] <= '9' && digits < 18) {
            v = v * 10 + (b[i++] - '0');
            digits++;
        }
        if (i == to && digits > 0 && v < (1L << 24)) return neg ? -(float) v : (float) v;
        try {
            return Float.parseFloat(new String(b, from, to - from, java.nio.charset.StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return Float.NaN;
        }
    }

    /** Little-endian float32 bytes of values (what a publisher XADDs). */
    public static byte[] float32(float[] values) {
        byte[] b = new byte[values.length * 4];
        MemorySegment s = MemorySegment.ofArray(b);
        for (int c = 0; c < values.length; c++) s.set(F32, 4L * c, values[c]);
        return b;
    }

    /** Writes values as little-endian float32 into b at offset (b preallocated by the caller). */
    public static void putFloat32(byte[] b, int offset, float[] values, int from, int count) {
        MemorySegment s = MemorySegment.ofArray(b);
        for (int c = 0; c < count; c++) s.set(F32, offset + 4L * c, values[from + c]);
    }

    /** Little-endian float64 bytes of v. */
    public static byte[] float64(double v) {
        byte[] b = new byte[8];
        MemorySegment.ofArray(b).set(F64, 0, v);
        return b;
    }

    public static void putFloat64(byte[] b, int offset, double v) {
        MemorySegment.ofArray(b).set(F64, offset, v);
    }

    public static void putInt64(byte[] b, int offset, long v) {
        MemorySegment.ofArray(b).set(I64, offset, v);
    }

    public static float getFloat32(byte[] b, int offset) {
        return MemorySegment.ofArray(b).get(F32, offset);
    }

    public static double getFloat64(byte[] b, int offset) {
        return MemorySegment.ofArray(b).get(F64, offset);
    }

    public static long getInt64(byte[] b, int offset) {
        return MemorySegment.ofArray(b).get(I64, offset);
    }
}
