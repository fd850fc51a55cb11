package org.mrine.sim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/**
 * The stochastic Lorenz benchmark: a latent Lorenz system with process noise drives Poisson spike
 * counts (log-rate affine in the latent) and Gaussian field channels (affine plus noise), the field
 * sampled more slowly; the behavior to decode is the latent itself.
 *
 * <pre>
 * dx = sigma (y - x) dt        + q dW_1        sigma = 10, rho = 28, beta = 8/3
 * dy = (x (rho - z) - y) dt    + q dW_2        Euler-Maruyama, {@code substeps} per bin
 * dz = (x y - beta z) dt       + q dW_3
 * z_t      = z-scored latent at the end of bin t (statistics over all trials)      [B,T,3]
 * s_t,n    ~ Poisson(exp(b_n + w_n . z_t)),  exp(b_n) = rate_n * bin, |w_n| = spike_gain
 * y_t,n    = d_n . z_t + e_n + field_noise * eps,  |d_n| = 1,  sampled when t % field_ratio == 0
 * </pre>
 *
 * Trials are consecutive stretches of one trajectory (after a burn-in), so contiguous blocks of
 * trials are contiguous in time, as in a recording. Every random draw comes from a stream split
 * off the seed in a fixed order, so a seed gives the same dataset on every machine; sample drops
 * come from their own seed and are nested (a sample dropped at probability p is dropped at every
 * p' > p), so a drop sweep compares like with like.
 */
public final class LorenzSimulator {
    static final double SIGMA = 10, RHO = 28, BETA = 8.0 / 3;
    private static final int LATENT = 3;
    private static final int BURN_IN_BINS = 500;

    private LorenzSimulator() {
    }

    /**
     * Largest mean spike count of one bin we draw (100 kHz at 10 ms bins): a Poisson draw costs
     * about its mean, so a gain that sends rates to 1e12 would never finish.
     */
    static final double MAX_MEAN_COUNT = 1000;

    /** Heap bytes per (trial, step) cell while simulating: trajectory, latent, both modalities with masks. */
    private static long bytesPerCell(LorenzOptions o) {
        return 8L * LATENT + 4L * LATENT + 4L * (o.spikeChannels() + 1) + 4L * (o.fieldChannels() + 1);
    }

