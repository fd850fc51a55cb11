package org.mrine.data;

import io.jhdf.HdfFile;
import io.jhdf.Superblock;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Link;
import io.jhdf.api.Node;
import io.jhdf.object.datatype.DataType;
import io.jhdf.object.datatype.FixedPoint;
import io.jhdf.object.datatype.FloatingPoint;
import io.jhdf.object.datatype.Reference;
import io.jhdf.object.datatype.StringData;
import io.jhdf.object.datatype.VariableLength;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Array;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.mrine.io.FormatException;

/**
 * An HDF5 file read through jhdf, with every failure of the library turned into a
 * {@link FormatException} naming the file and the path, and typed reads that check the element
 * type (numbers, strings) before converting. Object references come back from jhdf as addresses:
 * {@link #pathOf} maps them to paths through a map of the whole file, built once on first use.
 */
final class Hdf5 implements AutoCloseable {
    /** The HDF5 signature; MATLAB v7.3 files put it after a 512-byte header (a user block). */
    static final byte[] SIGNATURE = {(byte) 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};

    final String file;
    private final HdfFile hdf;
    private Map<Long, String> addresses;

    private Hdf5(String file, HdfFile hdf) {
        this.file = file;
        this.hdf = hdf;
    }

    static Hdf5 open(Path path) {
        String where = path.toString();
        long at = signatureOffset(path);
        if (at < 0) throw new FormatException(where + ": not an HDF5 file (no HDF5 signature at byte 0, 512, 1024, ...)");
        checkLength(path, at);
        try {
            return new Hdf5(where, new HdfFile(path));
        } catch (RuntimeException e) {
            throw new FormatException(where + ": cannot read the HDF5 file (truncated or corrupt?): " + describe(e), e);
        }
    }

    /** Whether the HDF5 signature is at offset 0 or a power of two from 512 on (where a user block ends). */
    static boolean hasSignature(Path path) {
        return signatureOffset(path) >= 0;
    }

