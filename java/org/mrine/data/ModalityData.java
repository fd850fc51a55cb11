package org.mrine.data;

import org.mrine.model.Likelihood;

/**
 * One modality of a dataset on the common time grid: values [B,T,N] row-major and mask [B,T]
 * (1 where a sample exists; values under a 0 are never read). A slower modality is one whose mask
 * is 1 only every few steps.
 */
public record ModalityData(String name, Likelihood likelihood, int channels, float[] values, float[] mask) {

    public ModalityData {
        if (channels <= 0) throw new IllegalArgumentException("modality " + name + ": channels must be positive");
        if (mask.length == 0 || values.length != (long) mask.length * channels) {
            throw new IllegalArgumentException("modality " + name + ": " + values.length + " values for " + mask.length
                    + " (trial, step) cells of " + channels + " channels");
        }
    }

    /** Fraction of (trial, step) cells with a sample. */
    public double availability() {
        double s = 0;
        for (float m : mask) s += m;
        return s / mask.length;
    }
}
