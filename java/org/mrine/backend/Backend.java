package org.mrine.backend;

import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Layer-level operations of the MRINE model, each forward beside its backward. The model and the
 * trainer compose these calls on tensors the backend allocated; they never touch memory
 * themselves. The CPU backend is the readable specification, the CUDA backend its twin, op for op.
 *
 * <p>Shape letters: B trials, T steps, R rows (= B*T flattened), N channels, I/O layer input and
 * output widths, A embedding size, X latent size. Backward methods accumulate ({@code +=}) into
 * gradients unless said otherwise, so the caller zeroes gradient buffers once per step.
 */
public interface Backend extends AutoCloseable {

    String name();

    /** Where this backend's tensors live; closing the backend frees them. */
    Workspace workspace();

    // ---------------------------------------------------------------- dense (MLP) layer

    /** out[R,O] = act(in[R,I] W^T + b), act = tanh or identity; bias may be null. */
    void denseForward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out);

    /**
     * Backward of {@link #denseForward}. dOut [R,O] is overwritten (by the pre-activation
     * gradient); dIn [R,I] (null to skip), dWeight and dBias (nullable) accumulate.
     */
    void denseBackward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut,
                       Tensor dIn, Tensor dWeight, Tensor dBias);

    /**
     * The weight [O,I] of a dense layer copied into this backend's layout for one-row inference
     * ({@link #denseForwardRow}), for weights that no longer change (streaming): later changes to
     * weight do not reach the copy. The CPU keeps W^T [I,O].
     */
    Tensor frozenDenseWeight(Tensor weight);

    /**
     * out[1,O] = act(in[1,I] W^T + b) with a weight from {@link #frozenDenseWeight}: one row of
     * {@link #denseForward}, equal to it up to the order of the sums.
     */
    void denseForwardRow(Tensor in, Tensor frozenWeight, Tensor bias, boolean tanh, Tensor out);

    // ---------------------------------------------------------------- Kalman filter

    /**
     * Filter covariances of tracks[0..count) for their mask patterns masks[i] [T] (values 0/1).
     * The tracks are independent: a backend may run them in parallel.
     */
    void kalmanCovarianceForward(LdmParams p, Tensor[] masks, CovarianceTrack[] tracks, int count);

    /**
     * Backward of the covariance recursions: consumes each track's dGain and dFilt (and what the
     * smoother backward left in dNextPrior), accumulates into grad's A, C, Q, R.
     */
    void kalmanCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad);

    /**
     * Filtered means of one trial: filtMean[T,X] and next-step predictions predMean[T,X]
     * (predMean[t] = A filtMean[t]) from observations obs[T,A] under mask[T].
     */
    void kalmanMeanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                           Tensor filtMean, Tensor predMean);

    /**
     * Backward of {@link #kalmanMeanForward} for one trial. dFiltMean and dPredMean [T,X] hold the
     * incoming gradients and are used as accumulators (left modified); dObs [T,A] is written;
     * track.dGain and grad's A and C accumulate.
     */
    void kalmanMeanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                            Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                            Tensor dObs, LdmParams grad);

    /**
     * {@link #kalmanMeanForward} for every trial of a batch: obs [B,T,A], mask [B,T], filtMean and
     * predMean [B,T,X]; trial b uses trackOf[b] (B = trackOf.length). Trials are independent: a
     * backend may run them in parallel. The default runs them one after another.
     */
    default void kalmanMeanForward(LdmParams p, CovarianceTrack[] trackOf, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean) {
        for (int b = 0; b < trackOf.length; b++) {
            kalmanMeanForward(p, trackOf[b], Trials.of(obs, b), Trials.row(mask, b), Trials.of(filtMean, b), Trials.of(predMean, b));
        }
    }

    /**
     * {@link #kalmanMeanBackward} for every trial of a batch (shapes as in the batched forward).
     * Unlike the one-trial form it sets each track's dGain, where it does not add: at every step
     * where the track's trials have a sample (they share its mask) dGain holds the sum of their
     * terms, in trial order; what it holds at other steps is unspecified (the covariance backward
     * reads it nowhere else). Callers need not zero dGain before, the largest adjoint of a track
     * (T x A x X). A backend may run trials of different tracks in parallel. The default zeroes the
     * tracks' dGain, then runs the trials one after another.
     */
    default void kalmanMeanBackward(LdmParams p, CovarianceTrack[] trackOf, Tensor obs, Tensor mask,
                                    Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                    Tensor dObs, LdmParams grad) {
        zero(java.util.Arrays.stream(trackOf).distinct().map(track -> track.dGain).toList());
        for (int b = 0; b < trackOf.length; b++) {
            kalmanMeanBackward(p, trackOf[b], Trials.of(obs, b), Trials.row(mask, b), Trials.of(filtMean, b),
                    Trials.of(predMean, b), Trials.of(dFiltMean, b), Trials.of(dPredMean, b), Trials.of(dObs, b), grad);
        }
    }

    // ---------------------------------------------------------------- RTS smoother

    /** Smoother gains and smoothed covariances of filtered tracks[0..count) (independent). */
    void rtsCovarianceForward(LdmParams p, CovarianceTrack[] tracks, int count);

    /**
     * Backward of {@link #rtsCovarianceForward}: consumes each track's dSmooth and dSmootherGain,
     * adds into its dFilt and dNextPrior and into grad's A. Run before the filter's covariance
     * backward.
     */
    void rtsCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad);

    /**
     * The Kalman (and, where {@link CovarianceWork#smoothing}, RTS) covariance forward of several
     * LDMs, which depend on nothing but their parameters and masks. Here one after the other; a
     * backend may run all their tracks side by side (the CPU does). Every step of every track, as
     * the streaming decoder steps (its x_filter then equals the batch filter's bit for bit).
     */
    default void covarianceForward(CovarianceWork[] work) {
        covarianceForward(work, false);
    }

    /**
     * As above; with samplesOnly (a training step: its backward follows), the tracks of an LDM
     * without smoothing may be made at their steps with a sample only: nothing but the gain reads
     * them, and it is zero elsewhere. A backend may then leave the other steps' entries unset and
     * jump from one sample to the next (the CPU does, {@code SkipAhead}): the same function in other
     * rounding. {@link #covarianceBackward} must take tracks made either way.
     */
    default void covarianceForward(CovarianceWork[] work, boolean samplesOnly) {
        for (CovarianceWork w : work) {
            kalmanCovarianceForward(w.params(), w.masks(), w.tracks(), w.count());
            if (w.smoothing()) rtsCovarianceForward(w.params(), w.tracks(), w.count());
        }
    }

    /**
     * Backward of {@link #covarianceForward}, once the mean passes have left their adjoints on the
     * tracks: for each LDM the RTS part, then the Kalman part, each adding to {@link CovarianceWork#grads}
     * as {@link #rtsCovarianceBackward} and {@link #kalmanCovarianceBackward} do (same sums, same order).
     */
    default void covarianceBackward(CovarianceWork[] work) {
        for (CovarianceWork w : work) {
            if (w.smoothing()) rtsCovarianceBackward(w.params(), w.tracks(), w.count(), w.grads());
            kalmanCovarianceBackward(w.params(), w.tracks(), w.count(), w.grads());
        }
    }

    /** Smoothed means smoothMean[T,X] of one trial. */
    void rtsMeanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean);

    /**
     * Backward of {@link #rtsMeanForward}: dSmoothMean [T,X] is consumed (left modified), dFiltMean
     * and dPredMean accumulate, track.dSmootherGain accumulates.
     */
    void rtsMeanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                         Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean);

    /**
     * {@link #rtsMeanForward} for every trial of a batch: filtMean, predMean, smoothMean [B,T,X];
     * trial b uses trackOf[b]. Trials are independent: a backend may run them in parallel. The
     * default runs them one after another.
     */
    default void rtsMeanForward(CovarianceTrack[] trackOf, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        for (int b = 0; b < trackOf.length; b++) {
            rtsMeanForward(trackOf[b], Trials.of(filtMean, b), Trials.of(predMean, b), Trials.of(smoothMean, b));
        }
    }

    /**
     * {@link #rtsMeanBackward} for every trial of a batch (shapes as in the batched forward). The
     * trials that share a track accumulate into its dSmootherGain in trial order; a backend may run
     * the rest in parallel. The default runs the trials one after another.
     */
    default void rtsMeanBackward(CovarianceTrack[] trackOf, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                 Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        for (int b = 0; b < trackOf.length; b++) {
            rtsMeanBackward(trackOf[b], Trials.of(filtMean, b), Trials.of(predMean, b), Trials.of(smoothMean, b),
                    Trials.of(dSmoothMean, b), Trials.of(dFiltMean, b), Trials.of(dPredMean, b));
        }
    }

    /** Sets every element of the tensors to zero (the gradients before a backward pass). */
    default void zero(java.util.List<Tensor> tensors) {
        for (Tensor t : tensors) t.fill(0f);
    }

    // ---------------------------------------------------------------- likelihoods

    /**
     * Poisson log-likelihood of counts[B,T,N] under rates exp(clamp(logRate, -5, 5)) with
     * logRate[B,T,N] predicting step t + shift: sum over (b, t < T - shift, n) of
     * mask[b, t+shift] * (s log r - r - lgamma(s+1)). Adds scale * d(sum)/d(logRate) into dLogRate.
     */
    double poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale,
                                Tensor dLogRate);

    /** Gaussian counterpart with fixed variance: -0.5 log(2 pi var) - (y - mu)^2 / (2 var). */
    double gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance,
                                 float scale, Tensor dMean);

    // ---------------------------------------------------------------- smoothness (KL) terms

    /**
     * Sum over consecutive available samples (t, t') of trial logRate[T,N] (mask[T]) and channels
     * of KL between Poisson rates: r log(r / r') + r' - r. Adds scale * gradient into dLogRate.
     */
    double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate);

    /** Same over Gaussian means[T,N] with a fixed variance: (mu' - mu)^2 / (2 var). */
    double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean);

    /**
     * Sum over all steps t < T-1 and the first {@code dims} latent dimensions of the Gaussian KL
     * between N(mu_t, v_t) and N(mu_{t+1}, v_{t+1}), means from smoothMean[T,X], variances from
     * the diagonal of track.smooth. Adds scale * gradient into dSmoothMean and track.dSmooth.
     */
    double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale,
                            Tensor dSmoothMean);

    // ---------------------------------------------------------------- loss terms into Sums
    //
    // The same terms as above, added into a slot of a Sums that the backend keeps (a GPU: on the
    // device) instead of returned, so that a training step reads all of them at once. The defaults
    // call the ops above and add their results on the host, in the order of the loops below; a
    // device backend overrides them.

    /** New zeroed sums of this backend ({@code slots} slots). */
    default Sums sums(int slots) {
        return new Sums(slots);
    }

    /** {@link #poissonLogLikelihood} added into sums[slot]. */
    default void poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate,
                                      Sums sums, int slot) {
        sums.add(slot, poissonLogLikelihood(logRate, counts, mask, shift, scale, dLogRate));
    }

    /** {@link #gaussianLogLikelihood} added into sums[slot]. */
    default void gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance, float scale,
                                       Tensor dMean, Sums sums, int slot) {
        sums.add(slot, gaussianLogLikelihood(mean, data, mask, shift, variance, scale, dMean));
    }

    /**
     * {@link #poissonSmoothness} of every trial of a batch: logRate and dLogRate [B,T,N], mask [B,T];
     * trial b (those with divisor[b] > 0, in trial order) adds its sum / divisor[b] into sums[slot]
     * and scale[b] times its gradient into dLogRate.
     */
    default void poissonSmoothness(Tensor logRate, Tensor mask, float[] scale, double[] divisor, Tensor dLogRate,
                                   Sums sums, int slot) {
        for (int b = 0; b < divisor.length; b++) {
            if (divisor[b] <= 0) continue;
            double trial = poissonSmoothness(Trials.of(logRate, b), Trials.row(mask, b), scale[b], Trials.of(dLogRate, b));
            sums.add(slot, trial / divisor[b]);
        }
    }

    /** {@link #gaussianSmoothness} of every trial of a batch, as {@link #poissonSmoothness(Tensor, Tensor, float[], double[], Tensor, Sums, int)}. */
    default void gaussianSmoothness(Tensor mean, Tensor mask, float variance, float[] scale, double[] divisor, Tensor dMean,
                                    Sums sums, int slot) {
        for (int b = 0; b < divisor.length; b++) {
            if (divisor[b] <= 0) continue;
            double trial = gaussianSmoothness(Trials.of(mean, b), Trials.row(mask, b), variance, scale[b], Trials.of(dMean, b));
            sums.add(slot, trial / divisor[b]);
        }
    }

    /**
     * {@link #latentSmoothness} of every trial of a batch: smoothMean and dSmoothMean [B,T,X], trial b
     * on track trackOf[b]; the trials' sums go into sums[slot] in trial order.
     */
    default void latentSmoothness(Tensor smoothMean, CovarianceTrack[] trackOf, int dims, float scale, Tensor dSmoothMean,
                                  Sums sums, int slot) {
        for (int b = 0; b < trackOf.length; b++) {
            sums.add(slot, latentSmoothness(Trials.of(smoothMean, b), trackOf[b], dims, scale, Trials.of(dSmoothMean, b)));
        }
    }

    /**
     * The L2 penalty on weights (the sum of their Frobenius norms) and its gradient: for each i in
     * order, sums[slot] += |w_i| and, where |w_i| > 0, grads[i] += (float) (scale / |w_i|) w_i.
     */
    default void l2Penalty(Tensor[] weights, Tensor[] grads, double scale, Sums sums, int slot) {
        for (int i = 0; i < weights.length; i++) {
            double norm = Math.sqrt(sumSquares(weights[i]));
            sums.add(slot, norm);
            if (norm > 0) axpy((float) (scale / norm), weights[i], grads[i]);
        }
    }

    /**
     * Global gradient-norm clip as torch.nn.utils.clip_grad_norm_: with norm = |grads|, grads *=
     * (float) (maxNorm / (norm + 1e-6)) when maxNorm > 0 and that factor is below 1; sums[slot] +=
     * norm (before clipping).
     */
    default void clipGradNorm(Tensor grads, double maxNorm, Sums sums, int slot) {
        double norm = Math.sqrt(sumSquares(grads));
        if (maxNorm > 0) {
            double coef = maxNorm / (norm + 1e-6);
            if (coef < 1) scale(grads, (float) coef);
        }
        sums.add(slot, norm);
    }

    // ---------------------------------------------------------------- small tensor ops

    /** out = where(mask > 0, in, 0) per row: in[R,N], mask[R]. Missing samples must never reach a network. */
    void maskRows(Tensor in, Tensor mask, Tensor out);

    /** dst[R, offset .. offset+n) = src[R,n]. */
    void copyColumns(Tensor src, Tensor dst, int offset);

    /** dst[R,n] = src[R, offset .. offset+n). */
    void sliceColumns(Tensor src, int offset, Tensor dst);

    /** out = x * factor, elementwise (out may be x). */
    void multiply(Tensor x, Tensor factor, Tensor out);

    /**
     * Inverted-dropout factors, one per element of out in element order: element i's is
     * {@link CounterStream.DropoutFactors#at}(i) of the stream at {@code state}. The caller moves the stream past out.size()
     * draws. The default draws on the host, one after another; a backend may draw in parallel (the
     * same bits).
     */
    default void dropoutFactors(Tensor out, long state, double p) {
        out.setInOrder(new CounterStream.DropoutFactors(state, p)::at);
    }

    /** y += alpha * x. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** Sum of squares, accumulated in double. */
    double sumSquares(Tensor x);

    // ---------------------------------------------------------------- optimizer

    /**
     * One Adam step (PyTorch semantics, no weight decay) over flat vectors params, grads, m, v [P]:
     * m and v are the first and second moments, updated in place; step counts from 1. The scalars
     * are doubles, as PyTorch's are Python floats: coefficients such as 1 - beta2 are formed in
     * double and rounded once to float32.
     */
    void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                  double eps, int step);

    /** x *= alpha (the gradient-norm clip). */
    void scale(Tensor x, float alpha);

    @Override
    void close();
}
