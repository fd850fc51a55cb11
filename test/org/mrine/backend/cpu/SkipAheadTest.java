package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.CovarianceWork;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Filter-only tracks made at their steps with a sample only ({@link SkipAhead}: the steps between
 * two samples as one jump through A^k and Q_k) hold, at those steps, the covariances, gains and
 * factors of the step-by-step recursion, and give its parameter gradients, to float rounding; alone
 * and sharing their first steps, with long gaps, with no sample at all; bit for bit when run twice.
 */
class SkipAheadTest {
    private static final int X = 16, A = 16, T = 30;
    private final RandomLdm random = new RandomLdm(11);

    /**
     * Masks of both kinds a multiscale model meets: a spike-like modality (70% of the steps kept) and
     * a field-like one (every 5th step, 70% of those kept), some copying an earlier mask up to a
     * random step, one with a sample only at its end, one with none.
     */
    private float[][] masks(int n) {
        return masks(n, 0);
    }

    /**
     * As above; with every > 0 all tracks are sampled every every-th step (70% of those kept, the
     * late single sample on that grid too), so every jump is a multiple of it: the tables and their
     * backward then go in strides of every.
     */
    private float[][] masks(int n, int every) {
        float[][] m = new float[n][T];
        for (int i = 0; i < n; i++) {
            int period = every > 0 ? every : i % 2 == 0 ? 1 : 5;
            int from = i < 2 ? 0 : random.nextInt(i), cut = i < 2 ? 0 : random.nextInt(T);
            for (int t = 0; t < T; t++) {
                m[i][t] = t < cut ? m[from][t] : t % period == 0 && random.nextDouble() < 0.7 ? 1f : 0f;
            }
        }
        java.util.Arrays.fill(m[n - 2], 0f);
        m[n - 2][every > 0 ? (T - 1) / every * every : T - 1] = 1f;
        java.util.Arrays.fill(m[n - 1], 0f);
        return m;
    }

    private static CovarianceTrack[] tracks(Workspace ws, int n) {
        CovarianceTrack[] tracks = new CovarianceTrack[n];
        for (int i = 0; i < n; i++) tracks[i] = new CovarianceTrack(ws, T, X, A, false);
        return tracks;
    }

    /**
     * A scaled to a spectral radius below one, as a trained model's (RandomLdm's 0.9 I + noise can
     * exceed it): growing powers make the recursion itself so sensitive that one ulp of A moves its
     * gradient by 4e-4, and a comparison of two roundings would say nothing.
     */
    private static LdmParams stable(LdmParams p) {
        for (long i = 0; i < p.a().size(); i++) p.a().set(i, 0.85f * p.a().get(i));
        return p;
    }

    private static LdmParams grads(Workspace ws) {
        return new LdmParams(ws.zeros(X, X), ws.zeros(A, X), ws.zeros(X), ws.zeros(A), null, null);
    }

