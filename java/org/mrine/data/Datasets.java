package org.mrine.data;

import java.nio.file.Path;

/** Opens any file the engine can train on: a mrine dataset (.safetensors); importers add formats here. */
public final class Datasets {
    private Datasets() {
    }

    public static Dataset open(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".safetensors")) return Dataset.load(file);
        throw new IllegalArgumentException(file + ": unknown dataset format (expected .safetensors)");
    }
}
