package org.mrine.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mrine.io.FormatException;

/**
 * Reader of NumPy's .npy format (versions 1, 2 and 3):
 *
 * <pre>
 *   "\x93NUMPY" major minor
 *   header length: u16 LE (version 1) or u32 LE (versions 2, 3)
 *   header: a Python dict literal {'descr': '&lt;f8', 'fortran_order': False, 'shape': (3, 4), }
 *   data: the elements, C order (or Fortran order when fortran_order is True)
 * </pre>
 *
 * Element types: float16/32/64, int8..64, uint8..64, bool, either byte order. Every defect is a
 * {@link FormatException} naming the file (and NPZ entry), the field and what was expected; the
 * reader never allocates more than the input holds.
 */
public final class NpyReader {
    private NpyReader() {
    }

    /** Largest header accepted (numpy's own limit is 10000 bytes by default). */
    static final int MAX_HEADER_BYTES = 1 << 20;
    /** Largest data section: what one Java byte array can hold. */
    static final long MAX_DATA_BYTES = Integer.MAX_VALUE - 8;

    public static NumericArray read(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".npy")) name = name.substring(0, name.length() - 4);
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, name, file.toString());
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(file + ": no such file", e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Reads one array from {@code in}; {@code where} names the file (and entry) in messages. */
    public static NumericArray read(InputStream in, String name, String where) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8) throw new FormatException(where + ": " + magic.length + " bytes, too short for an .npy header (truncated?)");
        byte[] expect = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
        for (int i = 0; i < 6; i++) {
            if (magic[i] != expect[i]) throw new FormatException(where + ": not an .npy array (the magic string \\x93NUMPY is missing)");
        }
        int major = magic[6] & 0xff;
        if (major < 1 || major > 3) throw new FormatException(where + ": .npy format version " + major + "." + (magic[7] & 0xff) + ", expected 1.0, 2.0 or 3.0");
        byte[] len = in.readNBytes(major == 1 ? 2 : 4);
        if (len.length < (major == 1 ? 2 : 4)) throw new FormatException(where + ": file ends inside the header length (truncated?)");
        long headerLen = major == 1 ? ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getShort() & 0xffff
                : ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (headerLen > MAX_HEADER_BYTES) throw new FormatException(where + ": header length " + headerLen + " bytes, more than the " + MAX_HEADER_BYTES + " accepted");
        byte[] hb = in.readNBytes((int) headerLen);
        if (hb.length < headerLen) throw new FormatException(where + ": file ends inside the " + headerLen + "-byte header (truncated?)");
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Header h = Header.parse(header, where);

        long numel = 1;
        for (int d : h.shape) {
            numel *= d;
            if (numel * h.type.size > MAX_DATA_BYTES) {
                throw new FormatException(where + ": shape " + h.shapeText() + " of " + h.descr + " is larger than the "
                        + MAX_DATA_BYTES + " bytes one array may hold");
            }
        }
        int need = (int) (numel * h.type.size);
        byte[] data = readUpTo(in, need);
        if (data.length < need) {
            throw new FormatException(where + ": data holds " + data.length + " bytes but shape " + h.shapeText() + " of "
                    + h.descr + " needs " + need + " (truncated?)");
        }
        double[] values = convert(data, (int) numel, h, where);
        if (h.fortran && h.shape.length > 1) values = fortranToC(values, h.shape);
        return new NumericArray(name, h.descr, h.shape, values);
    }

    /** At most {@code n} bytes, grown as they arrive (a header that lies cannot make us allocate). */
    private static byte[] readUpTo(InputStream in, int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(n, 1 << 16));
        byte[] buf = new byte[1 << 16];
        while (out.size() < n) {
            int r = in.read(buf, 0, Math.min(buf.length, n - out.size()));
            if (r < 0) break;
            out.write(buf, 0, r);
        }
        return out.toByteArray();
    }

    /** The element types we read. */
    enum Type {
        F2(2), F4(4), F8(8), I1(1), I2(2), I4(4), I8(8), U1(1), U2(2), U4(4), U8(8), B1(1);

        final int size;

        Type(int size) {
            this.size = size;
        }
    }

    /** The parsed header dictionary. */
    record Header(String descr, Type type, ByteOrder order, boolean fortran, int[] shape) {

        String shapeText() {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < shape.length; i++) sb.append(i == 0 ? "" : ", ").append(shape[i]);
            return sb.append(shape.length == 1 ? ",)" : ")").toString();
        }

        static Header parse(String text, String where) {
            String t = text.strip();
            if (!t.startsWith("{") || !t.endsWith("}")) {
                throw new FormatException(where + ": header is not a Python dict literal: " + abbreviate(t));
            }
            String descr = null;
            Boolean fortran = null;
            int[] shape = null;
            DictScanner s = new DictScanner(t, where);
            s.expect('{');
            while (!s.peek('}')) {
                String key = s.string();
                s.expect(':');
                switch (key) {
                    case "descr" -> {
                        if (s.peek('[')) throw new FormatException(where + ": structured dtype " + abbreviate(s.rest())
                                + " is not supported; expected one numeric type such as '<f4'");
                        descr = s.string();
                    }
                    case "fortran_order" -> fortran = s.bool();
                    case "shape" -> shape = s.tuple();
                    default -> throw new FormatException(where + ": unexpected header key '" + key + "'; expected descr, fortran_order, shape");
                }
                if (!s.peek('}')) s.expect(',');
            }
            if (descr == null || fortran == null || shape == null) {
                throw new FormatException(where + ": header " + abbreviate(t) + " lacks " + (descr == null ? "descr" : fortran == null ? "fortran_order" : "shape"));
            }
            return new Header(descr, type(descr, where), order(descr), fortran, shape);
        }

        private static Type type(String descr, String where) {
            String code = descr.length() == 3 && "<>|=".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
            return switch (code) {
                case "f2", "e" -> Type.F2;
                case "f4", "f" -> Type.F4;
                case "f8", "d" -> Type.F8;
                case "i1", "b" -> Type.I1;
                case "i2", "h" -> Type.I2;
                case "i4", "i" -> Type.I4;
                case "i8", "q", "l" -> Type.I8;
                case "u1", "B" -> Type.U1;
                case "u2", "H" -> Type.U2;
                case "u4", "I" -> Type.U4;
                case "u8", "Q", "L" -> Type.U8;
                case "b1", "?" -> Type.B1;
                default -> throw new FormatException(where + ": dtype '" + descr + "' is not supported; expected float16/32/64, "
                        + "int8..int64, uint8..uint64 or bool");
            };
        }

        private static ByteOrder order(String descr) {
            return descr.startsWith(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    /** Just enough of a Python literal scanner for the .npy header. */
    private static final class DictScanner {
        final String s, where;
        int i;

        DictScanner(String s, String where) {
            this.s = s;
            this.where = where;
        }

        void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        boolean peek(char c) {
            skip();
            return i < s.length() && s.charAt(i) == c;
        }

        String rest() {
            return s.substring(Math.min(i, s.length()));
        }

        void expect(char c) {
            skip();
            if (i >= s.length() || s.charAt(i) != c) {
                throw new FormatException(where + ": header " + abbreviate(s) + ": expected '" + c + "' at character " + i);
            }
            i++;
        }

        String string() {
            skip();
            if (i >= s.length() || (s.charAt(i) != '\'' && s.charAt(i) != '"')) {
                throw new FormatException(where + ": header " + abbreviate(s) + ": expected a quoted string at character " + i);
            }
            char q = s.charAt(i++);
            int end = s.indexOf(q, i);
            if (end < 0) throw new FormatException(where + ": header " + abbreviate(s) + ": unterminated string");
            String v = s.substring(i, end);
            i = end + 1;
            return v;
        }

        boolean bool() {
            skip();
            if (s.startsWith("True", i)) {
                i += 4;
                return true;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return false;
            }
            throw new FormatException(where + ": header " + abbreviate(s) + ": fortran_order must be True or False");
        }

        int[] tuple() {
            expect('(');
            List<Integer> dims = new ArrayList<>();
            while (!peek(')')) {
                skip();
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
                if (start == i) throw new FormatException(where + ": header " + abbreviate(s) + ": shape must be a tuple of non-negative integers");
                String digits = s.substring(start, i);
                if (i < s.length() && s.charAt(i) == 'L') i++; // Python 2 longs
                long d = digits.length() > 10 ? Long.MAX_VALUE : Long.parseLong(digits);
                if (d > Integer.MAX_VALUE) throw new FormatException(where + ": shape dimension " + digits + " is too large");
                dims.add((int) d);
                if (!peek(')')) expect(',');
            }
            expect(')');
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    private static double[] convert(byte[] data, int n, Header h, String where) {
        ByteBuffer b = ByteBuffer.wrap(data).order(h.order);
        double[] out = new double[n];
        switch (h.type) {
            case F2 -> { for (int i = 0; i < n; i++) out[i] = Float.float16ToFloat(b.getShort(i * 2)); }
            case F4 -> { for (int i = 0; i < n; i++) out[i] = b.getFloat(i * 4); }
            case F8 -> { for (int i = 0; i < n; i++) out[i] = b.getDouble(i * 8); }
            case I1 -> { for (int i = 0; i < n; i++) out[i] = data[i]; }
            case I2 -> { for (int i = 0; i < n; i++) out[i] = b.getShort(i * 2); }
            case I4 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4); }
            case I8 -> { for (int i = 0; i < n; i++) out[i] = b.getLong(i * 8); }
            case U1 -> { for (int i = 0; i < n; i++) out[i] = data[i] & 0xff; }
            case U2 -> { for (int i = 0; i < n; i++) out[i] = b.getShort(i * 2) & 0xffff; }
            case U4 -> { for (int i = 0; i < n; i++) out[i] = b.getInt(i * 4) & 0xffffffffL; }
            case U8 -> {
                for (int i = 0; i < n; i++) {
                    long v = b.getLong(i * 8);
                    out[i] = v >= 0 ? v : (double) (v >>> 1) * 2 + (v & 1);
                }
            }
            case B1 -> {
                for (int i = 0; i < n; i++) {
                    if (data[i] != 0 && data[i] != 1) {
                        throw new FormatException(where + ": bool element " + i + " holds the byte " + (data[i] & 0xff) + ", expected 0 or 1");
                    }
                    out[i] = data[i];
                }
            }
        }
        return out;
    }

    /** Column-major (first index fastest) to row-major (last index fastest). */
    static double[] fortranToC(double[] f, int[] shape) {
        int k = shape.length;
        double[] out = new double[f.length];
        int[] idx = new int[k];
        for (int c = 0; c < f.length; c++) { // c walks row-major order
            int fi = 0, stride = 1;
            for (int d = 0; d < k; d++) {
                fi += idx[d] * stride;
                stride *= shape[d];
            }
            out[c] = f[fi];
            for (int d = k - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return out;
    }
}
