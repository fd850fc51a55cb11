package org.mrine.backend.cuda;

import org.mrine.tensor.Tensor;

/**
 * Optimizer arithmetic over flat parameter vectors: the Adam update, the rescale, the norms of the
 * L2 penalty and of the gradient clip: the twin of {@code CpuOptimizer} and of the
 * {@link org.mrine.backend.Backend} defaults for the penalty and the clip, with the arithmetic in
 * {@code kernels/elementwise.cu}. Norms are summed as per-block partials added in a fixed order;
 * the clip's decision is taken on the device, so a training step never waits for the norm.
 */
final class CudaOptimizer {
    private final CudaStream s;
    private final CudaStream.Scratch partials;
    private final CudaStream.Scratch norms;

    CudaOptimizer(CudaStream s) {
        this.s = s;
        this.partials = s.new Scratch();
        this.norms = s.new Scratch();
    }

    /** One Adam step (PyTorch semantics): every scalar formed in double and rounded once, as CpuOptimizer does on the host. */
    void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, int step) {
        long n = params.size();
        if (grads.size() != n || m.size() != n || v.size() != n) {
            throw new IllegalArgumentException("adamStep: params " + params.shapeString() + ", grads " + grads.shapeString()
                    + ", m " + m.shapeString() + ", v " + v.shapeString() + " must have one size");
        }
        if (step < 1) throw new IllegalArgumentException("adamStep: step counts from 1, got " + step);
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float correction2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        s.launch(Kernel.ADAM_STEP, s.blocks(n), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(s.out(params)).ptr(s.in(grads)).ptr(s.out(m)).ptr(s.out(v)).i64(n)
                .f32((float) beta1).f32((float) beta2).f32((float) (1 - beta1)).f32((float) (1 - beta2)).f32((float) eps)
                .f32(stepSize).f32(correction2Sqrt));
    }

    void scale(Tensor x, float alpha) {
        s.launch(Kernel.SCALE, s.blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.out(x)).i64(x.size()).f32(alpha));
    }

    /** sums[slot] += the sum of squares of x (double). */
    void sumSquares(Tensor x, long sums, int slot) {
        int blocks = s.blocks(x.size());
        long part = partials.ensure(8L * blocks);
        s.launch(Kernel.SUM_SQUARES, blocks, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.in(x)).i64(x.size()).ptr(part));
        s.reducePartials(part, blocks, sums, slot);
    }

    /** The gradient-norm clip of {@link org.mrine.backend.Backend#clipGradNorm}: norm and decision on the device. */
    void clipGradNorm(Tensor grads, double maxNorm, long sums, int slot) {
        long squared = norms.ensure(8);
        s.api.memset32Async(squared, 0, 2);
        sumSquares(grads, squared, 0);
        s.launch(Kernel.CLIP_SCALE, s.blocks(grads.size()), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(s.out(grads)).i64(grads.size()).ptr(squared).f64(maxNorm).ptr(sums).i32(slot));
    }

    /** The L2 penalty of {@link org.mrine.backend.Backend#l2Penalty}: all tensors in three launches. */
    void l2Penalty(Tensor[] weights, Tensor[] grads, double scale, long sums, int slot) {
        final int W = weights.length;
        if (W == 0) return;
        long largest = 1;
        long[] sizes = new long[2 * W], grad = new long[3 * W];
        for (int w = 0; w < W; w++) {
            if (grads[w].size() != weights[w].size()) {
                throw new IllegalArgumentException("l2Penalty: weight " + weights[w].shapeString() + " and gradient " + grads[w].shapeString());
            }
            long x = s.in(weights[w]);
            sizes[2 * w] = x;
            sizes[2 * w + 1] = weights[w].size();
            grad[3 * w] = x;
            grad[3 * w + 1] = weights[w].size();
            grad[3 * w + 2] = s.out(grads[w]);
            largest = Math.max(largest, weights[w].size());
        }
        // about as many blocks in all as one grid-stride kernel would have: the tensors share the device
        int gx = (int) Math.max(1, Math.min(s.blocks(largest), Launch.ceilDiv(s.blocks(Long.MAX_VALUE / 2), W)));
        long part = partials.ensure(8L * gx * W);
        long norm = norms.ensure(8L * Math.max(1, W));
        s.launch(Kernel.SUM_SQUARES_BATCH, gx, W, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.ring.put(sizes, sizes.length)).ptr(part));
        s.launch(Kernel.L2_NORMS, 1, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(part).i32(gx).i32(W).ptr(norm).ptr(sums).i32(slot));
        s.launch(Kernel.L2_GRAD, gx, W, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.ring.put(grad, grad.length)).ptr(norm).f64(scale));
    }
}
