package org.mrine.stream;

import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * One Kalman filter run causally, one step per call: the same backend operations as the batch
 * filter on one-step tracks, so pushing a recorded sequence reproduces the batch x_filter. The
 * covariance side comes from a {@link GainGraph} (the steady-state shortcut, when enabled).
 */
final class StreamingFilter {
    private final Backend be;
    private final LdmParams stepParams;    // the model's parameters with x0 = the predicted mean
    private final Tensor predictedMean;    // [X]   x_{t|t-1}, the state between steps
    final Tensor obs;                      // [1,A] this step's observation
    private final Tensor filtMean;         // [1,X]
    private final Tensor nextMean;         // [1,X]
    private final Tensor[] maskOf = new Tensor[2];
    private final GainGraph graph;
    private final LdmParams model;
    private CovarianceTrack last;
    // A (for the shortcut's mean update) and C frozen for one-row products; the edges' gains come from the graph
    private final Tensor frozenA, frozenC;
    private final Tensor predictedObs;     // [1,A] C x_pred
    private final Tensor innovation;       // [1,A] a - C x_pred

    StreamingFilter(Backend be, Workspace ws, LdmParams model, boolean shortcut) {
        this.be = be;
        this.model = model;
        int nx = model.latentDim(), na = model.embeddingDim();
        predictedMean = ws.zeros(nx);
        obs = ws.zeros(1, na);
        filtMean = ws.zeros(1, nx);
        nextMean = ws.zeros(1, nx);
        stepParams = new LdmParams(model.a(), model.c(), model.qLogDiag(), model.rLogDiag(), predictedMean, model.sigma0());
        for (int b = 0; b < 2; b++) {
            maskOf[b] = ws.zeros(1);
            maskOf[b].fill(b);
        }
        graph = new GainGraph(be, ws, model, shortcut, 512, 16, 3e-7);
        frozenA = shortcut ? be.frozenDenseWeight(model.a()) : null;
        frozenC = be.frozenDenseWeight(model.c());
        predictedObs = ws.zeros(1, na);
        innovation = ws.zeros(1, na);
        reset();
    }

    void reset() {
        predictedMean.copyFrom(model.x0());
        graph.reset();
        last = null;
    }

    /** Filters one step (obs already written when present) and predicts the next; returns x_filt [1,X]. */
    Tensor step(boolean present) {
        CovarianceTrack tr = graph.step(present);
        Tensor gain = graph.frozenGain();
        if (frozenA == null || (present && gain == null)) {
            // the full recursion (or a step off the graph): the batch filter's own operation
            be.kalmanMeanForward(stepParams, tr, obs, maskOf[present ? 1 : 0], filtMean, nextMean);
        } else {
            // on the graph: the same update as one-row products with frozen A, C and K
            if (present) {
                observation(predictedMean, predictedObs);
                be.copyColumns(obs, innovation, 0);
                be.axpy(-1f, predictedObs, innovation);
                be.denseForwardRow(innovation, gain, null, false, filtMean);
                be.axpy(1f, predictedMean, filtMean);
            } else {
                be.copyColumns(predictedMean, filtMean, 0);
            }
            be.denseForwardRow(filtMean, frozenA, null, false, nextMean);
        }
        predictedMean.copyFrom(nextMean);
        last = tr;
        return filtMean;
    }

    /** out [1,A] = C x for a latent x [X] or [1,X]: the embedding this filter's LDM maps x to. */
    void observation(Tensor x, Tensor out) {
        be.denseForwardRow(x, frozenC, null, false, out);
    }

    /** P_filt of the last step [X,X] (a view into the graph's memory: copy it to keep it). */
    Tensor filteredCovariance() {
        return last == null ? null : last.filt.view(model.latentDim(), model.latentDim());
    }

    GainGraph graph() {
        return graph;
    }
}