    /** Where the HDF5 signature (and the superblock) starts, or -1 when it is nowhere it may be. */
    static long signatureOffset(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(8);
            if (Arrays.equals(head, SIGNATURE)) return 0;
            long pos = 8;
            for (long at = 512; at <= 8192; at *= 2) {
                in.skipNBytes(at - pos);
                byte[] b = in.readNBytes(8);
                if (b.length < 8) return -1;
                if (Arrays.equals(b, SIGNATURE)) return at;
                pos = at + 8;
            }
            return -1;
        } catch (java.io.EOFException e) {
            return -1;
        } catch (NoSuchFileException e) {
            throw new java.io.UncheckedIOException(path + ": no such file", e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /**
     * The cheap integrity check: the superblock records where the file ends (its end-of-file
     * address, relative to the base address); a file shorter than that lost its tail (an interrupted
     * copy or download), even when everything jhdf reads first is still there.
     */
    private static void checkLength(Path path, long superblockAt) {
        String where = path.toString();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Superblock sb;
            try {
                sb = Superblock.readSuperblock(ch, superblockAt);
            } catch (RuntimeException e) {
                throw new FormatException(where + ": the HDF5 superblock at byte " + superblockAt + " cannot be read (truncated or corrupt file?): "
                        + describe(e), e);
            }
            long end = sb.getEndOfFileAddress(), size = ch.size();
            if (end < 0) return; // "undefined address": nothing recorded to check against
            // The address is relative to the base address by the specification, but writers that put a
            // user block first (MATLAB v7.3, h5py) store it from byte 0; compared alone it is never
            // more than the true end, so a file shorter than it is surely truncated.
            if (end > size) {
                throw new FormatException(where + ": truncated: the HDF5 superblock says the file ends at byte " + end + ", but it has "
                        + size + " bytes (" + (end - size) + " missing); copy or download it again");
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(where + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Runs a jhdf call; its failures become a FormatException naming the file and {@code path}. */
    <T> T call(String path, Supplier<T> body) {
        try {
            return body.get();
        } catch (FormatException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new FormatException(file + ": " + path + ": cannot read (truncated or corrupt file?): " + describe(e), e);
        }
    }

    private static String describe(RuntimeException e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    public void close() {
        try {
            hdf.close();
        } catch (RuntimeException ignored) {
            // Closing a half-read corrupt file: nothing more to report than what was thrown already.
        }
    }

    // ------------------------------------------------------------------ navigation

    Group root() {
        return hdf;
    }

    /** The node at {@code path} with links followed, or null when there is none. */
    Node find(String path) {
        return call(path, () -> {
            String p = path.startsWith("/") ? path.substring(1) : path;
            if (p.isEmpty()) return hdf;
            Node n = hdf;
            for (String part : p.split("/")) {
                if (part.isEmpty()) continue;
                if (!(n instanceof Group g)) return null;
                n = resolve(g.getChildren().get(part));
                if (n == null) return null;
            }
            return n;
        });
    }

    /** A group, or a FormatException "missing group" saying what was expected there. */
    Group group(String path, String expected) {
        Node n = find(path);
        if (n == null) throw new FormatException(file + ": " + path + ": no such group; expected " + expected);
        if (!(n instanceof Group g)) throw new FormatException(file + ": " + path + " is a dataset, expected a group: " + expected);
        return g;
    }

    /** A child dataset, or a FormatException saying what was expected. */
    Dataset dataset(Group g, String child, String expected) {
        Node n = call(g.getPath(), () -> resolve(g.getChildren().get(child)));
        String path = join(g.getPath(), child);
        if (n == null) throw new FormatException(file + ": " + path + ": missing; expected " + expected);
        if (!(n instanceof Dataset d)) throw new FormatException(file + ": " + path + " is a group, expected a dataset: " + expected);
        return d;
    }

    /** A child dataset or null. */
    Dataset datasetOrNull(Group g, String child) {
        Node n = call(g.getPath(), () -> resolve(g.getChildren().get(child)));
        return n instanceof Dataset d ? d : null;
    }

    private Node resolve(Node n) {
        for (int hops = 0; n instanceof Link link && hops < 16; hops++) {
            if (link.isBrokenLink()) {
                throw new FormatException(file + ": " + link.getPath() + ": link to " + link.getTargetPath() + " is broken");
            }
            n = link.getTarget();
        }
        return n;
    }

    static String join(String group, String child) {
        String g = group.endsWith("/") ? group.substring(0, group.length() - 1) : group;
        return (g.startsWith("/") ? g : "/" + g) + "/" + child;
    }

    static String path(Node n) {
        String p = n.getPath();
        if (p.length() > 1 && p.endsWith("/")) p = p.substring(0, p.length() - 1);
        return p.startsWith("/") ? p : "/" + p;
    }

    /** The path of the object at an address (from an object reference); "@address" if it is not in the file. */
    String pathOf(long address) {
        if (addresses == null) {
            Map<Long, String> m = new HashMap<>();
            call("/", () -> {
                walk(hdf, m, 0);
                return null;
            });
            addresses = m;
        }
        return addresses.getOrDefault(address, "@" + address);
    }

    private static void walk(Group g, Map<Long, String> m, int depth) {
        m.putIfAbsent(g.getAddress(), path(g));
        if (depth > 64) return;
        for (Node child : g.getChildren().values()) {
            if (child.isLink()) continue;
            m.putIfAbsent(child.getAddress(), path(child));
            if (child instanceof Group cg) walk(cg, m, depth + 1);
        }
    }

    // ------------------------------------------------------------------ typed reads

    int[] dims(Dataset d) {
        return call(path(d), d::getDimensions);
    }

    /** Element type in words, for messages and inspect. */
    String typeName(Dataset d) {
        return call(path(d), () -> typeName(d.getDataType()));
    }

    static String typeName(DataType t) {
        if (t instanceof FloatingPoint) return "float" + t.getSize() * 8;
        if (t instanceof FixedPoint f) return (f.isSigned() ? "int" : "uint") + t.getSize() * 8;
        if (t instanceof VariableLength v) return v.isVariableLengthString() ? "variable-length strings" : "variable-length sequences";
        if (t instanceof StringData) return "fixed-length strings";
        if (t instanceof Reference) return "object references";
        return t.getClass().getSimpleName();
    }

    boolean isNumeric(Dataset d) {
        return call(path(d), () -> {
            DataType t = d.getDataType();
            return t instanceof FloatingPoint || t instanceof FixedPoint;
        });
    }

    private void requireNumeric(Dataset d, String expected) {
        if (!isNumeric(d)) {
            throw new FormatException(file + ": " + path(d) + ": holds " + typeName(d) + ", expected " + expected);
        }
    }

    /** All elements as doubles, row-major, after checking they are numbers. */
    double[] doubles(Dataset d, String expected) {
        requireNumeric(d, expected);
        Object flat = call(path(d), d::getDataFlat);
        return toDoubles(flat, file + ": " + path(d));
    }

    /** All elements as floats, row-major, after checking they are numbers. */
    float[] floats(Dataset d, String expected) {
        requireNumeric(d, expected);
        Object flat = call(path(d), d::getDataFlat);
        if (flat instanceof float[] f) return f;
        double[] v = toDoubles(flat, file + ": " + path(d));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (float) v[i];
        return out;
    }

    /** A scalar (or one-element) numeric dataset. */
    double scalar(Dataset d, String expected) {
        double[] v = doubles(d, expected);
        if (v.length != 1) throw new FormatException(file + ": " + path(d) + ": holds " + v.length + " values, expected one: " + expected);
        return v[0];
    }

    /** Strings of a string dataset (other types: their text). */
    String[] strings(Dataset d) {
        Object flat = call(path(d), d::getDataFlat);
        if (!flat.getClass().isArray()) return new String[] {String.valueOf(flat)};
        String[] out = new String[Array.getLength(flat)];
        for (int i = 0; i < out.length; i++) out[i] = String.valueOf(Array.get(flat, i));
        return out;
    }

    /** Object references of a reference dataset, as paths. */
    String[] referencePaths(Dataset d) {
        Object flat = call(path(d), d::getDataFlat);
        if (!(flat instanceof long[] a)) return strings(d);
        String[] out = new String[a.length];
        for (int i = 0; i < a.length; i++) out[i] = pathOf(a[i]);
        return out;
    }

    static double[] toDoubles(Object flat, String where) {
        if (flat instanceof double[] a) return a;
        if (flat == null) throw new FormatException(where + ": no data");
        if (!flat.getClass().isArray()) {
            if (flat instanceof Number n) return new double[] {n.doubleValue()};
            throw new FormatException(where + ": holds " + flat.getClass().getSimpleName() + ", expected numbers");
        }
        int n = Array.getLength(flat);
        double[] out = new double[n];
        switch (flat) {
            case float[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case long[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case int[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case short[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case byte[] a -> { for (int i = 0; i < n; i++) out[i] = a[i]; }
            case boolean[] a -> { for (int i = 0; i < n; i++) out[i] = a[i] ? 1 : 0; }
            case Object[] a -> {
                for (int i = 0; i < n; i++) {
                    if (!(a[i] instanceof Number num)) {
                        throw new FormatException(where + ": element " + i + " is " + a[i] + ", expected a number");
                    }
                    out[i] = num.doubleValue();
                }
            }
            default -> throw new FormatException(where + ": holds " + flat.getClass().getSimpleName() + ", expected numbers");
        }
        return out;
    }

    // ------------------------------------------------------------------ attributes

    Object attr(Node n, String name) {
        return call(path(n), () -> {
            Attribute a = n.getAttribute(name);
            return a == null ? null : a.getData();
        });
    }

    String attrString(Node n, String name) {
        Object v = attr(n, name);
        if (v == null) return null;
        if (v instanceof byte[] b) return new String(b, java.nio.charset.StandardCharsets.UTF_8).trim();
        if (v.getClass().isArray()) return Array.getLength(v) == 1 ? String.valueOf(Array.get(v, 0)) : null;
        return String.valueOf(v);
    }

    String[] attrStrings(Node n, String name) {
        Object v = attr(n, name);
        if (v == null) return new String[0];
        if (!v.getClass().isArray()) return new String[] {String.valueOf(v)};
        String[] out = new String[Array.getLength(v)];
        for (int i = 0; i < out.length; i++) out[i] = String.valueOf(Array.get(v, i));
        return out;
    }

    /** A numeric attribute; null when absent, FormatException when not a number. */
    Double attrNumber(Node n, String name) {
        Object v = attr(n, name);
        if (v == null) return null;
        if (v instanceof Number num) return num.doubleValue();
        if (v.getClass().isArray() && Array.getLength(v) == 1 && Array.get(v, 0) instanceof Number num) return num.doubleValue();
        throw new FormatException(file + ": " + path(n) + ": attribute " + name + " is " + v + ", expected a number");
    }
}
