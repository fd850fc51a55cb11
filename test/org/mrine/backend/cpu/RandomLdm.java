package org.mrine.backend.cpu;

import java.util.SplittableRandom;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/** Random draws for the Kalman tests: Gaussian values, tensors holding them, and a stable LDM. */
final class RandomLdm {
    private final SplittableRandom rng;

    RandomLdm(long seed) {
        rng = new SplittableRandom(seed);
    }

    float[] gaussian(int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (scale * rng.nextGaussian());
        return v;
    }

    static Tensor tensor(Workspace ws, float[] values, int... shape) {
        Tensor t = ws.zeros(shape);
        t.copyFrom(values);
        return t;
    }

    /** A = 0.9 I + small noise [x,x], C [a,x], log-diagonals of Q and R, x0, Sigma0 = I. */
    LdmParams params(Workspace ws, int x, int a) {
        float[] am = gaussian(x * x, 0.05), s0 = new float[x * x];
        for (int i = 0; i < x; i++) {
            am[i * x + i] += 0.9f;
            s0[i * x + i] = 1f;
        }
        return new LdmParams(tensor(ws, am, x, x), tensor(ws, gaussian(a * x, 0.6), a, x),
                tensor(ws, gaussian(x, 0.2), x), tensor(ws, gaussian(a, 0.2), a), tensor(ws, gaussian(x, 0.3), x), tensor(ws, s0, x, x));
    }

    int nextInt(int bound) {
        return rng.nextInt(bound);
    }

    double nextDouble() {
        return rng.nextDouble();
    }
}
