package org.mrine.model;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.CovarianceWork;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Trials;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * A linear dynamical model with its Kalman filter (and, for the backbone, RTS smoother).
 * Parameter names: {@code <prefix>.A, .C, .Q_log_diag, .R_log_diag, .x_0, .Sigma_0}.
 * The initial state x_0, Sigma_0 is fixed (no gradient), as in the reference.
 */
public final class Ldm {
    final String prefix;
    final int latentDim;
    final int embeddingDim;
    final boolean smoothing;
    LdmParams params;
    LdmParams grads;

    public Ldm(String prefix, int latentDim, int embeddingDim, boolean smoothing) {
        this.prefix = prefix;
        this.latentDim = latentDim;
        this.embeddingDim = embeddingDim;
        this.smoothing = smoothing;
    }

    /** The model's tensors (x_0, Sigma_0 included). */
    public LdmParams params() {
        return params;
    }

    void declare(Parameters.Layout layout) {
        layout.add(prefix + ".A", latentDim, latentDim);
        layout.add(prefix + ".C", embeddingDim, latentDim);
        layout.add(prefix + ".Q_log_diag", latentDim);
        layout.add(prefix + ".R_log_diag", embeddingDim);
        layout.add(prefix + ".x_0", latentDim);
        layout.add(prefix + ".Sigma_0", latentDim, latentDim);
    }

    /** Names that receive gradients (x_0 and Sigma_0 are fixed). */
    List<String> trainableNames() {
        return List.of(prefix + ".A", prefix + ".C", prefix + ".Q_log_diag", prefix + ".R_log_diag");
    }

    void bind(Parameters p, Parameters g) {
        params = new LdmParams(p.get(prefix + ".A"), p.get(prefix + ".C"), p.get(prefix + ".Q_log_diag"),
                p.get(prefix + ".R_log_diag"), p.get(prefix + ".x_0"), p.get(prefix + ".Sigma_0"));
        grads = new LdmParams(g.get(prefix + ".A"), g.get(prefix + ".C"), g.get(prefix + ".Q_log_diag"),
                g.get(prefix + ".R_log_diag"), null, null);
    }

    /** The paper's initialization: A = 0.9 I, C = 0.9 randn, Q = 0.5 I, R = I, x_0 = 0, Sigma_0 = s I. */
    void initialize(RandomGenerator rng, float initCovScale) {
        int n = latentDim;
        params.a().fill(0f);
        params.sigma0().fill(0f);
        for (int i = 0; i < n; i++) {
            params.a().set((long) i * n + i, 0.9f);
            params.sigma0().set((long) i * n + i, initCovScale);
        }
        for (long i = 0; i < params.c().size(); i++) params.c().set(i, (float) (0.9 * rng.nextGaussian()));
        params.qLogDiag().fill((float) Math.log(0.5));
        params.rLogDiag().fill(0f);
        params.x0().fill(0f);
    }

    /** Filter (and smoother) state of one batch [B,T]: means per trial, covariances per mask pattern. */
    public final class Run {
        final int trials;
        final int steps;
        final Workspace ws;
        public final Tensor filtMean;   // [B,T,X]
        public final Tensor predMean;   // [B,T,X]  predMean[t] = x_{t+1|t}
        public final Tensor smoothMean; // [B,T,X]  (smoothing only)
        final Tensor dFiltMean;
        final Tensor dPredMean;
        final Tensor dSmoothMean;
        final List<CovarianceTrack> tracks = new ArrayList<>();
        /** The first {@code groups} tracks and their mask rows, as the backend's batched calls take them. */
        CovarianceTrack[] active = new CovarianceTrack[0];
        final Tensor[] activeMasks;
        /** The track of each trial, as the batched mean recursions take them. */
        final CovarianceTrack[] trackOfTrial;
        final int[] representativeOf;
        int groups;

        Run(Workspace ws, int trials, int steps) {
            this.ws = ws;
            this.trials = trials;
            this.steps = steps;
            filtMean = ws.zeros(trials, steps, latentDim);
            predMean = ws.zeros(trials, steps, latentDim);
            dFiltMean = ws.zeros(trials, steps, latentDim);
            dPredMean = ws.zeros(trials, steps, latentDim);
            int s = smoothing ? trials : 0;
            smoothMean = ws.zeros(s, steps, latentDim);
            dSmoothMean = ws.zeros(s, steps, latentDim);
            trackOfTrial = new CovarianceTrack[trials];
            representativeOf = new int[trials];
            activeMasks = new Tensor[trials];
        }