    @Test
    void jumpsGiveTheStepByStepCovariancesAndGradients() {
        // mixed rates (jumps of every length), then every 5th and every 3rd step (strided tables)
        for (int[] setUp : new int[][] {{3, 0}, {14, 0}, {12, 5}, {10, 3}}) {
            int n = setUp[0];
            float[][] m = masks(n, setUp[1]);
            try (CpuBackend cpu = new CpuBackend()) {
                Workspace ws = cpu.workspace();
                LdmParams p = stable(random.params(ws, X, A));
                Tensor[] masks = new Tensor[n];
                for (int i = 0; i < n; i++) masks[i] = RandomLdm.tensor(ws, m[i], T);
                CovarianceTrack[] jumps = tracks(ws, n), steps = tracks(ws, n);
                cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p, masks, jumps, n, false, null)}, true);
                cpu.kalmanCovarianceForward(p, masks, steps, n);
                final int xx = X * X, xa = X * A, aa = A * A;
                for (int i = 0; i < n; i++) {
                    for (int t = 0; t < T; t++) {
                        if (m[i][t] == 0f) continue;
                        String at = n + " tracks, track " + i + " step " + t;
                        close(steps[i].prior, jumps[i].prior, t * xx, xx, 1e-4, at + " prior");
                        close(steps[i].filt, jumps[i].filt, t * xx, xx, 1e-4, at + " filt");
                        close(steps[i].gain, jumps[i].gain, t * xa, xa, 1e-4, at + " gain");
                        close(steps[i].cPrior, jumps[i].cPrior, t * xa, xa, 1e-4, at + " cPrior");
                        close(steps[i].cholS, jumps[i].cholS, t * aa, aa, 1e-4, at + " cholS");
                    }
                }
                // what the mean passes would have left: a gain adjoint per track where it has samples
                for (int i = 0; i < n; i++) {
                    float[] dGain = random.gaussian((int) jumps[i].dGain.size(), 0.5);
                    for (int t = 0; t < T; t++) {
                        if (m[i][t] == 0f) java.util.Arrays.fill(dGain, t * xa, (t + 1) * xa, 0f);
                    }
                    jumps[i].dGain.copyFrom(dGain);
                    steps[i].dGain.copyFrom(dGain);
                }
                LdmParams byJumps = grads(ws), again = grads(ws), bySteps = grads(ws);
                cpu.covarianceBackward(new CovarianceWork[] {new CovarianceWork(p, masks, jumps, n, false, byJumps)});
                cpu.covarianceBackward(new CovarianceWork[] {new CovarianceWork(p, masks, jumps, n, false, again)});
                cpu.kalmanCovarianceBackward(p, steps, n, bySteps);
                // the pass's backward always jumps: from tracks made at every step too (inference's forward)
                LdmParams fromSteps = grads(ws);
                cpu.covarianceBackward(new CovarianceWork[] {new CovarianceWork(p, masks, steps, n, false, fromSteps)});
                String[] names = {"A", "C", "Q_log_diag", "R_log_diag"};
                Tensor[] got = {byJumps.a(), byJumps.c(), byJumps.qLogDiag(), byJumps.rLogDiag()};
                Tensor[] twice = {again.a(), again.c(), again.qLogDiag(), again.rLogDiag()};
                Tensor[] want = {bySteps.a(), bySteps.c(), bySteps.qLogDiag(), bySteps.rLogDiag()};
                Tensor[] jumpedBack = {fromSteps.a(), fromSteps.c(), fromSteps.qLogDiag(), fromSteps.rLogDiag()};
                for (int k = 0; k < 4; k++) {
                    close(want[k], got[k], 0, (int) want[k].size(), 1e-5, n + " tracks, grad " + names[k]);
                    close(want[k], jumpedBack[k], 0, (int) want[k].size(), 1e-5, n + " tracks, from every step, grad " + names[k]);
                    float[] x = got[k].toArray(), z = twice[k].toArray();
                    for (int i = 0; i < x.length; i++) {
                        assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(z[i]), "grad " + names[k] + " twice, entry " + i);
                    }
                }
            }
        }
    }

    @Test
    void jumpLengths() {
        try (CpuBackend cpu = new CpuBackend()) {
            Tensor mask = RandomLdm.tensor(cpu.workspace(), new float[] {0, 0, 1, 1, 0, 0, 0, 1, 0}, 9);
            assertEquals(2, SkipAhead.jumpInto(mask, 2), "from prior[0] = Sigma_0");
            assertEquals(1, SkipAhead.jumpInto(mask, 3));
            assertEquals(4, SkipAhead.jumpInto(mask, 7));
            assertEquals(4, SkipAhead.longestJump(mask, 9, 0));
            assertEquals(4, SkipAhead.longestJump(mask, 9, 4));
            assertEquals(0, SkipAhead.longestJump(mask, 9, 8));
            // jumps 2, 1, 4: divisor 1; every 5th step from 0, then 10 (jumps 5, 10): 5; none: 0
            assertEquals(1, SkipAhead.jumpDivisor(mask, 9, 0));
            Tensor fifth = RandomLdm.tensor(cpu.workspace(), new float[] {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 16);
            assertEquals(5, SkipAhead.jumpDivisor(fifth, 16, 0));
            assertEquals(5, SkipAhead.jumpDivisor(fifth, 16, 10));
            assertEquals(1, SkipAhead.jumpDivisor(fifth, 16, 3));
            assertEquals(0, SkipAhead.jumpDivisor(RandomLdm.tensor(cpu.workspace(), new float[4], 4), 4, 0));
        }
    }

    /** max |want - got| over [from, from + n) <= tol * max |want| there. */
    private static void close(Tensor want, Tensor got, int from, int n, double tol, String what) {
        float[] w = want.toArray(), g = got.toArray();
        double worst = 0, scale = 0;
        for (int i = from; i < from + n; i++) {
            worst = Math.max(worst, Math.abs(w[i] - g[i]));
            scale = Math.max(scale, Math.abs(w[i]));
        }
        assertTrue(scale > 0, what + " is zero");
        assertTrue(worst <= tol * scale, what + ": max |jumps - steps| " + worst + " against max |steps| " + scale);
    }
}
