package org.mrine.train;

import org.mrine.backend.cpu.SpecialFunctions;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/**
 * The weight tau of Poisson log-likelihoods that puts them on the scale of the Gaussian ones:
 *
 * <pre>
 * tau = |mean LL of the Gaussian data under its training mean, unit variance|
 *     / |mean LL of the Poisson data under its per-channel training mean rate|
 * </pre>
 * means over available (sample x channel) entries of the training trials. Computed from every
 * modality of the dataset, whichever the model uses, so single-scale baselines weigh their
 * likelihood against the regularizers as the multiscale model does. Without a Gaussian modality the
 * numerator is that of z-scored data, 0.5 (log 2 pi + 1).
 */
public final class AutoTau {
    private AutoTau() {
    }

    public static double compute(Dataset data, int[] trials) {
        final int T = data.steps();
        double gaussSum = 0, poisSum = 0;
        long gaussCount = 0, poisCount = 0;
        for (ModalityData m : data.modalities()) {
            final int N = m.channels();
            ChannelMeans training = ChannelMeans.of(m, trials, T);
            long cells = training.samples();
            if (cells == 0) continue;
            double[] mean = training.mean();
            for (int b : trials) {
                for (int t = 0; t < T; t++) {
                    int c = b * T + t;
                    if (m.mask()[c] <= 0) continue;
                    for (int n = 0; n < N; n++) {
                        double x = m.values()[c * N + n];
                        if (m.likelihood() == Likelihood.GAUSSIAN) {
                            gaussSum += -0.5 * Math.log(2 * Math.PI) - 0.5 * (x - mean[n]) * (x - mean[n]);
                        } else {
                            // a silent channel (rate 0) predicts its zeros exactly: log-likelihood 0
                            double r = mean[n];
                            poisSum += r > 0 ? x * Math.log(r) - r - SpecialFunctions.logGamma(x + 1) : 0;
                        }
                    }
                }
            }
            if (m.likelihood() == Likelihood.GAUSSIAN) gaussCount += cells * N;
            else poisCount += cells * N;
        }
        double gauss = gaussCount > 0 ? gaussSum / gaussCount : -0.5 * (Math.log(2 * Math.PI) + 1);
        double pois = poisCount > 0 ? poisSum / poisCount : 0;
        if (pois == 0 || !Double.isFinite(pois) || !Double.isFinite(gauss)) return 1;
        return Math.abs(gauss) / Math.abs(pois);
    }
}
