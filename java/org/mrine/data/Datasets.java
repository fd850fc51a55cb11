package org.mrine.data;

import java.nio.file.Path;

/**
 * Opens any file the engine can train on: a mrine dataset (.safetensors), or a recording
 * (.nwb, .npz, .mat, .csv) imported on the fly with {@link ImportOptions}' defaults: 10 ms bins
 * (a binned file: its own row spacing), trials from the file's trials table or consecutive
 * windows, the format's default variables. {@code mrine import} makes the same with every choice
 * open, once, into a .safetensors file.
 */
public final class Datasets {
    private Datasets() {
    }

    public static Dataset open(Path file) {
        return open(file, new ImportOptions());
    }

    public static Dataset open(Path file, ImportOptions options) {
        Importer.Format f = Importer.Format.of(file);
        if (f == Importer.Format.SAFETENSORS) return Dataset.load(file);
        return Importer.importFile(file, f, options).dataset();
    }
}
