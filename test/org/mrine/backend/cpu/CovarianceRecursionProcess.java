package org.mrine.backend.cpu;

import java.util.SplittableRandom;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * A child JVM for {@link VectorJitTest}: the covariance recursion of 32 tracks (n = 64, T = 50,
 * a random 70% of steps observed), forward and backward, from a cold start in the main thread,
 * which is where HotSpot left the 4x4 GEMM tile at C1's tier 2 for good. Prints VectorJit's
 * outcome; args: repeats.
 */
public final class CovarianceRecursionProcess {
    public static void main(String[] args) {
        int repeats = Integer.parseInt(args[0]), n = 64, steps = 50, tracks = 32;
        try (Backend be = Backends.create("cpu"); Workspace ws = new Workspace();
             var tile = CpuTuning.use(CpuTuning.defaults().withTile("4x4"))) {
            SplittableRandom r = new SplittableRandom(1);
            Tensor a = ws.zeros(n, n), c = ws.zeros(n, n), sigma0 = ws.zeros(n, n);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    a.set(i * n + j, (float) ((i == j ? 0.9 : 0) + 0.01 * r.nextGaussian()));
                    c.set(i * n + j, (float) (0.1 * r.nextGaussian()));
                }
                sigma0.set(i * n + i, 1f);
            }
            LdmParams p = new LdmParams(a, c, ws.zeros(n), ws.zeros(n), ws.zeros(n), sigma0);
            LdmParams g = new LdmParams(ws.zeros(n, n), ws.zeros(n, n), ws.zeros(n), ws.zeros(n), ws.zeros(n), ws.zeros(n, n));
            CovarianceTrack[] track = new CovarianceTrack[tracks];
            Tensor[] mask = new Tensor[tracks];
            for (int b = 0; b < tracks; b++) {
                track[b] = new CovarianceTrack(ws, steps, n, n, false);
                mask[b] = ws.zeros(steps);
                for (int t = 0; t < steps; t++) mask[b].set(t, r.nextDouble() < 0.7 ? 1f : 0f);
            }
            for (int rep = 0; rep < repeats; rep++) {
                be.kalmanCovarianceForward(p, mask, track, tracks);
                for (CovarianceTrack t : track) t.zeroGrad();
                be.kalmanCovarianceBackward(p, track, tracks, g);
            }
            System.out.println("vector jit: " + VectorJit.outcome());
            System.out.println("dA[0] " + g.a().get(0));
        }
    }
}
