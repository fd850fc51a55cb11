package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.mrine.tensor.Tensor;

/**
 * Optimizer arithmetic over flat parameter vectors [P]: the Adam update and a scalar rescale (the
 * gradient-norm clip). Elementwise and memory bound; a plain loop is as fast as the memory allows.
 */
final class CpuOptimizer {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private CpuOptimizer() {
    }

    /**
     * One Adam step, as PyTorch's {@code torch.optim.Adam} (no weight decay, no amsgrad), in float32:
     * <pre>
     * m = beta1 m + (1 - beta1) g
     * v = beta2 v + (1 - beta2) g^2
     * p = p - (lr / (1 - beta1^step)) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
     * </pre>
     * params, grads, m, v are [P]; step counts from 1. A zero gradient on a zero moment leaves the
     * parameter unchanged bit for bit (the fixed x_0, Sigma_0 and log-variance rely on it).
     */
    static void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, int step) {
        long n = params.size();
        if (grads.size() != n || m.size() != n || v.size() != n) {
            throw new IllegalArgumentException("adamStep: params " + params.shapeString() + ", grads " + grads.shapeString()
                    + ", m " + m.shapeString() + ", v " + v.shapeString() + " must have one size");
        }
        if (step < 1) throw new IllegalArgumentException("adamStep: step counts from 1, got " + step);
        // every scalar formed in double and rounded once, as PyTorch does with its Python floats
        float b1 = (float) beta1, b2 = (float) beta2, oneMinusB1 = (float) (1 - beta1), oneMinusB2 = (float) (1 - beta2);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float correction2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        float epsF = (float) eps;
        MemorySegment p = params.segment(), g = grads.segment(), ms = m.segment(), vs = v.segment();
        for (long i = 0; i < n; i++) {
            float gi = g.getAtIndex(F32, i);
            float mi = b1 * ms.getAtIndex(F32, i) + oneMinusB1 * gi;
            float vi = b2 * vs.getAtIndex(F32, i) + oneMinusB2 * gi * gi;
            ms.setAtIndex(F32, i, mi);
            vs.setAtIndex(F32, i, vi);
            float denom = (float) Math.sqrt(vi) / correction2Sqrt + epsF;
            p.setAtIndex(F32, i, p.getAtIndex(F32, i) - stepSize * (mi / denom));
        }
    }

    /** x *= alpha. */
    static void scale(Tensor x, float alpha) {
        MemorySegment s = x.segment();
        for (long i = 0; i < x.size(); i++) s.setAtIndex(F32, i, s.getAtIndex(F32, i) * alpha);
    }
}
