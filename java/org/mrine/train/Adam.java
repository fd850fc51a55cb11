package org.mrine.train;

import org.mrine.backend.Backend;
import org.mrine.backend.Sums;
import org.mrine.model.Parameters;

/**
 * Adam over one parameter set: the moments share the parameters' layout (one allocation each), the
 * arithmetic is the backend's {@link Backend#adamStep}. Parameters without gradient (x_0, Sigma_0,
 * the fixed log-variances) keep zero moments and so never move.
 */
public final class Adam {
    private final Backend be;
    private final Parameters params, grads;
    /** First and second moments, named like the parameters (PyTorch's exp_avg, exp_avg_sq). */
    public final Parameters m, v;
    private final double beta1, beta2, eps;
    private int step;

    public Adam(Backend be, Parameters params, Parameters grads, double beta1, double beta2, double eps) {
        this.be = be;
        this.params = params;
        this.grads = grads;
        this.m = params.like(be.workspace());
        this.v = params.like(be.workspace());
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** Applies the gradients in {@code grads} at learning rate lr. */
    public void step(double lr) {
        step++;
        be.adamStep(params.flat(), grads.flat(), m.flat(), v.flat(), lr, beta1, beta2, eps, step);
    }

    /** Steps taken so far (bias corrections depend on it; checkpoints save it). */
    public int steps() {
        return step;
    }

    public void restoreSteps(int steps) {
        if (steps < 0) throw new IllegalArgumentException("optimizer step count must be >= 0, got " + steps);
        this.step = steps;
    }

    /**
     * Global gradient-norm clip as torch.nn.utils.clip_grad_norm_: grads *= max / (norm + 1e-6) when
     * that factor is below 1 ({@link Backend#clipGradNorm}; the trainer enqueues that op itself, so
     * that the norm comes back with the step's loss terms).
     *
     * @return the norm before clipping
     */
    public static double clip(Backend be, Parameters grads, double maxNorm) {
        Sums norm = be.sums(1);
        be.clipGradNorm(grads.flat(), maxNorm, norm, 0);
        return norm.read()[0];
    }
}
