package org.mrine.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.mrine.io.FormatException;

/**
 * Reader of NumPy's .npz archives (numpy.savez, stored, and numpy.savez_compressed, deflated):
 * a zip file of .npy arrays, one per name. Arrays are read when asked for.
 */
public final class NpzReader implements VariableSource {
    private final String file;
    private final ZipFile zip;
    private final Map<String, ZipEntry> entries = new LinkedHashMap<>();

    private NpzReader(String file, ZipFile zip) {
        this.file = file;
        this.zip = zip;
    }

    public static NpzReader open(Path path) {
        String where = path.toString();
        if (!Files.exists(path)) throw new UncheckedIOException(new IOException(where + ": no such file"));
        ZipFile zip;
        try {
            zip = new ZipFile(path.toFile());
        } catch (IOException | RuntimeException e) {
            throw new FormatException(where + ": not a readable .npz (zip) archive (truncated or corrupt?): " + e.getMessage(), e);
        }
        NpzReader r = new NpzReader(where, zip);
        try {
            Enumeration<? extends ZipEntry> en = zip.entries();
            while (en.hasMoreElements()) {
                ZipEntry e = en.nextElement();
                if (e.isDirectory()) continue;
                String name = e.getName();
                if (name.endsWith(".npy")) name = name.substring(0, name.length() - 4);
                r.entries.putIfAbsent(name, e);
            }
        } catch (RuntimeException e) {
            r.close();
            throw new FormatException(where + ": corrupt .npz (zip) directory: " + e.getMessage(), e);
        }
        return r;
    }

    /** Every array of the archive, in file order. */
    public static Map<String, NumericArray> readAll(Path path) {
        try (NpzReader r = open(path)) {
            Map<String, NumericArray> out = new LinkedHashMap<>();
            for (String n : r.names()) out.put(n, r.read(n));
            return out;
        }
    }

    @Override
    public String file() {
        return file;
    }

    @Override
    public String format() {
        return "npz";
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    @Override
    public NumericArray read(String name) {
        ZipEntry e = entries.get(name);
        if (e == null) throw new FormatException(file + ": no array '" + name + "' (the archive holds " + names() + ")");
        String where = file + ": " + e.getName();
        try (InputStream in = zip.getInputStream(e)) {
            return NpyReader.read(in, name, where);
        } catch (IOException | RuntimeException ex) {
            if (ex instanceof FormatException fe) throw fe;
            throw new FormatException(where + ": cannot unpack (truncated or corrupt archive?): " + ex.getMessage(), ex);
        }
    }

    @Override
    public String summary(String name) {
        NumericArray a = read(name);
        return a.shapeText() + " " + a.dtype();
    }

    @Override
    public void close() {
        try {
            zip.close();
        } catch (IOException ignored) {
            // read-only: nothing to lose
        }
    }
}