        /** The covariance track trial b uses. */
        public CovarianceTrack track(int b) {
            return trackOfTrial[b];
        }

        public int patterns() {
            return groups;
        }

        /** obs [B,T,A] under mask [B,T] (hostMask: the same values on the heap, to find shared patterns). */
        void forward(Backend be, Tensor obs, Tensor mask, float[] hostMask) {
            be.covarianceForward(new CovarianceWork[] {prepare(mask, hostMask)});
            forwardMeans(be, obs, mask);
        }

        /**
         * Groups the trials by mask row and returns the covariance work for
         * {@link Backend#covarianceForward}, which must run before {@link #forwardMeans}; a model
         * hands the work of all its LDMs over at once.
         */
        CovarianceWork prepare(Tensor mask, float[] hostMask) {
            groupTrials(hostMask);
            if (active.length != tracks.size()) active = tracks.toArray(new CovarianceTrack[0]);
            for (int g = 0; g < groups; g++) activeMasks[g] = Trials.row(mask, representative(g));
            return covarianceWork();
        }

        /** The covariance work of the last {@link #prepare}, for the backward pass too. */
        CovarianceWork covarianceWork() {
            return new CovarianceWork(params, activeMasks, active, groups, smoothing, grads);
        }

        /** The mean recursions, once the tracks hold this batch's covariances. */
        void forwardMeans(Backend be, Tensor obs, Tensor mask) {
            be.kalmanMeanForward(params, trackOfTrial, obs, mask, filtMean, predMean);
            if (smoothing) be.rtsMeanForward(trackOfTrial, filtMean, predMean, smoothMean);
        }

        /**
         * Adds the adjoints a backward pass accumulates into (the means', the active tracks') to
         * {@code out}: a track's dGain not, the batched mean backward sets it ({@link Backend#kalmanMeanBackward}).
         */
        void collectGrads(List<Tensor> out) {
            out.add(dFiltMean);
            out.add(dPredMean);
            out.add(dSmoothMean);
            for (int g = 0; g < groups; g++) {
                for (Tensor t : tracks.get(g).adjoints()) {
                    if (t != tracks.get(g).dGain) out.add(t);
                }
            }
        }

        /** Consumes dFiltMean, dSmoothMean and the tracks' covariance adjoints; writes dObs [B,T,A]. */
        void backward(Backend be, Tensor obs, Tensor mask, Tensor dObs) {
            backwardMeans(be, obs, mask, dObs);
            be.covarianceBackward(new CovarianceWork[] {covarianceWork()});
        }

        /**
         * The mean recursions' backward: writes dObs and leaves the covariance adjoints on the
         * tracks for {@link Backend#covarianceBackward} (which may run later, beside other LDMs').
         */
        void backwardMeans(Backend be, Tensor obs, Tensor mask, Tensor dObs) {
            if (smoothing) be.rtsMeanBackward(trackOfTrial, filtMean, predMean, smoothMean, dSmoothMean, dFiltMean, dPredMean);
            be.kalmanMeanBackward(params, trackOfTrial, obs, mask, filtMean, predMean, dFiltMean, dPredMean, dObs, grads);
        }

        private int representative(int g) {
            return representativeOf[g];
        }

        /** Trials with the same mask row share one covariance track. */
        private void groupTrials(float[] hostMask) {
            groups = 0;
            for (int b = 0; b < trials; b++) {
                int found = -1;
                for (int g = 0; g < groups && found < 0; g++) {
                    if (sameRow(hostMask, b, representative(g))) found = g;
                }
                if (found < 0) {
                    found = groups++;
                    representativeOf[found] = b;
                    // the pool grows only when a batch shows more distinct patterns than any before
                    if (tracks.size() < groups) tracks.add(new CovarianceTrack(ws, steps, latentDim, embeddingDim, smoothing));
                }
                trackOfTrial[b] = tracks.get(found);
            }
        }

        private boolean sameRow(float[] m, int b1, int b2) {
            for (int t = 0; t < steps; t++) if (m[b1 * steps + t] != m[b2 * steps + t]) return false;
            return true;
        }
    }

    public Run run(Workspace ws, int trials, int steps) {
        return new Run(ws, trials, steps);
    }
}
