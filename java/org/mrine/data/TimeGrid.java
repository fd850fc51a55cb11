package org.mrine.data;

/**
 * The common time grid: bins of {@code binSec} seconds from {@code origin}, cut into B trials of T
 * steps. Trial b covers [start(b), start(b) + T * bin); its step j is the bin
 * [start(b) + j * bin, start(b) + (j + 1) * bin). Trial starts lie on the grid, so trials of a
 * recording share the grid's phase (and slower modalities get the same mask pattern in every
 * trial where their rate divides the grid's).
 *
 * @param starts trial start times in seconds, each {@code origin + k * binSec}
 */
public record TimeGrid(double origin, double binSec, double[] starts, int steps, String description) {

    /**
     * Tolerance of bin assignment, in bins: a sample within a millionth of a bin before a bin edge
     * counts in the later bin, so that sample times computed as {@code start + i / rate} land where
     * exact arithmetic would put them.
     */
    static final double EPS = 1e-6;

    public TimeGrid {
        if (!(binSec > 0)) throw new IllegalArgumentException("bin width must be positive, got " + binSec);
        if (steps <= 0) throw new IllegalArgumentException("trials need at least one step, got " + steps);
    }

    public int trials() {
        return starts.length;
    }

    public double start(int b) {
        return starts[b];
    }

    /** The grid point at or just before {@code t}. */
    public static double snap(double origin, double binSec, double t) {
        return origin + Math.floor((t - origin) / binSec + EPS) * binSec;
    }

    /** Step of time {@code t} in a trial starting at {@code s}: may be negative or >= T (outside the trial). */
    static double stepOf(double t, double s, double binSec) {
        return Math.floor((t - s) / binSec + EPS);
    }

    /** Bins of {@code binSec} in [start, end), rounding a hair's breadth up. */
    static long binsIn(double start, double end, double binSec) {
        return (long) Math.floor((end - start) / binSec + EPS);
    }
}
