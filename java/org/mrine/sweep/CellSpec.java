package org.mrine.sweep;

import java.io.Serializable;
import java.util.List;

/**
 * One cell of a sweep: one setting trained on one fold's training trials and scored on its
 * held-out trials. Self-contained (the full config as YAML, the trial indices) and serializable, so
 * that any executor (a thread here, a Spark task elsewhere) computes the same result from it and
 * the dataset alone.
 *
 * @param id         names the cell's result file: a hash of everything the result depends on
 * @param setting    the setting's index in the sweep (for the driver's bookkeeping)
 * @param configYaml the setting's complete config
 * @param modalities the modalities the model sees
 * @param wienerLags the Wiener filter's lags, or -1 for an MRINE model
 * @param outer      the outer fold (0-based)
 * @param inner      the inner fold (0-based) of the outer fold's training trials, or -1 for the outer fold itself
 * @param train      trials fitted on (early stopping holds out the last block of them)
 * @param test       trials scored
 */
public record CellSpec(String id, int setting, String configYaml, List<String> modalities, int wienerLags, int outer, int inner,
                       int[] train, int[] test) implements Serializable {

    public CellSpec {
        modalities = List.copyOf(modalities);
    }

    public boolean isWiener() {
        return wienerLags >= 0;
    }

    /** "setting 3, outer fold 2, inner fold 1" (1-based for people). */
    public String describe() {
        return (isWiener() ? "wiener setting " : "setting ") + (setting + 1) + ", outer fold " + (outer + 1)
                + (inner >= 0 ? ", inner fold " + (inner + 1) : "");
    }
}
