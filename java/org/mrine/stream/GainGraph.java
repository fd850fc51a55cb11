package org.mrine.stream;

import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The covariance side of one streaming Kalman filter. P_pred evolves by a deterministic map of
 * (P_pred, sample present?) that never looks at the data. Each state met becomes a node and each
 * (node, present?) an edge holding the one-step track (gain K, P_filt, next P_pred), computed once:
 * afterwards following the edge costs no covariance arithmetic. The start state Sigma_0 is the
 * root, so the transient after every {@link #reset} is replayed from the graph too, and a
 * periodic availability pattern converges onto a cycle of nodes (one per phase).
 *
 * <p>A new state within {@code tolerance} (relative Frobenius norm) of a known node is merged
 * with it: this is where the shortcut approximates, and it is what closes the cycle once the
 * recursion has converged. When the node budget is spent (an aperiodic pattern), steps off the
 * graph run the full update and rejoin it only at a state that recurs: equal within tolerance to
 * a node or to one of the last {@code window} states. Memory grows with the nodes met and stops
 * at the budget; nothing is allocated once the walk stays on the graph.
 */
final class GainGraph {
    private final Backend be;
    private final Workspace ws;
    private final LdmParams stepParams;   // the model's A, C, Q, R; sigma0 = the P_pred to update
    private final int nx, na;
    private final double tolerance;
    private final boolean enabled;
    private final Tensor[] nodeState;
    private final CovarianceTrack[][] edge;
    private final Tensor[][] edgeNext;     // views of each edge's prior[1]: the state it leads to
    private final Tensor[][] edgeGain;     // each edge's gain frozen for one-row products (null without a sample)
    private final int[][] target;
    private int nodes;
    private final Tensor[] recent;
    private int recentCount, recentHead;
    private final CovarianceTrack work;    // full updates off the graph
    private final Tensor workNext;
    private final Tensor workState;
    private final Tensor[] maskOf = new Tensor[2];
    private final Tensor[] maskBox = new Tensor[1];
    private final CovarianceTrack[] trackBox = new CovarianceTrack[1];
    private final LdmParams modelParams;
    private int current;
    private Tensor lastGain;
    private long fullUpdates, shortcutSteps;

    GainGraph(Backend be, Workspace ws, LdmParams model, boolean enabled, int capacity, int window, double tolerance) {
        this.be = be;
        this.ws = ws;
        this.modelParams = model;
        this.nx = model.latentDim();
        this.na = model.embeddingDim();
        this.enabled = enabled;
        this.tolerance = tolerance;
        workState = ws.zeros(nx, nx);
        stepParams = new LdmParams(model.a(), model.c(), model.qLogDiag(), model.rLogDiag(), model.x0(), workState);
        work = new CovarianceTrack(ws, 1, nx, na, false);
        workNext = next(work);
        int cap = enabled ? capacity : 0;
        nodeState = new Tensor[cap];
        edge = new CovarianceTrack[cap][2];
        edgeNext = new Tensor[cap][2];
        edgeGain = new Tensor[cap][2];
        target = new int[cap][2];
        recent = new Tensor[enabled ? window : 0];
        for (int i = 0; i < recent.length; i++) recent[i] = ws.zeros(nx, nx);
        for (int b = 0; b < 2; b++) {
            maskOf[b] = ws.zeros(1);
            maskOf[b].fill(b);
        }
        if (enabled) addNode(model.sigma0());
        reset();
    }

    /** Back to P_pred = Sigma_0, the root. */
    void reset() {
        workState.copyFrom(modelParams.sigma0());
        current = enabled ? 0 : -1;
        recentCount = 0;
        recentHead = 0;
    }

    /**
     * Advances P_pred over one step with or without a sample and returns the one-step track
     * whose gain[0] and filt[0] belong to this step.
     */
    CovarianceTrack step(boolean present) {
        int b = present ? 1 : 0;
        lastGain = null;
        if (current >= 0) {
            if (target[current][b] >= 0) {
                shortcutSteps++;
                CovarianceTrack tr = edge[current][b];
                lastGain = edgeGain[current][b];
                current = target[current][b];
                return tr;
            }
            if (edge[current][b] == null) {
                edge[current][b] = new CovarianceTrack(ws, 1, nx, na, false);
                edgeNext[current][b] = next(edge[current][b]);
            }
            CovarianceTrack tr = edge[current][b];
            Tensor nextState = edgeNext[current][b];
            fullUpdate(nodeState[current], b, tr);
            // a node's state never changes, so neither does its edge: freeze the gain once
            if (present && edgeGain[current][b] == null) edgeGain[current][b] = be.frozenDenseWeight(tr.gain.view(nx, na));
            int next = find(nextState);
            if (next < 0 && nodes < nodeState.length) next = addNode(nextState);
            target[current][b] = next;
            current = next;
            if (next < 0) workState.copyFrom(nextState);
            return tr;
        }
        fullUpdate(workState, b, work);
        if (enabled) {
            current = find(workNext);
            if (current < 0 && recurred(workNext) && nodes < nodeState.length) current = addNode(workNext);
            remember(workNext);
        }
        if (current < 0) workState.copyFrom(workNext);
        return work;
    }

    /**
     * The gain of the last {@link #step}, frozen for {@link Backend#denseForwardRow}, when that step
     * followed a known edge with a sample; null otherwise.
     */
    Tensor frozenGain() {
        return lastGain;
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

    private int addNode(Tensor state) {
        int n = nodes++;
        nodeState[n] = ws.zeros(nx, nx);
        nodeState[n].copyFrom(state);
        target[n][0] = -1;
        target[n][1] = -1;
        return n;
    }

    /** The node within tolerance of state, or -1. */
    private int find(Tensor state) {
        for (int n = 0; n < nodes; n++) {
            if (close(state, nodeState[n])) return n;
        }
        return -1;
    }

    private boolean recurred(Tensor state) {
        for (int i = 0; i < recentCount; i++) {
            if (close(state, recent[i])) return true;
        }
        return false;
    }

    private void remember(Tensor state) {
        if (recent.length == 0) return;
        recent[recentHead].copyFrom(state);
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
