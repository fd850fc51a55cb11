package org.mrine.data;

import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;

/**
 * MATLAB v7.3 files: HDF5 behind a 512-byte header. Each variable is a dataset (a struct a group
 * with MATLAB_class "struct"); MATLAB writes column-major, so the HDF5 dimensions are MATLAB's
 * reversed and the data, read in C order, is MATLAB's column-major order.
 */
final class Mat73Reader implements VariableSource {
    private final Hdf5 h;
    private final Map<String, Dataset> vars = new LinkedHashMap<>();

    private Mat73Reader(Hdf5 h) {
        this.h = h;
    }

    static Mat73Reader open(Path path) {
        Hdf5 h = Hdf5.open(path);
        Mat73Reader r = new Mat73Reader(h);
        try {
            h.call("/", () -> {
                r.walk(h.root(), "");
                return null;
            });
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return r;
    }

    private void walk(Group g, String prefix) {
        for (Node n : g.getChildren().values()) {
            String name = n.getName();
            if (name.startsWith("#")) continue; // #refs#, #subsystem#: MATLAB's internals
            if (n instanceof Dataset d) vars.put(prefix + name, d);
            else if (n instanceof Group cg) walk(cg, prefix + name + ".");
        }
    }

    @Override
    public String file() {
        return h.file;
    }

    @Override
    public String format() {
        return "mat v7.3";
    }

    @Override
    public List<String> names() {
        return new ArrayList<>(vars.keySet());
    }

    private String matlabClass(Dataset d) {
        String c = h.attrString(d, "MATLAB_class");
        return c == null ? h.typeName(d) : c;
    }

    @Override
    public NumericArray read(String name) {
        Dataset d = vars.get(name);
        if (d == null) throw new FormatException(h.file + ": no variable '" + name + "' (the file holds " + names() + ")");
        String cls = matlabClass(d);
        if (cls.equals("cell") || cls.equals("char") || !h.isNumeric(d)) {
            throw new FormatException(h.file + ": variable " + name + " is a MATLAB " + cls + ", expected a numeric matrix");
        }
        int[] shape = matlabDims(d);
        Double empty = h.attrNumber(d, "MATLAB_empty");
        if (empty != null && empty != 0) return new NumericArray(name, cls, new int[] {0, 0}, new double[0]);
        double[] colMajor = h.doubles(d, "numbers");
        return new NumericArray(name, cls, shape, NpyReader.fortranToC(colMajor, shape));
    }

    private int[] matlabDims(Dataset d) {
        int[] hd = h.dims(d);
        int[] md = new int[Math.max(hd.length, 2)];
        java.util.Arrays.fill(md, 1);
        for (int i = 0; i < hd.length; i++) md[i] = hd[hd.length - 1 - i];
        if (hd.length == 1) { // a 1-D HDF5 dataset is a MATLAB row vector 1×n
            md[0] = 1;
            md[1] = hd[0];
        }
        return md;
    }

    @Override
    public String summary(String name) {
        Dataset d = vars.get(name);
        if (d == null) return "missing";
        return MatReader.dims(matlabDims(d)) + " " + matlabClass(d);
    }

    @Override
    public void close() {
        h.close();
    }
}
