package org.mrine.backend.cpu;

import static org.mrine.backend.cpu.Blas.copy;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.mrine.backend.CovarianceTrack;
import org.mrine.tensor.Tensor;

/**
 * Covariance tracks of one LDM whose masks agree on their first steps have the same filter
 * covariances there, bit for bit: step t reads only the parameters, prior[t] and mask[t]. With time
 * dropout every trial has its own mask, so a batch's tracks share their first steps often (a field
 * potential sampled every 5th step with 30% dropped: 32 tracks hold 2 distinct patterns over the
 * first 5 steps, 4 over the next 5, ...). A track copies such a step from the earlier track it shares
 * the longest prefix with, its donor, when the donor has finished that step, and computes it
 * otherwise: no thread waits for another, and which way a step was made does not change its bits.
 *
 * <p>One instance serves the items of one parallel pass (tracks of several LDMs, in item order; a
 * donor is always an earlier item, claimed before, so it is running or done). Not for the RTS part,
 * which runs backward from the last step and depends on the whole mask.
 */
final class SharedPrefixes {
    private CovarianceTrack[] tracks = new CovarianceTrack[0];
    private Tensor[] masks = new Tensor[0];
    private int[] donor = new int[0], shared = new int[0];
    /** sampledOnly[i]: item i's track is made at its steps with a sample only ({@link SkipAhead}): prior[t] belongs to step t. */
    private boolean[] sampledOnly = new boolean[0];
    /** done[i]: steps item i has finished (its prior[t+1], filt, gain, cPrior, cholS final for t below). */
    private AtomicIntegerArray done = new AtomicIntegerArray(0);

    /**
     * Starts a pass over count items; group[i] says which LDM item i belongs to (tracks of different
     * LDMs never share); with skipMissing, filter-only tracks are made at their steps with a sample only.
     */
    void start(int count, Tensor[] masks, CovarianceTrack[] tracks, int[] group, boolean skipMissing) {
        if (this.tracks.length < count) {
            this.tracks = new CovarianceTrack[count];
            this.masks = new Tensor[count];
            donor = new int[count];
            shared = new int[count];
            sampledOnly = new boolean[count];
            done = new AtomicIntegerArray(count);
        }
        for (int i = 0; i < count; i++) {
            this.tracks[i] = tracks[i];
            sampledOnly[i] = skipMissing && !tracks[i].smoothing;
            this.masks[i] = masks[i];
            done.set(i, 0);
            donor[i] = -1;
            shared[i] = 0;
            int steps = tracks[i].steps;
            for (int d = 0; d < i && shared[i] < steps; d++) {
                if (group[d] != group[i] || tracks[d].steps != steps) continue;
                int same = 0;
                while (same < steps && (masks[d].get(same) > 0f) == (masks[i].get(same) > 0f)) same++;
                if (same > shared[i]) {
                    shared[i] = same;
                    donor[i] = d;
                }
            }
        }
    }

    /** Steps item i shares with its donor (0 when it has none). */
    int sharedSteps(int item) {
        return shared[item];
    }

    /** The donor of item i, or -1. */
    int donor(int item) {
        return donor[item];
    }

    /**
     * Copies step t of item i's track from its donor when the masks agree up to t and the donor has
     * finished t: prior[t+1] (prior[t] for a track made at its samples only), filt[t], gain[t] and,
     * where step t has a sample, cPrior[t] and cholS[t]. False when the step must be computed.
     */
    boolean copyStep(int item, int t) {
        if (t >= shared[item] || done.get(donor[item]) <= t) return false;
        CovarianceTrack from = tracks[donor[item]], to = tracks[item];
        final long xx = (long) to.latentDim * to.latentDim, xa = (long) to.latentDim * to.embeddingDim,
                aa = (long) to.embeddingDim * to.embeddingDim;
        copyStep(from.prior, to.prior, (sampledOnly[item] ? t : t + 1) * xx, xx);
        copyStep(from.filt, to.filt, t * xx, xx);
        copyStep(from.gain, to.gain, t * xa, xa);
        if (masks[item].get(t) > 0f) {
            copyStep(from.cPrior, to.cPrior, t * xa, xa);
            copyStep(from.cholS, to.cholS, t * aa, aa);
        }
        return true;
    }

    private static void copyStep(Tensor from, Tensor to, long offset, long size) {
        MemorySegment src = from.segment(), dst = to.segment();
        copy((int) size, src, offset, dst, offset);
    }

    /** Item i has finished step t (a volatile write after the step's stores: what a copy reads is final). */
    void finished(int item, int t) {
        done.set(item, t + 1);
    }
}
