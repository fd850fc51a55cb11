package org.mrine.serve;

import org.mrine.model.Likelihood;

/**
 * Places time-stamped samples on the model's bin grid and says when a bin may be pushed.
 *
 * <p>Grid: bin k covers [origin + k Δ, origin + (k+1) Δ). The origin is given, or half a bin before
 * the first sample seen, so that regular samples sit at bin centres and their time stamps' jitter
 * (up to half a bin) never moves them to a neighbour. A sample goes to the bin holding its time
 * stamp; a sample for a bin already pushed is late (dropped, counted), one more than
 * {@link #WINDOW} bins ahead of the next bin to push is dropped as ahead (a clock jump).
 *
 * <p>When a bin is pushed: once it is complete, or at its deadline (its end plus the lateness).
 * Complete: no input that is live can still send a sample into it, i.e. for every input that is
 * not stalled, its next sample's earliest time stamp lies past the bin's end. With a known rate
 * that is the last time stamp plus one period less a quarter bin of jitter (a spike stream every
 * 10 ms completes its bin on arrival; a field every 50 ms covers the next four 10 ms bins);
 * without one, the last time stamp (samples come in order). An input is stalled when nothing arrived for
 * its stall time (the node's --stall-ms, at least three periods); a stalled input is not waited
 * for, and is picked up again with its next sample. Inputs are indexed by modality; a modality
 * without an input is always missing.
 *
 * <p>Single-threaded (the node's thread); allocates nothing per sample or bin.
 */
final class BinAligner {
    /**
     * The time-stamp jitter a regular source may have, in bins: its next sample comes no earlier
     * than one period after its last, less this. A quarter bin keeps a source whose samples sit
     * anywhere within a quarter bin of the centres (clock-offset corrections, the first sample's
     * own jitter fixing the origin) completing each bin on arrival; a sample that jitters more may
     * find its bin pushed (late, counted).
     */
    static final double JITTER = 0.25;

    /** Open bins at most (ahead of the next bin to push). */
    static final int WINDOW = 512;

    enum Status { BINNED, LATE, AHEAD, REJECTED }

    private final int M;
    private final Likelihood[] likelihood;
    private final boolean[] hasInput;
    private final double bin, lateness, fixedOrigin;
    private final long stallNanos;
    private final BinSums[] window = new BinSums[WINDOW];

    private boolean started;
    private double origin;
    private long next;

    // per modality
    private final double[] period, lastTs;
    private final long[] lastArrival, stallAfter;
    private final boolean[] seen, stalled;

    /**
     * @param binSec     bin width Δ in seconds
     * @param latenessSec how long after a bin's end it waits for samples that may still come
     * @param origin     the grid's origin in seconds, or NaN: half a bin before the first sample
     * @param stallSec   an input with no sample for this long (at least three of its periods) is stalled
     */
    BinAligner(Likelihood[] likelihood, int[] channels, boolean[] hasInput, double binSec, double latenessSec, double origin, double stallSec) {
        this.M = likelihood.length;
        this.likelihood = likelihood;
        this.hasInput = hasInput;
        this.bin = binSec;
        this.lateness = latenessSec;
        this.fixedOrigin = origin;
        this.stallNanos = Math.round(stallSec * 1e9);
        for (int i = 0; i < WINDOW; i++) window[i] = new BinSums(likelihood, channels);
        period = new double[M];
        lastTs = new double[M];
        lastArrival = new long[M];
        stallAfter = new long[M];
        seen = new boolean[M];
        stalled = new boolean[M];
        for (int m = 0; m < M; m++) stallAfter[m] = stallNanos;
    }

    /** The input's nominal period in seconds (0: unknown); may change when a stream is (re)connected. */
    void setPeriod(int m, double seconds) {
        period[m] = seconds;
        stallAfter[m] = Math.max(stallNanos, Math.round(3 * seconds * 1e9));
    }

    boolean started() {
        return started;
    }

    double origin() {
        return origin;
    }

    /** The next bin to push. */
    long next() {
        return next;
    }

