package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Sums;
import org.mrine.backend.Trials;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The CPU backend's batched mean recursions (trials in parallel, then each track's sums over its
 * trials in trial order, in step chunks over the threads) against the interface's
 * one-trial-at-a-time definition: the same means, observation adjoints, gain and smoother-gain
 * adjoints, latent smoothness and its adjoints bit for bit, and the same parameter gradients up to
 * the order in which the workers' sums are added.
 */
class BatchedMeanRecursionTest {
    private static final int X = 6, A = 5, T = 12;
    /** Five trials on three tracks: trials 0, 2 and 4 share track 0. */
    private static final int[] TRACK_OF = {0, 1, 0, 2, 0};
    private static final int B = TRACK_OF.length;

    private final RandomLdm random = new RandomLdm(11);

    private float[] gaussian(int n, double scale) {
        return random.gaussian(n, scale);
    }

    private static Tensor tensor(Workspace ws, float[] values, int... shape) {
        return RandomLdm.tensor(ws, values, shape);
    }

    /** Three observation patterns, one per track: trials on track 1 miss every third step, on track 2 every other. */
    private Tensor mask(Workspace ws) {
        float[] m = new float[B * T];
        for (int b = 0; b < B; b++) {
            for (int t = 0; t < T; t++) m[b * T + t] = TRACK_OF[b] == 1 ? (t % 3 != 1 ? 1f : 0f) : TRACK_OF[b] == 2 ? (t % 2) : (t != 4 ? 1f : 0f);
        }
        return tensor(ws, m, B, T);
    }

    /** The tracks (covariances filtered, and smoothed where asked) and, per trial, the track it is on. */
    private static CovarianceTrack[] trackOf(CpuBackend cpu, LdmParams p, Tensor mask, boolean smoothing) {
        CovarianceTrack[] tracks = new CovarianceTrack[3];
        Tensor[] patterns = new Tensor[3];
        for (int i = 0; i < 3; i++) {
            tracks[i] = new CovarianceTrack(cpu.workspace(), T, X, A, smoothing);
            patterns[i] = Trials.row(mask, firstTrialOf(i));
        }
        cpu.kalmanCovarianceForward(p, patterns, tracks, 3);
        if (smoothing) cpu.rtsCovarianceForward(p, tracks, 3);
        CovarianceTrack[] trackOf = new CovarianceTrack[B];
        for (int b = 0; b < B; b++) trackOf[b] = tracks[TRACK_OF[b]];
        return trackOf;
    }

