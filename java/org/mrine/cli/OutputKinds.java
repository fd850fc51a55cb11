package org.mrine.cli;

import java.nio.file.Path;
import org.mrine.data.Dataset;
import org.mrine.io.SafeTensors;
import org.mrine.train.Checkpoint;

/**
 * What an existing file is, in the words the output checks use ("exists and is a mrine checkpoint,
 * not a mrine dataset"): read from its safetensors header only, so a large file costs nothing.
 */
final class OutputKinds {
    static final String DATASET = "a mrine dataset";
    static final String CHECKPOINT = "a mrine checkpoint";
    static final String DECODED = "decoded series of mrine stream";
    static final String LOSS = "an output of mrine loss";

    private OutputKinds() {
    }

    static String of(Path file) {
        SafeTensors.Header h;
        try {
            h = SafeTensors.readHeader(file);
        } catch (RuntimeException e) {
            return "not a safetensors file";
        }
        if (h.metadata().containsKey(Dataset.META_KEY)) return DATASET;
        if (h.metadata().containsKey(Checkpoint.META_KEY)) return CHECKPOINT;
        if (h.tensors().contains("latent") && h.metadata().containsKey("checkpoint")) return DECODED;
        if (!h.tensors().isEmpty() && h.metadata().containsKey("config")
                && h.tensors().stream().allMatch(n -> n.startsWith("out.") || n.startsWith("loss.") || n.startsWith("grad."))) {
            return LOSS;
        }
        return "a safetensors file of other tensors";
    }

    /** A dataset file name: what train, evaluate and stream open as a dataset ends in .safetensors. */
    static void requireDatasetName(Path out, String option) {
        if (!out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".safetensors")) {
            throw new IllegalArgumentException(out + ": " + option + " must end in .safetensors (a dataset is read by its extension)");
        }
    }
}
