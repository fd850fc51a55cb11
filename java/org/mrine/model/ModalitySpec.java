package org.mrine.model;

import java.util.Arrays;

/**
 * One neural modality: its name (as in parameter names: {@code encoder.encoder_<name>}), its
 * observation model, channel count N, encoder hidden sizes (the decoder uses them reversed),
 * the weight of its log-likelihood in the loss (tau for spikes in the reference), the weight of
 * its smoothness term, and for Gaussian modalities the fixed observation variance.
 */
public record ModalitySpec(String name, Likelihood likelihood, int channels, int[] hidden,
                           float llWeight, float smoothWeight, float variance) {

    public ModalitySpec {
        String bad = ModalityNames.problem(name);
        if (bad != null) throw new IllegalArgumentException("modality name '" + name + "': " + bad);
        if (channels <= 0) throw new IllegalArgumentException("modality " + name + ": channels must be positive, got " + channels);
        for (int h : hidden) {
            if (h <= 0) throw new IllegalArgumentException("modality " + name + ": hidden sizes must be positive, got " + Arrays.toString(hidden));
        }
        if (!(variance > 0)) throw new IllegalArgumentException("modality " + name + ": variance must be positive, got " + variance);
        hidden = hidden.clone();
    }

    public String decoderKey() {
        return name + "_" + likelihood.key;
    }
}