    public static Dataset simulate(LorenzOptions o) {
        SplittableRandom root = new SplittableRandom(o.seed());
        SplittableRandom dynamics = root.split(), loadings = root.split(), spikeNoise = root.split(), fieldNoise = root.split();
        final int B = o.trials(), T = o.steps(), cells = B * T;
        long need = bytesPerCell(o) * cells, may = Runtime.getRuntime().maxMemory();
        if (need > may * 0.8) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "%d trials × %d steps need about %.1f GiB of memory, "
                    + "more than the %.1f GiB this JVM may use; use fewer trials or steps (or MRINE_JAVA_OPTS=-Xmx...)",
                    B, T, need / 1073741824.0, may / 1073741824.0));
        }

        float[] latent = zScored(trajectory(o, dynamics, cells));          // [B*T, 3]

        // spikes: baseline log-rate per bin and loading on the latent
        final int S = o.spikeChannels();
        double[] base = new double[S];
        double[][] w = new double[S][];
        for (int n = 0; n < S; n++) {
            double rateHz = o.minRateHz() + (o.maxRateHz() - o.minRateHz()) * loadings.nextDouble();
            base[n] = Math.log(rateHz * o.binMs() / 1000);
            w[n] = direction(loadings, o.spikeGain());
        }
        checkRates(o, base, w, latent);
        final int F = o.fieldChannels();
        double[][] d = new double[F][];
        double[] offset = new double[F];
        for (int n = 0; n < F; n++) {
            d[n] = direction(loadings, 1);
            offset[n] = loadings.nextGaussian();
        }

        float[] spikes = new float[cells * S], spikeMask = new float[cells];
        float[] field = new float[cells * F], fieldMask = new float[cells];
        for (int c = 0; c < cells; c++) {
            int t = c % T;
            spikeMask[c] = 1;
            for (int n = 0; n < S; n++) {
                spikes[c * S + n] = poisson(spikeNoise, Math.exp(base[n] + dot(w[n], latent, c)));
            }
            // the field noise is drawn at every step, sampled or not, so the field ratio changes
            // which samples exist and nothing else
            boolean sampled = t % o.fieldRatio() == 0;
            fieldMask[c] = sampled ? 1 : 0;
            for (int n = 0; n < F; n++) {
                double v = dot(d[n], latent, c) + offset[n] + o.fieldNoise() * fieldNoise.nextGaussian();
                field[c * F + n] = sampled ? (float) v : 0f;
            }
        }
        SplittableRandom drops = new SplittableRandom(o.dropSeed());
        drop(spikes, spikeMask, S, o.spikeDrop(), drops.split());
        drop(field, fieldMask, F, o.fieldDrop(), drops.split());

        Map<String, String> info = new LinkedHashMap<>();
        info.put("source", "mrine simulate (stochastic Lorenz)");
        info.put("seed", Long.toString(o.seed()));
        info.put("drop_seed", Long.toString(o.dropSeed()));
        info.put("field_ratio", Integer.toString(o.fieldRatio()));
        info.put("spike_drop", Double.toString(o.spikeDrop()));
        info.put("field_drop", Double.toString(o.fieldDrop()));
        info.put("field_noise", Double.toString(o.fieldNoise()));
        info.put("process_noise", Double.toString(o.processNoise()));
        info.put("lorenz_time_per_bin", Double.toString(o.lorenzTimePerBin()));
        return new Dataset(List.of(
                new ModalityData("s", Likelihood.POISSON, S, spikes, spikeMask),
                new ModalityData("y", Likelihood.GAUSSIAN, F, field, fieldMask)),
                B, T, latent, LATENT, List.of("x", "y", "z"), o.binMs(), info).validate("mrine simulate");
    }

    /** Refuses a gain that drives some bin's mean count beyond {@link #MAX_MEAN_COUNT} (before any draw). */
    private static void checkRates(LorenzOptions o, double[] base, double[][] w, float[] latent) {
        double worst = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < latent.length / LATENT; c++) {
            for (int n = 0; n < base.length; n++) worst = Math.max(worst, base[n] + dot(w[n], latent, c));
        }
        double mean = Math.exp(worst);
        if (!(mean <= MAX_MEAN_COUNT)) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--spike-gain %s drives a spike channel to a mean of "
                    + "%.3g spikes in one %s ms bin (%.3g Hz); expected at most %.0f per bin: use a smaller --spike-gain",
                    o.spikeGain(), mean, o.binMs(), mean * 1000 / o.binMs(), MAX_MEAN_COUNT));
        }
    }

    /** The latent at the end of each of {@code cells} consecutive bins after the burn-in: [cells, 3]. */
    static double[] trajectory(LorenzOptions o, SplittableRandom rng, int cells) {
        double h = o.lorenzTimePerBin() / o.substeps(), noise = o.processNoise() * Math.sqrt(h);
        double x = 1 + rng.nextGaussian(), y = 1 + rng.nextGaussian(), z = 20 + rng.nextGaussian();
        double[] out = new double[cells * LATENT];
        for (int bin = -BURN_IN_BINS; bin < cells; bin++) {
            for (int k = 0; k < o.substeps(); k++) {
                double dx = SIGMA * (y - x), dy = x * (RHO - z) - y, dz = x * y - BETA * z;
                x += dx * h + noise * rng.nextGaussian();
                y += dy * h + noise * rng.nextGaussian();
                z += dz * h + noise * rng.nextGaussian();
            }
            if (bin >= 0) {
                out[bin * LATENT] = x;
                out[bin * LATENT + 1] = y;
                out[bin * LATENT + 2] = z;
            }
        }
        return out;
    }

    /** Each latent dimension to zero mean and unit variance over all bins. */
    private static float[] zScored(double[] v) {
        int n = v.length / LATENT;
        float[] out = new float[v.length];
        for (int j = 0; j < LATENT; j++) {
            double mean = 0, sq = 0;
            for (int i = 0; i < n; i++) mean += v[i * LATENT + j];
            mean /= n;
            for (int i = 0; i < n; i++) sq += (v[i * LATENT + j] - mean) * (v[i * LATENT + j] - mean);
            double sd = Math.sqrt(sq / n);
            for (int i = 0; i < n; i++) out[i * LATENT + j] = (float) ((v[i * LATENT + j] - mean) / sd);
        }
        return out;
    }

    /** A uniformly random direction in latent space, of the given norm. */
    private static double[] direction(SplittableRandom rng, double norm) {
        double[] u = new double[LATENT];
        double s = 0;
        for (int j = 0; j < LATENT; j++) {
            u[j] = rng.nextGaussian();
            s += u[j] * u[j];
        }
        double f = norm / Math.sqrt(s);
        for (int j = 0; j < LATENT; j++) u[j] *= f;
        return u;
    }

    private static double dot(double[] w, float[] latent, int cell) {
        double s = 0;
        for (int j = 0; j < LATENT; j++) s += w[j] * latent[cell * LATENT + j];
        return s;
    }

    /** A Poisson draw by multiplying uniforms (Knuth); large means are split into chunks of at most 30. */
    public static int poisson(SplittableRandom rng, double mean) {
        int count = 0;
        while (mean > 30) {
            count += poisson(rng, 30);
            mean -= 30;
        }
        double limit = Math.exp(-mean), p = rng.nextDouble();
        while (p > limit) {
            count++;
            p *= rng.nextDouble();
        }
        return count;
    }

    /**
     * Drops each available sample with probability p: one uniform per (trial, step) cell, drawn for
     * every cell, so drops are nested across p and independent of which samples exist.
     */
    private static void drop(float[] values, float[] mask, int channels, double p, SplittableRandom rng) {
        for (int c = 0; c < mask.length; c++) {
            boolean dropped = rng.nextDouble() < p;
            if (dropped && mask[c] > 0) {
                mask[c] = 0;
                java.util.Arrays.fill(values, c * channels, (c + 1) * channels, 0f);
            }
        }
    }
}
