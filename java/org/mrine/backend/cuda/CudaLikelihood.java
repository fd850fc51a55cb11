package org.mrine.backend.cuda;

import org.mrine.backend.CovarianceTrack;
import org.mrine.tensor.Tensor;

/**
 * Log-likelihood and smoothness (KL) terms with their gradients: the twin of {@code CpuLikelihood},
 * with the arithmetic in {@code kernels/likelihood.cu}. Every kernel leaves its sum as one double
 * partial per block (per trial for the smoothness terms), and a reduction kernel adds the partials
 * into a slot of the backend's sums in a fixed order: the sums stay on the device until the step
 * reads them all at once.
 */
final class CudaLikelihood {
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final CudaStream s;
    private final CudaStream.Scratch partials;
    private final CudaStream.Scratch varianceGradients;

    CudaLikelihood(CudaStream s) {
        this.s = s;
        this.partials = s.new Scratch();
        this.varianceGradients = s.new Scratch();
    }

    /** sums[slot] += sum over (b, t < T - shift, n) of mask[b, t+shift] (s log r - r - lgamma(s+1)); dLogRate += scale d/dlogRate. */
    void poisson(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate, long sums, int slot) {
        final int B = counts.dim(0), T = counts.dim(1), N = counts.dim(2);
        long n = (long) B * Math.max(0, T - shift) * N;
        if (n == 0) return;
        int blocks = s.blocks(n);
        long part = partials.ensure(8L * blocks);
        s.launch(Kernel.POISSON_LL, blocks, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.in(logRate)).ptr(s.in(counts))
                .ptr(s.in(mask)).i32(B).i32(T).i32(N).i32(shift).f32(scale).ptr(s.out(dLogRate)).ptr(part));
        s.reducePartials(part, blocks, sums, slot);
    }

    /** The Gaussian counterpart with fixed variance: -0.5 log(2 pi var) - (y - mu)^2 / (2 var). */
    void gaussian(Tensor mean, Tensor data, Tensor mask, int shift, float variance, float scale, Tensor dMean, long sums, int slot) {
        final int B = data.dim(0), T = data.dim(1), N = data.dim(2);
        long n = (long) B * Math.max(0, T - shift) * N;
        if (n == 0) return;
        int blocks = s.blocks(n);
        long part = partials.ensure(8L * blocks);
        double logNorm = -0.5 * (LOG_2PI + Math.log(variance));
        s.launch(Kernel.GAUSSIAN_LL, blocks, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.in(mean)).ptr(s.in(data))
                .ptr(s.in(mask)).i32(B).i32(T).i32(N).i32(shift).f32(variance).f64(logNorm).f32(scale).ptr(s.out(dMean)).ptr(part));
        s.reducePartials(part, blocks, sums, slot);
    }

    /**
     * Smoothness of every trial of logRate or mean [B,T,N] under mask [B,T], one block per trial;
     * sums[slot] += trial b's sum / divisor[b] in trial order (trials with divisor[b] > 0).
     */
    void smoothness(boolean poisson, Tensor out, Tensor mask, float variance, float[] scale, double[] divisor, Tensor dOut,
                    long sums, int slot) {
        final int B = out.dim(0), T = out.dim(1), N = out.dim(2);
        if (B == 0) return;
        long part = partials.ensure(8L * B);
        long scales = s.ring.put(scale, B), divisors = s.ring.put(divisor, B);
        KernelArgs args = new KernelArgs().ptr(s.in(out)).ptr(s.in(mask)).i32(T).i32(N);
        if (!poisson) args.f32(variance);
        args.ptr(scales).ptr(divisors).ptr(s.out(dOut)).ptr(part);
        s.launch(poisson ? Kernel.POISSON_SMOOTH : Kernel.GAUSSIAN_SMOOTH, B, 1, Launch.ELEMENTWISE_THREADS, 0, args);
        s.launch(Kernel.TRIAL_SUMS, 1, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(part).ptr(divisors).i32(B).ptr(sums).i32(slot));
    }

    /**
     * Latent smoothness of every trial of smoothMean [B,T,X] (trial b on track trackOf[b]): sums[slot] +=
     * the trials' sums in trial order; dSmoothMean and the tracks' dSmooth diagonals accumulate.
     */
    void latentSmoothness(Tensor smoothMean, CovarianceTrack[] trackOf, int dims, float scale, Tensor dSmoothMean, long sums, int slot) {
        final int B = trackOf.length, T = smoothMean.dim(1), X = smoothMean.dim(2);
        if (B == 0 || dims == 0) return;
        long[] smooth = new long[B], dSmooth = new long[B];
        for (int b = 0; b < B; b++) {
            smooth[b] = s.in(trackOf[b].smooth);
            dSmooth[b] = s.out(trackOf[b].dSmooth);
        }
        long part = partials.ensure(8L * B);
        long gv = varianceGradients.ensure((long) B * T * dims * Float.BYTES);
        s.launch(Kernel.LATENT_SMOOTH, B, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(s.in(smoothMean))
                .ptr(s.ring.put(smooth, B)).i32(T).i32(X).i32(dims).f32(scale).ptr(s.out(dSmoothMean)).ptr(gv).ptr(part));
        CudaStream.Members m = s.members(dSmooth, B);
        s.launch(Kernel.LATENT_SMOOTH_TRACK_GRAD, m.groups(), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(m.accumulators()).ptr(m.start()).ptr(m.member()).ptr(gv).i32(T).i32(X).i32(dims));
        s.launch(Kernel.TRIAL_SUMS, 1, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(part).ptr(0).i32(B).ptr(sums).i32(slot));
    }
}
