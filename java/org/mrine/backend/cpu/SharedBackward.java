package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.mrine.backend.CovarianceTrack;

/**
 * The covariance backward of filter-only tracks that share their first steps ({@link SharedPrefixes}):
 * each shared step's backward runs once, on the sum of the adjoints of the tracks that share it.
 * The backward of a step is linear in what reaches it (the adjoint of the next prior, the gain's
 * adjoint) and its parameter gradients are sums over steps, so this is the same gradient in exact
 * arithmetic; in floats the sums go in another order (the bits are not those of tracks run alone).
 *
 * <p>Track i (an item of the pass) runs its own steps, from the last down to stop[i] (the steps it
 * shares with its donor), and hands the adjoint of prior[stop[i]] to its owner: the nearest track up
 * its chain of donors that runs step stop[i] - 1 itself. (A track made at its samples only,
 * {@link SkipAhead}, has stop[i] - 1 = the last step with a sample that it shares, and hands the
 * adjoint of that step's filt: the jump out of it is its own.) The owner adds the handed adjoints when it
 * reaches that step, and from there on the gain adjoints of every track it has taken in, all in item
 * order, so the bits never depend on which thread ran what or when. Items are claimed from the last
 * track of an LDM to its first (a track's donors come before it), so an owner waits only on tracks
 * claimed before it, which are running or done.
 */
final class SharedBackward {
    private int[] stop = new int[0], owner = new int[0];
    /**
     * members[o]: every item whose shared steps run in o (o's tree of owners), ascending, and
     * until[o][k]: the steps below which members[o][k] shares o's: the stop of o's direct joiner on
     * its way to o (a track that joins through another shares no more with o than that one).
     */
    private int[][] members = new int[0][], until = new int[0][];
    /** joiners[o]: the items that hand o their adjoint directly, ascending. */
    private int[][] joiners = new int[0][];
    private AtomicIntegerArray handed = new AtomicIntegerArray(0);
    private MemorySegment handoff = MemorySegment.NULL;
    private final Arena arena = Arena.ofAuto();
    private CovarianceTrack[] tracks = new CovarianceTrack[0];
    private long matrix;

    /**
     * Plans a pass over count items (the tracks of one filter-only LDM, donors from the forward's
     * rule: {@link SharedPrefixes#start} on the same masks).
     */
    void plan(SharedPrefixes prefixes, CovarianceTrack[] tracks, int count, boolean skipMissing) {
        if (stop.length < count) {
            stop = new int[count];
            owner = new int[count];
            members = new int[count][];
            until = new int[count][];
            joiners = new int[count][];
            handed = new AtomicIntegerArray(count);
            this.tracks = new CovarianceTrack[count];
        }
        int nx = count > 0 ? tracks[0].latentDim : 0;
        matrix = (long) nx * nx;
        if (handoff.byteSize() < count * matrix * Float.BYTES) handoff = arena.allocate(count * matrix * Float.BYTES, 64);
        int[] memberCount = new int[count], joinerCount = new int[count];
        for (int i = 0; i < count; i++) {
            this.tracks[i] = tracks[i];
            handed.set(i, 0);
            // smoothing tracks (the RTS part depends on the whole mask) run every step themselves
            int shared = tracks[i].smoothing ? 0 : prefixes.sharedSteps(i);
            // made at its samples only ({@link SkipAhead}): it runs every step with a sample from the
            // first it does not share, and hands its owner the adjoint of the last one it shares (the
            // steps between have no work)
            if (skipMissing && shared > 0) shared = SkipAhead.lastSampleBefore(tracks[i].mask, shared) + 1;
            stop[i] = shared;
            owner[i] = -1;
            if (shared == 0) continue;
            int o = prefixes.donor(i);
            // up the donors to the first that runs step shared - 1 itself (o < i: its stop is set)
            while (stop[o] > shared - 1) o = prefixes.donor(o);
            owner[i] = o;
            joinerCount[o]++;
        }
        for (int i = 0; i < count; i++) {
            for (int o = owner[i]; o >= 0; o = owner[o]) memberCount[o]++;
        }
        for (int o = 0; o < count; o++) {
            members[o] = new int[memberCount[o]];
            until[o] = new int[memberCount[o]];
            joiners[o] = new int[joinerCount[o]];
            memberCount[o] = 0;
            joinerCount[o] = 0;
        }
        for (int i = 0; i < count; i++) {
            if (owner[i] >= 0) joiners[owner[i]][joinerCount[owner[i]]++] = i;
            for (int via = i, o = owner[i]; o >= 0; via = o, o = owner[o]) {
                until[o][memberCount[o]] = stop[via];
                members[o][memberCount[o]++] = i;
            }
        }
    }

    /** The first step item i runs itself (0 when it runs them all). */
    int stop(int item) {
        return stop[item];
    }

    /**
     * w5 [X,X], the adjoint of prior[t+1] on item i's way down (of filt[t] for a track made at its
     * samples only), += the adjoints handed over by the items that join it at step t (their stop is
     * t + 1), in item order, once each has finished.
     */
    void takeHandoffs(int item, int t, MemorySegment w5) {
        for (int j : joiners[item]) {
            if (stop[j] != t + 1) continue;
            for (int spins = 0; handed.get(j) == 0; spins++) {
                // the joiner is running on another thread (claimed before this track); if that thread
                // is not, let it have the core
                if (spins < 10_000) Thread.onSpinWait();
                else Thread.yield();
            }
            Blas.axpy((int) matrix, 1f, handoff, j * matrix, w5, 0);
        }
    }

    /** dX [A,X] at step t += the gain adjoints (dK^T) of the items item i has taken in that share step t, in item order. */
    void addGainAdjoints(int item, int t, MemorySegment dX) {
        int[] m = members[item], limit = until[item];
        for (int k = 0; k < m.length; k++) {
            if (limit[k] <= t) continue;
            CovarianceTrack tr = tracks[m[k]];
            long xa = (long) tr.latentDim * tr.embeddingDim;
            Blas.axpy((int) xa, 1f, tr.dGain.segment(), t * xa, dX, 0);
        }
    }

    /** Item i has run its steps down to its stop; w5 is the adjoint of prior[stop] (or filt[stop - 1]) for its owner. */
    void handOff(int item, MemorySegment w5) {
        MemorySegment.copy(w5, 0, handoff, item * matrix * Float.BYTES, matrix * Float.BYTES);
        handed.set(item, 1);
    }
}
