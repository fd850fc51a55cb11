package org.mrine.backend;

import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The covariance side of a Kalman filter and RTS smoother for one mask pattern over T steps.
 * It depends on the LDM parameters and on which steps have a sample, never on the data, so
 * every trial that shares a pattern shares one track (and the backbone, whose mask is all ones,
 * has a single track per batch). Adjoint tensors sit beside their values.
 *
 * <pre>
 * prior      [T+1,X,X]  P_{t|t-1}; prior[0] = Sigma_0, prior[t+1] = A filt[t] A^T + Q
 * filt       [T,X,X]    P_{t|t}
 * gain       [T,X,A]    K_t (zero where the sample is missing)
 * cPrior     [T,A,X]    Y_t = C prior[t] where a sample exists: the CPU forward's product, kept
 *                       for its backward (one product per step less; the CUDA kernels recompute it)
 * cholS      [T,A,A]    Cholesky factor of S_t = C prior[t] C^T + R (where a sample exists; its
 *                       triangle is the backend's choice: the CPU stores U = L^T, S = U^T U)
 * smootherGain [T,X,X]  J_t = filt[t] A^T prior[t+1]^-1 (t < T-1)
 * cholNext   [T,X,X]    Cholesky factor of prior[t+1] (t < T-1)
 * smooth     [T,X,X]    P_{t|T}
 * dGain      [T,A,X]    dK_t^T, the gain's adjoint stored transposed (the covariance backward
 *                       takes dX = dK^T as the solve's right-hand side; no transpose per step)
 * dSmootherGain, dSmooth: adjoints accumulated by the mean passes and the loss (with dGain)
 * dFilt, dNextPrior: adjoints passed from the smoother's backward to the filter's (smoothing tracks only)
 * </pre>
 * A filter-only track made by {@link Backend#covarianceForward} may hold prior[t], filt[t] and
 * gain[t] only where mask[t] is set (prior[t] then being the jump from the last sample to t).
 */
public final class CovarianceTrack {
    public final int steps;
    public final int latentDim;
    public final int embeddingDim;
    public final boolean smoothing;

    public final Tensor prior;
    public final Tensor filt;
    public final Tensor gain;
    public final Tensor cPrior;
    public final Tensor cholS;
    public final Tensor smootherGain;
    public final Tensor cholNext;
    public final Tensor smooth;

    public final Tensor dGain;
    public final Tensor dSmootherGain;
    public final Tensor dSmooth;
    public final Tensor dFilt;
    public final Tensor dNextPrior;

    /** The mask pattern [T] this track was last computed for. */
    public final Tensor mask;

    public CovarianceTrack(Workspace ws, int steps, int latentDim, int embeddingDim, boolean smoothing) {
        this.steps = steps;
        this.latentDim = latentDim;
        this.embeddingDim = embeddingDim;
        this.smoothing = smoothing;
        int x = latentDim;
        int a = embeddingDim;
        prior = ws.zeros(steps + 1, x, x);
        filt = ws.zeros(steps, x, x);
        gain = ws.zeros(steps, x, a);
        cPrior = ws.zeros(steps, a, x);
        cholS = ws.zeros(steps, a, a);
        dGain = ws.zeros(steps, a, x);
        int s = smoothing ? steps : 0;
        // a filter-only track needs these adjoints one step at a time (backend scratch)
        dFilt = ws.zeros(s, x, x);
        dNextPrior = ws.zeros(s, x, x);
        smootherGain = ws.zeros(s, x, x);
        cholNext = ws.zeros(s, x, x);
        smooth = ws.zeros(s, x, x);
        dSmootherGain = ws.zeros(s, x, x);
        dSmooth = ws.zeros(s, x, x);
        mask = ws.zeros(steps);
    }

    /** Clears the adjoints before a backward pass. */
    public void zeroGrad() {
        for (Tensor t : adjoints()) t.fill(0f);
    }

    /** The adjoints a backward pass accumulates into, which {@link #zeroGrad} clears. */
    public Tensor[] adjoints() {
        return new Tensor[] {dGain, dSmootherGain, dSmooth, dFilt, dNextPrior};
    }
}