    double binSeconds() {
        return bin;
    }

    /** The bin a time stamp falls into. */
    long binOf(double ts) {
        return (long) Math.floor((ts - origin) / bin);
    }

    /** Bin k's centre. */
    double centre(long k) {
        return origin + (k + 0.5) * bin;
    }

    /** The instant (seconds) at which bin k is pushed even if incomplete. */
    double deadline(long k) {
        return origin + (k + 1) * bin + lateness;
    }

    /**
     * A sample of modality m with time stamp ts (seconds) that arrived at arrivalNanos
     * (System.nanoTime). Its bin is {@link #lastBin()} when BINNED. A Poisson sample with a negative
     * count is REJECTED.
     */
    Status add(int m, double ts, long arrivalNanos, float[] values) {
        if (!started) {
            origin = Double.isNaN(fixedOrigin) ? ts - bin / 2 : fixedOrigin;
            next = Math.max(0, binOf(ts));
            started = true;
            // every input's stall clock starts with the first sample of any: one that never
            // sends is waited for no longer than one that stops
            for (int i = 0; i < M; i++) lastArrival[i] = arrivalNanos;
        }
        if (likelihood[m] == Likelihood.POISSON) {
            for (float v : values) {
                if (v < 0) return Status.REJECTED;
            }
        }
        long k = binOf(ts);
        lastBin = k;
        lastArrival[m] = arrivalNanos;
        if (!seen[m] || ts > lastTs[m]) lastTs[m] = ts;
        seen[m] = true;
        returned = stalled[m];
        stalled[m] = false;
        if (k < next) return Status.LATE;
        if (k >= next + WINDOW) return Status.AHEAD;
        BinSums s = window[(int) (k & (WINDOW - 1))];
        if (s.bin != k) {
            s.clear();
            s.bin = k;
        }
        s.add(m, values);
        return Status.BINNED;
    }

    private long lastBin;
    private boolean returned;

    /** The bin of the last sample added. */
    long lastBin() {
        return lastBin;
    }

    /** Whether the last sample added ended a stall of its input. */
    boolean returnedFromStall() {
        return returned;
    }

    /** Marks inputs silent for longer than their stall time; returns the first newly stalled modality, or -1. */
    int checkStalls(long nowNanos) {
        if (!started) return -1;
        for (int m = 0; m < M; m++) {
            if (hasInput[m] && !stalled[m] && nowNanos - lastArrival[m] > stallAfter[m]) {
                stalled[m] = true;
                return m;
            }
        }
        return -1;
    }

    boolean stalled(int m) {
        return stalled[m];
    }

    /** The last bin input m can no longer send a sample into (Long.MIN_VALUE before its first sample). */
    long completeThrough(int m) {
        if (!seen[m]) return Long.MIN_VALUE;
        double earliestNext = period[m] > 0 ? lastTs[m] + period[m] - JITTER * bin : lastTs[m];
        // + 1e-6 bins: a time stamp exactly on a bin edge, computed in floating point, stays on its side
        return (long) Math.floor((earliestNext - origin) / bin + 1e-6) - 1;
    }

    /** Whether the next bin may be pushed because no live input can add to it any more. */
    boolean nextComplete() {
        if (!started) return false;
        boolean anyLive = false;
        for (int m = 0; m < M; m++) {
            if (!hasInput[m] || stalled[m]) continue;
            anyLive = true;
            if (completeThrough(m) < next) return false;
        }
        return anyLive;
    }

    /** Whether the next bin's deadline has passed at nowSec. */
    boolean nextDue(double nowSec) {
        return started && nowSec >= deadline(next);
    }

    /** Takes the next bin's samples into out (null where missing; values in buffers) and moves on to the bin after it. */
    void pushNext(float[][] out, float[][] buffers) {
        BinSums s = window[(int) (next & (WINDOW - 1))];
        if (s.bin == next) {
            s.take(out, buffers);
        } else {
            for (int m = 0; m < M; m++) out[m] = null;
        }
        next++;
    }
}
