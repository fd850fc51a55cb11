package org.mrine.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.Array;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;
import us.hebi.matlab.mat.types.Struct;

/**
 * MATLAB .mat files: version 5 (up to v7) through MFL, version 7.3 (HDF5) through
 * {@link Mat73Reader}. Variables of scalar structs are named {@code s.field}. Matrices are returned
 * row-major with MATLAB's dimensions (a 35129×52 variable has shape [35129, 52]).
 */
public final class MatReader implements VariableSource {
    private final String file;
    private final Map<String, Array> vars = new LinkedHashMap<>();

    private MatReader(String file) {
        this.file = file;
    }

    /** Opens a .mat file of any supported version. */
    public static VariableSource open(Path path) {
        String where = path.toString();
        byte[] head;
        try (InputStream in = Files.newInputStream(path)) {
            head = in.readNBytes(128);
        } catch (NoSuchFileException e) {
            throw new UncheckedIOException(where + ": no such file", e);
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": cannot read: " + e.getMessage(), e);
        }
        String text = new String(head, 0, Math.min(head.length, 116), StandardCharsets.ISO_8859_1);
        if (text.startsWith("MATLAB 7.3 MAT-file") || Hdf5.hasSignature(path)) return Mat73Reader.open(path);
        if (!text.startsWith("MATLAB 5.0 MAT-file") && !text.startsWith("MATLAB")) {
            throw new FormatException(where + ": not a MATLAB v5/v7/v7.3 file (the header does not start with 'MATLAB'; v4 files are not supported)");
        }
        if (head.length < 128) throw new FormatException(where + ": " + head.length + " bytes, shorter than the 128-byte MATLAB header (truncated?)");
        MatReader r = new MatReader(where);
        MatFile mat;
        try {
            mat = Mat5.readFromFile(path.toFile());
        } catch (IOException | RuntimeException e) {
            throw new FormatException(where + ": cannot read the MATLAB v5 file (truncated or corrupt?): " + e, e);
        }
        for (MatFile.Entry e : mat.getEntries()) r.add(e.getName(), e.getValue());
        return r;
    }

    private void add(String name, Array a) {
        if (a instanceof Struct s && s.getNumElements() == 1) {
            for (String f : s.getFieldNames()) add(name + "." + f, s.get(f));
        } else {
            vars.put(name, a);
        }
    }

    @Override
    public String file() {
        return file;
    }

    @Override
    public String format() {
        return "mat v5";
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(vars.keySet());
    }

    @Override
    public NumericArray read(String name) {
        Array a = vars.get(name);
        if (a == null) throw new FormatException(file + ": no variable '" + name + "' (the file holds " + names() + ")");
        if (!(a instanceof Matrix m)) {
            throw new FormatException(file + ": variable " + name + " is a " + a.getType() + " " + dims(a.getDimensions())
                    + ", expected a numeric matrix");
        }
        try {
            if (m.isComplex()) throw new FormatException(file + ": variable " + name + " is complex, expected a real numeric matrix");
            int[] shape = m.getDimensions().clone();
            long numel = 1;
            for (int d : shape) numel *= d;
            int n = m.getNumElements();
            if (numel != n || n < 0) {
                throw new FormatException(file + ": variable " + name + " has dimensions " + dims(shape) + " but " + n
                        + " elements (corrupt file?)");
            }
            double[] colMajor = new double[n];
            for (int i = 0; i < n; i++) colMajor[i] = m.getDouble(i);
            return new NumericArray(name, m.isLogical() ? "logical" : m.getType().toString(), shape, NpyReader.fortranToC(colMajor, shape));
        } catch (FormatException e) {
            throw e;
        } catch (RuntimeException e) { // MFL reads some parts lazily
            throw new FormatException(file + ": variable " + name + ": cannot read (truncated or corrupt file?): " + e, e);
        }
    }

    @Override
    public String summary(String name) {
        Array a = vars.get(name);
        if (a == null) return "missing";
        String type = a instanceof Matrix m && m.isLogical() ? "logical" : String.valueOf(a.getType());
        return dims(a.getDimensions()) + " " + type;
    }

    static String dims(int[] d) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < d.length; i++) sb.append(i == 0 ? "" : "×").append(d[i]);
        return sb.toString();
    }

    @Override
    public void close() {
        vars.clear();
    }
}
