package org.mrine.train;

import org.mrine.data.ModalityData;

/**
 * Per-channel means of a modality over the available samples (mask > 0) of some trials, and how
 * many samples there were: the training statistics that auto tau and z-scoring both start from.
 * With no available sample the means are 0.
 */
record ChannelMeans(double[] mean, long samples) {

    static ChannelMeans of(ModalityData m, int[] trials, int steps) {
        final int N = m.channels();
        double[] sum = new double[N];
        long samples = 0;
        for (int b : trials) {
            for (int t = 0; t < steps; t++) {
                int cell = b * steps + t;
                if (m.mask()[cell] <= 0) continue;
                samples++;
                for (int n = 0; n < N; n++) sum[n] += m.values()[cell * N + n];
            }
        }
        if (samples > 0) {
            for (int n = 0; n < N; n++) sum[n] /= samples;
        }
        return new ChannelMeans(sum, samples);
    }
}
