package org.mrine.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;

/**
 * Removes each available sample of one modality with probability p. One uniform is drawn per
 * (trial, step) cell from a seeded stream, whatever p, so the samples dropped at p are also dropped
 * at every larger p: a robustness curve compares nested conditions.
 */
public final class SampleDrop {
    private SampleDrop() {
    }

    public static Dataset apply(Dataset data, String modality, double p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("drop probability must be in [0, 1), got " + p);
        List<ModalityData> mods = new ArrayList<>();
        for (ModalityData m : data.modalities()) {
            if (!m.name().equals(modality) || p == 0) {
                mods.add(m);
                continue;
            }
            SplittableRandom rng = new SplittableRandom(seed);
            float[] mask = m.mask().clone(), values = m.values().clone();
            final int N = m.channels();
            for (int c = 0; c < mask.length; c++) {
                if (rng.nextDouble() < p && mask[c] > 0) {
                    mask[c] = 0;
                    Arrays.fill(values, c * N, (c + 1) * N, 0f);
                }
            }
            mods.add(new ModalityData(m.name(), m.likelihood(), N, values, mask));
        }
        data.modality(modality); // fails clearly on an unknown name
        return data.withModalities(mods);
    }
}
