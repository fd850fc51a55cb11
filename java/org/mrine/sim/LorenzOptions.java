package org.mrine.sim;

/**
 * Settings of the stochastic Lorenz benchmark. Defaults: the paper's first benchmark as the issue
 * describes it (20 Poisson spike channels, 20 Gaussian field channels sampled every 5th 10 ms step).
 *
 * @param trials          B, number of trials (consecutive stretches of one trajectory)
 * @param steps           T, steps per trial
 * @param binMs           bin width in milliseconds
 * @param lorenzTimePerBin Lorenz time units per bin: sets how fast the latent moves relative to the bins
 * @param substeps        Euler-Maruyama substeps per bin
 * @param processNoise    diffusion of the latent SDE (per sqrt Lorenz time unit, before z-scoring)
 * @param spikeChannels   Poisson channels
 * @param minRateHz       lowest baseline firing rate (rate where the latent is at its mean)
 * @param maxRateHz       highest baseline firing rate
 * @param spikeGain       norm of each channel's log-rate loading on the z-scored latent
 * @param fieldChannels   Gaussian channels
 * @param fieldNoise      standard deviation of each field channel's noise (loadings have unit norm)
 * @param fieldRatio      the field is sampled every fieldRatio-th step (1 = every step)
 * @param spikeDrop       probability that an available spike sample is dropped
 * @param fieldDrop       probability that an available field sample is dropped
 * @param seed            seed of the latent trajectory and the observation models
 * @param dropSeed        seed of the random sample drops (separate, so a drop sweep keeps the same data)
 */
public record LorenzOptions(int trials, int steps, double binMs, double lorenzTimePerBin, int substeps, double processNoise,
                            int spikeChannels, double minRateHz, double maxRateHz, double spikeGain,
                            int fieldChannels, double fieldNoise, int fieldRatio,
                            double spikeDrop, double fieldDrop, long seed, long dropSeed) {

    public static final LorenzOptions DEFAULTS = new LorenzOptions(250, 100, 10, 0.01, 10, 2.0,
            20, 5, 15, 1.0, 20, 3.0, 5, 0, 0, 1, 2);

    /** At most this many values in one array (trials × steps × channels): the limit of a Java array. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    public LorenzOptions {
        positive("trials", trials);
        if (steps < 2) throw new IllegalArgumentException("steps must be at least 2, got " + steps);
        long widest = Math.max(3, Math.max(spikeChannels, fieldChannels));
        if ((long) trials * steps * widest > MAX_VALUES) {
            throw new IllegalArgumentException(trials + " trials × " + steps + " steps × " + widest + " channels is more values than one "
                    + "array holds (" + MAX_VALUES + "); use fewer trials or steps");
        }
        positive("bin_ms", binMs);
        positive("lorenz_time_per_bin", lorenzTimePerBin);
        positive("substeps", substeps);
        nonNegative("process_noise", processNoise);
        positive("spike_channels", spikeChannels);
        positive("field_channels", fieldChannels);
        positive("min_rate_hz", minRateHz);
        if (!(maxRateHz >= minRateHz)) throw new IllegalArgumentException("max_rate_hz must be >= min_rate_hz, got " + maxRateHz);
        nonNegative("spike_gain", spikeGain);
        nonNegative("field_noise", fieldNoise);
        if (fieldNoise > 1e6) throw new IllegalArgumentException("field_noise must be at most 1e6 (float32 data), got " + fieldNoise);
        positive("field_ratio", fieldRatio);
        probability("spike_drop", spikeDrop);
        probability("field_drop", fieldDrop);
    }

    public LorenzOptions withSize(int trials, int steps) {
        return new LorenzOptions(trials, steps, binMs, lorenzTimePerBin, substeps, processNoise, spikeChannels, minRateHz,
                maxRateHz, spikeGain, fieldChannels, fieldNoise, fieldRatio, spikeDrop, fieldDrop, seed, dropSeed);
    }

    public LorenzOptions withDrops(double spikeDrop, double fieldDrop) {
        return new LorenzOptions(trials, steps, binMs, lorenzTimePerBin, substeps, processNoise, spikeChannels, minRateHz,
                maxRateHz, spikeGain, fieldChannels, fieldNoise, fieldRatio, spikeDrop, fieldDrop, seed, dropSeed);
    }

    public LorenzOptions withFieldRatio(int fieldRatio) {
        return new LorenzOptions(trials, steps, binMs, lorenzTimePerBin, substeps, processNoise, spikeChannels, minRateHz,
                maxRateHz, spikeGain, fieldChannels, fieldNoise, fieldRatio, spikeDrop, fieldDrop, seed, dropSeed);
    }

    public LorenzOptions withSeeds(long seed, long dropSeed) {
        return new LorenzOptions(trials, steps, binMs, lorenzTimePerBin, substeps, processNoise, spikeChannels, minRateHz,
                maxRateHz, spikeGain, fieldChannels, fieldNoise, fieldRatio, spikeDrop, fieldDrop, seed, dropSeed);
    }

    public LorenzOptions withNoise(double fieldNoise, double spikeGain) {
        return new LorenzOptions(trials, steps, binMs, lorenzTimePerBin, substeps, processNoise, spikeChannels, minRateHz,
                maxRateHz, spikeGain, fieldChannels, fieldNoise, fieldRatio, spikeDrop, fieldDrop, seed, dropSeed);
    }

    private static void positive(String name, double v) {
        if (!(v > 0 && Double.isFinite(v))) throw new IllegalArgumentException(name + " must be a positive finite number, got " + v);
    }

    private static void nonNegative(String name, double v) {
        if (!(v >= 0 && Double.isFinite(v))) throw new IllegalArgumentException(name + " must be a finite number >= 0, got " + v);
    }

    private static void probability(String name, double v) {
        if (!(v >= 0 && v < 1)) throw new IllegalArgumentException(name + " must be in [0, 1), got " + v);
    }
}
