package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Trials;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The CPU backend's batched mean recursions (trials in parallel, the trials of one track on one
 * worker) against the interface's one-trial-at-a-time definition: the same means, observation
 * adjoints and gain adjoints bit for bit, and the same parameter gradients up to the order in
 * which the workers' sums are added.
 */
class BatchedMeanRecursionTest {
    private static final int X = 6, A = 5, T = 12;
    /** Five trials on three tracks: trials 0, 2 and 4 share track 0. */
    private static final int[] TRACK_OF = {0, 1, 0, 2, 0};
    private static final int B = TRACK_OF.length;

    private final SplittableRandom rng = new SplittableRandom(11);

    private float[] gaussian(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * rng.nextGaussian());
        return v;
    }

    private Tensor tensor(Workspace ws, float[] values, int... shape) {
        Tensor t = ws.zeros(shape);
        t.copyFrom(values);
        return t;
    }

    @Test
    void batchedEqualsTrialByTrial() {
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            float[] a = gaussian(X * X, 0.05), s0 = new float[X * X];
            for (int i = 0; i < X; i++) {
                a[i * X + i] += 0.9f;
                s0[i * X + i] = 1f;
            }
            LdmParams p = new LdmParams(tensor(ws, a, X, X), tensor(ws, gaussian(A * X, 0.6), A, X),
                    tensor(ws, gaussian(X, 0.2), X), tensor(ws, gaussian(A, 0.2), A), tensor(ws, gaussian(X, 0.3), X), tensor(ws, s0, X, X));
            float[] m = new float[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) m[b * T + t] = TRACK_OF[b] == 1 ? (t % 3 != 1 ? 1f : 0f) : TRACK_OF[b] == 2 ? (t % 2) : (t != 4 ? 1f : 0f);
            }
            Tensor mask = tensor(ws, m, B, T), obs = tensor(ws, gaussian(B * T * A, 1), B, T, A);
            CovarianceTrack[] tracks = new CovarianceTrack[3];
            Tensor[] patterns = new Tensor[3];
            for (int i = 0; i < 3; i++) {
                tracks[i] = new CovarianceTrack(ws, T, X, A, false);
                patterns[i] = Trials.row(mask, firstTrialOf(i));
            }
            cpu.kalmanCovarianceForward(p, patterns, tracks, 3);
            CovarianceTrack[] trackOf = new CovarianceTrack[B];
            for (int b = 0; b < B; b++) trackOf[b] = tracks[TRACK_OF[b]];
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
        for (int b = 0; b < B; b++) dGain[TRACK_OF[b]] = trackOf[b].dGain.toArray();
        return new Result(filt.toArray(), pred.toArray(), dObs.toArray(), dGain, grad.a().toArray(), grad.c().toArray());
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
