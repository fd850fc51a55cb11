package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.CovarianceWork;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * Tracks that copy the steps they share with an earlier track ({@link SharedPrefixes}) hold the same
 * covariances, gains and factors, bit for bit, as tracks computed alone; tracks of different LDMs
 * share nothing; a step is copied only once its donor has finished it.
 */
class SharedPrefixesTest {
    private static final int X = 16, A = 16, T = 24;
    private final RandomLdm random = new RandomLdm(5);

    private static Tensor tensor(Workspace ws, float[] values, int... shape) {
        return RandomLdm.tensor(ws, values, shape);
    }

    /**
     * Masks as time dropout makes them, with prefixes in common: each after the first copies an earlier
     * one up to a random step and draws its own samples (70% kept) from there; one copies another whole,
     * one differs from the first step on.
     */
    private float[][] masks(int n) {
        float[][] m = new float[n][T];
        for (int i = 0; i < n; i++) {
            int from = i == 0 ? 0 : random.nextInt(i), cut = i == 0 ? 0 : i == 3 ? T : i == 5 ? 0 : random.nextInt(T);
            for (int t = 0; t < T; t++) m[i][t] = t < cut ? m[from][t] : random.nextDouble() < 0.7 ? 1f : 0f;
        }
        if (n > 5) m[5][0] = 1f - m[0][0];
        return m;
    }

    private static Tensor[] masks(Workspace ws, float[][] m) {
        Tensor[] masks = new Tensor[m.length];
        for (int i = 0; i < m.length; i++) masks[i] = tensor(ws, m[i], T);
        return masks;
    }

    private static CovarianceTrack[] tracks(Workspace ws, int n) {
        CovarianceTrack[] tracks = new CovarianceTrack[n];
        for (int i = 0; i < n; i++) tracks[i] = new CovarianceTrack(ws, T, X, A, false);
        return tracks;
    }

    /** Every step's entries, or with sampledOnly (a track made at its samples only, {@link SkipAhead}) those of the steps with a sample. */
    private static void assertSameTrack(CovarianceTrack want, CovarianceTrack got, float[] mask, boolean sampledOnly, String what) {
        final int xx = X * X, xa = X * A, aa = A * A;
        float[] wp = want.prior.toArray(), gp = got.prior.toArray(), wf = want.filt.toArray(), gf = got.filt.toArray();
        float[] wg = want.gain.toArray(), gg = got.gain.toArray(), wy = want.cPrior.toArray(), gy = got.cPrior.toArray();
        float[] ws = want.cholS.toArray(), gs = got.cholS.toArray();
        for (int t = 0; t <= T; t++) {
            if (!sampledOnly || t < T && mask[t] > 0f) same(wp, gp, t * xx, xx, what + " prior[" + t + "]");
        }
        for (int t = 0; t < T; t++) {
            if (sampledOnly && mask[t] == 0f) continue;
            same(wf, gf, t * xx, xx, what + " filt[" + t + "]");
            same(wg, gg, t * xa, xa, what + " gain[" + t + "]");
            if (mask[t] > 0f) {
                same(wy, gy, t * xa, xa, what + " cPrior[" + t + "]");
                same(ws, gs, t * aa, aa, what + " cholS[" + t + "]");
            }
        }
    }

