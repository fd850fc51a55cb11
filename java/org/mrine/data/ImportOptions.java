package org.mrine.data;

import java.util.ArrayList;
import java.util.List;

/**
 * How a recording becomes a dataset: the bin width of the common time grid, how to cut trials,
 * which variables to take. Defaults are what {@link Datasets#open} uses; {@code mrine import}
 * sets them from its options.
 *
 * <p>Variable names ({@link #spikes}, {@link #fields}, {@link #behavior}) are NWB paths for NWB
 * files, variable names for .mat/.npz (a dotted {@code s.field} reaches into a MATLAB struct),
 * column names for CSV; a {@code *} in a name matches any characters (CSV columns {@code unit_*}
 * become the channels of one modality). A field may end in {@code :poisson} or {@code :gaussian}
 * to set its likelihood (default: gaussian, except NWB spikes).
 */
public final class ImportOptions {

    /** Width of the dataset's time bins, ms; null: the rows' spacing for matrix files, else {@value #DEFAULT_BIN_MS}. */
    public Double binMs;
    /** For .mat/.npz/CSV without timestamps: the spacing of the rows, ms (default: {@link #binMs}). */
    public Double sampleMs;
    /** Length of each trial, ms: windows of this length from each trial start, or consecutive windows without a trials table. */
    public Double trialMs;
    /** Cut fixed windows even when the file has a trials table. */
    public boolean ignoreTrials;
    /** NWB: the intervals table that holds the trials (under /intervals, or a full path). */
    public String intervals = "trials";
    /** Spike counts or spike times: NWB units table path, matrix variable, CSV column pattern; "none" skips spikes. */
    public String spikes;
    /** Neural continuous series (modalities after the spikes), in order; empty: the format's defaults. */
    public List<String> fields = new ArrayList<>();
    /** Behavior series, in order; empty: the format's defaults. */
    public List<String> behavior = new ArrayList<>();
    /** Also derive velocity from each behavior series (d/dt of the raw samples, central differences). */
    public boolean velocity;
    /** Matrices: which axis is time: "auto" (from the lengths), "rows" or "cols". */
    public String timeAxis = "auto";
    /** Matrices / CSV: the variable or column holding one timestamp per row (auto-detected for CSV). */
    public String timestamps;
    /** CSV / matrices: unit of timestamps, "s" or "ms". */
    public String timeUnit = "s";
    /** Matrices: a [K, 2] variable of trial start and stop times in seconds. */
    public String trialsVar;

    /**
     * Default window length when a long recording has no trials table and no {@link #trialMs}: 2 s.
     * Long enough for the filters to settle within a window (each trial starts from the prior; the
     * transient lasts a few hundred ms at 10 to 50 ms bins) and for the smoothness and k-step-ahead
     * terms; short enough that a 10-minute recording yields 300 trials, about 7 batches of 32 per
     * epoch in each training set of a 5-fold cross-validation, where 10-s windows left one or two.
     */
    public static final double DEFAULT_WINDOW_MS = 2_000;
    /** Recordings of at most this many bins (and no trials) become one trial. */
    public static final int SINGLE_TRIAL_MAX_BINS = 1000;
    /** Recordings that hold fewer default windows than this (and no trials) become one trial, not a few windows. */
    public static final int MIN_DEFAULT_WINDOWS = 10;

    /**
     * The steps of each default window of a recording of {@code totalBins} bins without a trials
     * table: {@value #DEFAULT_WINDOW_MS} ms, or the whole recording as one trial when it is short
     * ({@value #SINGLE_TRIAL_MAX_BINS} bins or fewer) or holds fewer than {@value #MIN_DEFAULT_WINDOWS} windows.
     */
    public static long defaultWindowSteps(long totalBins, double binMs) {
        long window = Math.max(1, Math.round(DEFAULT_WINDOW_MS / binMs));
        if (totalBins <= SINGLE_TRIAL_MAX_BINS || totalBins < MIN_DEFAULT_WINDOWS * window) return totalBins;
        return window;
    }

    /** Bin width when neither the user nor the file says. */
    public static final double DEFAULT_BIN_MS = 10;

    /** Checks the numbers; {@code where} names the source for the message. */
    public void validate(String where) {
        positive(where, "--bin-ms", binMs);
        positive(where, "--sample-ms", sampleMs);
        positive(where, "--trial-ms", trialMs);
        if (!List.of("auto", "rows", "cols").contains(timeAxis)) {
            throw new IllegalArgumentException(where + ": --time-axis must be auto, rows or cols, got " + timeAxis);
        }
        if (!List.of("s", "ms").contains(timeUnit)) {
            throw new IllegalArgumentException(where + ": --time-unit must be s or ms, got " + timeUnit);
        }
    }

    /** Null, or a time in ms from a microsecond to about eleven days. */
    private static void positive(String where, String option, Double ms) {
        if (ms != null && !(ms >= 1e-3 && ms <= 1e9)) {
            throw new IllegalArgumentException(where + ": " + option + " must be a positive number of ms (0.001 to 1e9), got " + ms);
        }
    }

    /** Strips a {@code :poisson}/{@code :gaussian} suffix: [name, likelihood or null]. */
    static String[] splitLikelihood(String spec) {
        for (String lik : new String[] {"poisson", "gaussian"}) {
            if (spec.endsWith(":" + lik)) return new String[] {spec.substring(0, spec.length() - lik.length() - 1), lik};
        }
        return new String[] {spec, null};
    }
}