    @Test
    void batchedEqualsTrialByTrial() {
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            LdmParams p = random.params(ws, X, A);
            Tensor mask = mask(ws), obs = tensor(ws, gaussian(B * T * A, 1), B, T, A);
            CovarianceTrack[] trackOf = trackOf(cpu, p, mask, false);
            float[] dFiltIn = gaussian(B * T * X, 1), dPredIn = gaussian(B * T * X, 1);

            Result one = run(cpu, p, trackOf, obs, mask, dFiltIn, dPredIn, false);
            Result batched = run(cpu, p, trackOf, obs, mask, dFiltIn, dPredIn, true);
            assertArrayEquals(one.filt, batched.filt, "filtered means");
            assertArrayEquals(one.pred, batched.pred, "predicted means");
            assertArrayEquals(one.dObs, batched.dObs, "observation adjoints");
            for (int i = 0; i < 3; i++) assertArrayEquals(one.dGain[i], batched.dGain[i], "dGain of track " + i);
            assertClose(one.gradA, batched.gradA, "gradient of A");
            assertClose(one.gradC, batched.gradC, "gradient of C");
        }
    }

    @Test
    void batchedSmootherAndLatentSmoothnessEqualTrialByTrial() {
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            LdmParams p = random.params(ws, X, A);
            Tensor mask = mask(ws);
            CovarianceTrack[] trackOf = trackOf(cpu, p, mask, true);
            Tensor filt = tensor(ws, gaussian(B * T * X, 1), B, T, X), pred = tensor(ws, gaussian(B * T * X, 1), B, T, X);
            float[] dSmoothIn = gaussian(B * T * X, 1), dFiltIn = gaussian(B * T * X, 1), dPredIn = gaussian(B * T * X, 1);

            Smoothed one = smooth(cpu, trackOf, filt, pred, dSmoothIn, dFiltIn, dPredIn, false);
            Smoothed batched = smooth(cpu, trackOf, filt, pred, dSmoothIn, dFiltIn, dPredIn, true);
            assertArrayEquals(one.smooth, batched.smooth, "smoothed means");
            assertArrayEquals(one.dFilt, batched.dFilt, "filtered-mean adjoints");
            assertArrayEquals(one.dPred, batched.dPred, "predicted-mean adjoints");
            assertArrayEquals(one.dSmooth, batched.dSmooth, "smoothed-mean adjoints after the latent smoothness");
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(one.dSmootherGain[i], batched.dSmootherGain[i], "dSmootherGain of track " + i);
                assertArrayEquals(one.dSmoothCov[i], batched.dSmoothCov[i], "smoothed-covariance adjoints of track " + i);
            }
            assertEquals(one.latentSmoothness, batched.latentSmoothness, 0.0, "latent smoothness");
            assertTrue(one.latentSmoothness > 0, "the latent smoothness of differing neighbours is positive");
        }
    }

    private record Smoothed(float[] smooth, float[] dFilt, float[] dPred, float[] dSmooth, float[][] dSmootherGain,
                            float[][] dSmoothCov, double latentSmoothness) {
    }

    /** Smoothed means, the latent smoothness of the first 4 coordinates, then the smoother's backward. */
    private Smoothed smooth(CpuBackend be, CovarianceTrack[] trackOf, Tensor filt, Tensor pred, float[] dSmoothIn,
                            float[] dFiltIn, float[] dPredIn, boolean batched) {
        Workspace ws = be.workspace();
        Tensor smooth = ws.zeros(B, T, X), dSmooth = tensor(ws, dSmoothIn, B, T, X);
        Tensor dFilt = tensor(ws, dFiltIn, B, T, X), dPred = tensor(ws, dPredIn, B, T, X);
        for (CovarianceTrack tr : trackOf) tr.zeroGrad();
        final int dims = 4;
        final float scale = 0.7f;
        double latent = 0;
        if (batched) {
            be.rtsMeanForward(trackOf, filt, pred, smooth);
            Sums sums = be.sums(1);
            be.latentSmoothness(smooth, trackOf, dims, scale, dSmooth, sums, 0);
            latent = sums.read()[0];
            be.rtsMeanBackward(trackOf, filt, pred, smooth, dSmooth, dFilt, dPred);
        } else {
            for (int b = 0; b < B; b++) be.rtsMeanForward(trackOf[b], Trials.of(filt, b), Trials.of(pred, b), Trials.of(smooth, b));
            for (int b = 0; b < B; b++) latent += be.latentSmoothness(Trials.of(smooth, b), trackOf[b], dims, scale, Trials.of(dSmooth, b));
            for (int b = 0; b < B; b++) {
                be.rtsMeanBackward(trackOf[b], Trials.of(filt, b), Trials.of(pred, b), Trials.of(smooth, b),
                        Trials.of(dSmooth, b), Trials.of(dFilt, b), Trials.of(dPred, b));
            }
        }
        float[][] dJ = new float[3][], dCov = new float[3][];
        for (int b = 0; b < B; b++) {
            dJ[TRACK_OF[b]] = trackOf[b].dSmootherGain.toArray();
            dCov[TRACK_OF[b]] = trackOf[b].dSmooth.toArray();
        }
        return new Smoothed(smooth.toArray(), dFilt.toArray(), dPred.toArray(), dSmooth.toArray(), dJ, dCov, latent);
    }

    private static int firstTrialOf(int track) {
        for (int b = 0; b < B; b++) if (TRACK_OF[b] == track) return b;
        throw new IllegalArgumentException("no trial on track " + track);
    }

    private record Result(float[] filt, float[] pred, float[] dObs, float[][] dGain, float[] gradA, float[] gradC) {
    }

    private Result run(Backend be, LdmParams p, CovarianceTrack[] trackOf, Tensor obs, Tensor mask,
                       float[] dFiltIn, float[] dPredIn, boolean batched) {
        Workspace ws = be.workspace();
        Tensor filt = ws.zeros(B, T, X), pred = ws.zeros(B, T, X), dObs = ws.zeros(B, T, A);
        Tensor dFilt = tensor(ws, dFiltIn, B, T, X), dPred = tensor(ws, dPredIn, B, T, X);
        LdmParams grad = new LdmParams(ws.zeros(X, X), ws.zeros(A, X), ws.zeros(X), ws.zeros(A), null, null);
        for (CovarianceTrack tr : trackOf) tr.zeroGrad();
        if (batched) {
            // the batched backward sets dGain at the steps with a sample: what it held before must not show there
            for (CovarianceTrack tr : trackOf) tr.dGain.fill(Float.NaN);
            be.kalmanMeanForward(p, trackOf, obs, mask, filt, pred);
            be.kalmanMeanBackward(p, trackOf, obs, mask, filt, pred, dFilt, dPred, dObs, grad);
        } else {
            for (int b = 0; b < B; b++) {
                be.kalmanMeanForward(p, trackOf[b], Trials.of(obs, b), Trials.row(mask, b), Trials.of(filt, b), Trials.of(pred, b));
            }
            for (int b = 0; b < B; b++) {
                be.kalmanMeanBackward(p, trackOf[b], Trials.of(obs, b), Trials.row(mask, b), Trials.of(filt, b), Trials.of(pred, b),
                        Trials.of(dFilt, b), Trials.of(dPred, b), Trials.of(dObs, b), grad);
            }
        }
        float[][] dGain = new float[3][];
        for (int b = 0; b < B; b++) dGain[TRACK_OF[b]] = sampledSteps(trackOf[b].dGain.toArray(), Trials.row(mask, b));
        return new Result(filt.toArray(), pred.toArray(), dObs.toArray(), dGain, grad.a().toArray(), grad.c().toArray());
    }

    /** dGain [T,A,X] with the steps without a sample zeroed (what a backend leaves there is unspecified). */
    private static float[] sampledSteps(float[] dGain, Tensor maskRow) {
        int perStep = A * X;
        for (int t = 0; t < T; t++) {
            if (maskRow.get(t) == 0f) java.util.Arrays.fill(dGain, t * perStep, (t + 1) * perStep, 0f);
        }
        return dGain;
    }

    private static void assertClose(float[] want, float[] got, String what) {
        double worst = 0, scale = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
            scale = Math.max(scale, Math.abs(want[i]));
        }
        assertTrue(scale > 0, what + " is all zeros");
        assertEquals(0, worst / scale, 1e-6, what + ": relative difference");
    }
}
