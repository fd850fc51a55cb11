package org.mrine.data;

import java.nio.file.Path;
import java.util.Locale;

/** Recordings in any supported format to a {@link Dataset}: the format from the file name, then read and align. */
public final class Importer {
    private Importer() {
    }

    /** The file formats we read. */
    public enum Format {
        NWB, NPZ, MAT, CSV, NPY, SAFETENSORS;

        /** From the extension: .nwb/.h5/.hdf5, .npz, .npy, .mat, .csv/.tsv/.txt, .safetensors. */
        public static Format of(Path file) {
            String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (n.endsWith(".nwb") || n.endsWith(".h5") || n.endsWith(".hdf5")) return NWB;
            if (n.endsWith(".npz")) return NPZ;
            if (n.endsWith(".npy")) return NPY;
            if (n.endsWith(".mat")) return MAT;
            if (n.endsWith(".csv") || n.endsWith(".tsv") || n.endsWith(".txt")) return CSV;
            if (n.endsWith(".safetensors")) return SAFETENSORS;
            throw new IllegalArgumentException(file + ": unknown file type; expected .nwb, .npz, .mat, .csv or .safetensors");
        }
    }

    /** Reads a recording (not yet binned). */
    public static Recording read(Path file, Format format, ImportOptions o) {
        return switch (format) {
            case NWB -> NwbReader.read(file, o);
            case NPZ -> {
                try (VariableSource src = NpzReader.open(file)) {
                    yield MatrixImport.read(src, o);
                }
            }
            case MAT -> {
                try (VariableSource src = MatReader.open(file)) {
                    yield MatrixImport.read(src, o);
                }
            }
            case CSV -> {
                try (VariableSource src = CsvReader.open(file)) {
                    yield MatrixImport.read(src, o);
                }
            }
            case NPY -> throw new IllegalArgumentException(file + ": a single .npy array is not a recording; save spikes and behavior "
                    + "together with numpy.savez and import the .npz");
            case SAFETENSORS -> throw new IllegalArgumentException(file + ": already a dataset; nothing to import");
        };
    }

    /** Reads and aligns: the dataset and notes on how it was made. */
    public static Alignment.Result importFile(Path file, Format format, ImportOptions o) {
        return Alignment.align(read(file, format, o), o);
    }
}
