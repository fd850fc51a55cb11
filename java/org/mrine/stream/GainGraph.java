package org.mrine.stream;

import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The covariance side of one streaming Kalman filter. P_pred evolves by a deterministic map of
 * (P_pred, sample present?) that never looks at the data, so once P_pred has converged onto its
 * orbit (for a periodic availability pattern, one P per phase) its future is known: each state
 * becomes a node, each (node, present?) an edge holding the one-step track (gain K, P_filt, next
 * P_pred), and following edges costs no covariance arithmetic at all. Any step whose edge does
 * not exist yet (the transient, or a break in the pattern such as a missing sample) runs the full
 * update; its result becomes a node only once it recurs, i.e. equals (within {@code tolerance},
 * relative Frobenius) a state seen in the last {@code window} steps or an existing node.
 * All memory is allocated at construction.
 */
final class GainGraph {
    private final Backend be;
    private final LdmParams stepParams;   // the model's A, C, Q, R; sigma0 = the P_pred to update
    private final int nx;
    private final double tolerance;
    private final boolean enabled;
    // nodes: state P_pred, and per sample bit the edge track and its target node
    private final Tensor[] nodeState;
    private final CovarianceTrack[][] edge;
    private final Tensor[][] edgeNext;     // views of each edge's prior[1]: the state it leads to
    private final int[][] target;
    private int nodes;
    // recent states of full updates, for recurrence
    private final Tensor[] recent;
    private int recentCount, recentHead;
    // the full update's own track and current state when not on a node
    private final CovarianceTrack work;
    private final Tensor workNext;
    private final Tensor workState;
    private final Tensor[] maskOf = new Tensor[2];
    private final Tensor[] maskBox = new Tensor[1];
    private final CovarianceTrack[] trackBox = new CovarianceTrack[1];
    private final LdmParams modelParams;
    private int current;
    private long fullUpdates, shortcutSteps;

    GainGraph(Backend be, Workspace ws, LdmParams model, boolean enabled, int capacity, int window, double tolerance) {
        this.be = be;
        this.modelParams = model;
        this.nx = model.latentDim();
        this.enabled = enabled;
        this.tolerance = tolerance;
        int na = model.embeddingDim();
        workState = ws.zeros(nx, nx);
        stepParams = new LdmParams(model.a(), model.c(), model.qLogDiag(), model.rLogDiag(), model.x0(), workState);
        work = new CovarianceTrack(ws, 1, nx, na, false);
        workNext = next(work);
        nodeState = new Tensor[enabled ? capacity : 0];
        edge = new CovarianceTrack[nodeState.length][2];
        edgeNext = new Tensor[nodeState.length][2];
        target = new int[nodeState.length][2];
        for (int n = 0; n < nodeState.length; n++) {
            nodeState[n] = ws.zeros(nx, nx);
            for (int b = 0; b < 2; b++) {
                edge[n][b] = new CovarianceTrack(ws, 1, nx, na, false);
                edgeNext[n][b] = next(edge[n][b]);
            }
        }
        recent = new Tensor[enabled ? window : 0];
        for (int i = 0; i < recent.length; i++) recent[i] = ws.zeros(nx, nx);
        for (int b = 0; b < 2; b++) {
            maskOf[b] = ws.zeros(1);
            maskOf[b].fill(b);
        }
        reset();
    }

    /** Back to P_pred = Sigma_0 (nodes stay: they depend only on the parameters). */
    void reset() {
        workState.copyFrom(modelParams.sigma0());
        current = -1;
        recentCount = 0;
        recentHead = 0;
    }

    /**
     * Advances P_pred over one step with or without a sample and returns the one-step track
     * whose gain[0] and filt[0] belong to this step.
     */
    CovarianceTrack step(boolean present) {
        int b = present ? 1 : 0;
        if (current >= 0) {
            if (target[current][b] >= 0) {
                shortcutSteps++;
                CovarianceTrack tr = edge[current][b];
                current = target[current][b];
                return tr;
            }
            // a new edge from a known state: compute it once, keep it
            CovarianceTrack tr = edge[current][b];
            Tensor nextState = edgeNext[current][b];
            fullUpdate(nodeState[current], b, tr);
            int next = findOrAdd(nextState, recurred(nextState));
            remember(nextState);
            target[current][b] = next;
            current = next;
            if (next < 0) workState.copyFrom(nextState);
            return tr;
        }
        fullUpdate(workState, b, work);
        if (enabled) {
            current = findOrAdd(workNext, recurred(workNext));
            remember(workNext);
        }
        if (current < 0) workState.copyFrom(workNext);
        return work;
    }

    private static Tensor next(CovarianceTrack tr) {
        return tr.prior.slice(1, 1).view(tr.latentDim, tr.latentDim);
    }

    private void fullUpdate(Tensor from, int b, CovarianceTrack into) {
        fullUpdates++;
        if (from != workState) workState.copyFrom(from);
        maskBox[0] = maskOf[b];
        trackBox[0] = into;
        be.kalmanCovarianceForward(stepParams, maskBox, trackBox, 1);
    }

    /** The node whose state is within tolerance of next, else a new node when asked and room is left, else -1. */
    private int findOrAdd(Tensor next, boolean add) {
        if (!enabled) return -1;
        for (int n = 0; n < nodes; n++) {
            if (close(next, nodeState[n])) return n;
        }
        if (!add || nodes == nodeState.length) return -1;
        int n = nodes++;
        nodeState[n].copyFrom(next);
        target[n][0] = -1;
        target[n][1] = -1;
        return n;
    }

    private boolean recurred(Tensor next) {
        for (int i = 0; i < recentCount; i++) {
            if (close(next, recent[i])) return true;
        }
        return false;
    }

    private void remember(Tensor next) {
        if (recent.length == 0) return;
        recent[recentHead].copyFrom(next);
        recentHead = (recentHead + 1) % recent.length;
        recentCount = Math.min(recentCount + 1, recent.length);
    }

    private boolean close(Tensor a, Tensor b) {
        double diff = 0, norm = 0;
        for (long i = 0; i < a.size(); i++) {
            double x = a.get(i), y = b.get(i);
            diff += (x - y) * (x - y);
            norm += y * y;
        }
        return diff <= tolerance * tolerance * norm;
    }

    long fullUpdates() {
        return fullUpdates;
    }

    long shortcutSteps() {
        return shortcutSteps;
    }

    int nodes() {
        return nodes;
    }
}