    private static void same(float[] want, float[] got, int from, int n, String what) {
        for (int i = from; i < from + n; i++) {
            assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), what + " entry " + (i - from));
        }
    }

    @Test
    void sharedStepsHoldTheBitsOfTracksComputedAlone() {
        final int n = 12;
        float[][] m = masks(n);
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            LdmParams p = random.params(ws, X, A);
            Tensor[] masks = masks(ws, m);
            CovarianceTrack[] together = tracks(ws, n), alone = tracks(ws, n);
            cpu.kalmanCovarianceForward(p, masks, together, n);
            for (int i = 0; i < n; i++) cpu.kalmanCovarianceForward(p, new Tensor[] {masks[i]}, new CovarianceTrack[] {alone[i]}, 1);
            for (int i = 0; i < n; i++) assertSameTrack(alone[i], together[i], m[i], false, "track " + i);
            // the same for tracks made at their samples only (a pass's filter-only LDM)
            CovarianceTrack[] jumpsTogether = tracks(ws, n), jumpsAlone = tracks(ws, n);
            cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p, masks, jumpsTogether, n, false, null)}, true);
            for (int i = 0; i < n; i++) {
                cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p, new Tensor[] {masks[i]}, new CovarianceTrack[] {jumpsAlone[i]}, 1, false, null)}, true);
            }
            for (int i = 0; i < n; i++) assertSameTrack(jumpsAlone[i], jumpsTogether[i], m[i], true, "skipping track " + i);

            // the donors: the longest prefix among earlier tracks (track 3 copies an earlier one whole, 5 shares nothing)
            SharedPrefixes sp = new SharedPrefixes();
            sp.start(n, masks, together, new int[n], false);
            int sharing = 0;
            for (int i = 0; i < n; i++) {
                int longest = 0;
                for (int d = 0; d < i; d++) {
                    int same = 0;
                    while (same < T && m[d][same] == m[i][same]) same++;
                    longest = Math.max(longest, same);
                }
                assertEquals(longest, sp.sharedSteps(i), "steps track " + i + " shares");
                if (longest > 0) sharing++;
            }
            assertEquals(T, sp.sharedSteps(3));
            assertEquals(0, sp.sharedSteps(5));
            assertTrue(sharing >= n / 2, "tracks with a shared prefix: " + sharing);
        }
    }

    @Test
    void aStepIsCopiedOnlyOnceItsDonorHasFinishedIt() {
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            float[] ones = new float[T];
            java.util.Arrays.fill(ones, 1f);
            Tensor[] masks = {tensor(ws, ones, T), tensor(ws, ones, T)};
            CovarianceTrack[] tracks = {new CovarianceTrack(ws, T, X, A, false), new CovarianceTrack(ws, T, X, A, false)};
            SharedPrefixes sp = new SharedPrefixes();
            sp.start(2, masks, tracks, new int[2], false);
            assertEquals(0, sp.donor(1));
            assertFalse(sp.copyStep(1, 0), "the donor has not started");
            sp.finished(0, 0);
            assertTrue(sp.copyStep(1, 0));
            assertFalse(sp.copyStep(1, 1), "the donor has finished step 0 only");
        }
    }

    @Test
    void tracksOfDifferentLdmsShareNothing() {
        final int n = 4;
        float[][] m = masks(n);
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            LdmParams p0 = random.params(ws, X, A), p1 = random.params(ws, X, A);
            Tensor[] masks = masks(ws, m);
            CovarianceTrack[] first = tracks(ws, n), second = tracks(ws, n), alone = tracks(ws, n);
            // the same masks under two LDMs in one pass: the second LDM's tracks must not copy the first's
            for (boolean samplesOnly : new boolean[] {false, true}) {
                cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p0, masks, first, n, false, null),
                        new CovarianceWork(p1, masks, second, n, false, null)}, samplesOnly);
                cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p1, masks, alone, n, false, null)}, samplesOnly);
                for (int i = 0; i < n; i++) assertSameTrack(alone[i], second[i], m[i], samplesOnly, "second LDM, track " + i);
            }
        }
    }

    @Test
    void sharedBackwardStepsGiveTheGradientsOfTracksRunAlone() {
        final int n = 12;
        float[][] m = masks(n);
        try (CpuBackend cpu = new CpuBackend()) {
            Workspace ws = cpu.workspace();
            LdmParams p = random.params(ws, X, A);
            Tensor[] masks = masks(ws, m);
            for (boolean skipping : new boolean[] {false, true}) {
                sharedBackwardMatchesAlone(cpu, ws, p, masks, n, skipping);
            }
        }
    }

    /** The tracks' gradients in one pass and run one by one: stepping (the per-op API) or made at their samples only (a model's pass). */
    private void sharedBackwardMatchesAlone(CpuBackend cpu, Workspace ws, LdmParams p, Tensor[] masks, int n, boolean skipping) {
        CovarianceTrack[] tracks = tracks(ws, n);
        if (skipping) cpu.covarianceForward(new CovarianceWork[] {new CovarianceWork(p, masks, tracks, n, false, null)}, true);
        else cpu.kalmanCovarianceForward(p, masks, tracks, n);
        // what the mean passes would have left: a gain adjoint per track where it has samples
        for (int i = 0; i < n; i++) tracks[i].dGain.copyFrom(random.gaussian((int) tracks[i].dGain.size(), 0.5));
        LdmParams together = grads(ws), again = grads(ws), alone = grads(ws), one = grads(ws);
        backward(cpu, p, tracks, n, together, skipping);
        backward(cpu, p, tracks, n, again, skipping);
        for (int i = 0; i < n; i++) {
            for (Tensor t : new Tensor[] {one.a(), one.c(), one.qLogDiag(), one.rLogDiag()}) t.fill(0f);
            backward(cpu, p, new CovarianceTrack[] {tracks[i]}, 1, one, skipping);
            add(alone, one);
        }
        String[] names = {"A", "C", "Q_log_diag", "R_log_diag"};
        Tensor[] t = {together.a(), together.c(), together.qLogDiag(), together.rLogDiag()};
        Tensor[] t2 = {again.a(), again.c(), again.qLogDiag(), again.rLogDiag()};
        Tensor[] a = {alone.a(), alone.c(), alone.qLogDiag(), alone.rLogDiag()};
        for (int k = 0; k < 4; k++) {
            float[] x = t[k].toArray(), y = a[k].toArray(), z = t2[k].toArray();
            double worst = 0, scale = 0;
            for (int i = 0; i < x.length; i++) {
                worst = Math.max(worst, Math.abs(x[i] - y[i]));
                scale = Math.max(scale, Math.abs(y[i]));
                assertEquals(Float.floatToRawIntBits(x[i]), Float.floatToRawIntBits(z[i]), "grad " + names[k] + " twice, entry " + i);
            }
            assertTrue(scale > 0, names[k]);
            assertTrue(worst <= 1e-5 * scale, (skipping ? "skipping, " : "") + "grad " + names[k] + ": max |shared - alone| " + worst
                    + " against max |alone| " + scale);
        }
    }

    private static void backward(CpuBackend cpu, LdmParams p, CovarianceTrack[] tracks, int n, LdmParams grad, boolean skipping) {
        if (!skipping) {
            cpu.kalmanCovarianceBackward(p, tracks, n, grad);
            return;
        }
        Tensor[] masks = new Tensor[n];
        for (int i = 0; i < n; i++) masks[i] = tracks[i].mask;
        cpu.covarianceBackward(new CovarianceWork[] {new CovarianceWork(p, masks, tracks, n, false, grad)});
    }

    private LdmParams grads(Workspace ws) {
        return new LdmParams(ws.zeros(X, X), ws.zeros(A, X), ws.zeros(X), ws.zeros(A), null, null);
    }

    private static void add(LdmParams into, LdmParams g) {
        Tensor[] to = {into.a(), into.c(), into.qLogDiag(), into.rLogDiag()}, from = {g.a(), g.c(), g.qLogDiag(), g.rLogDiag()};
        for (int k = 0; k < 4; k++) {
            for (long i = 0; i < to[k].size(); i++) to[k].add(i, from[k].get(i));
        }
    }
}
