package org.mrine.backend.cuda;

import java.util.List;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;

/**
 * Rauch-Tung-Striebel smoother, forward beside backward: the twin of {@code CpuRts}, with the
 * arithmetic in {@code kernels/rts.cu}. The smoother gains depend only on the filter, so they run
 * for all steps in parallel and only the short covariance chain is sequential; the backward's
 * step-parallel part leaves its A-gradient in one accumulator per block, added in a fixed order.
 * The per-trial mean passes are deferred and batched like the filter's.
 */
final class CudaRts {
    private final CudaStream s;
    private final CudaStream.Scratch covarianceScratch;
    private final CudaStream.Scratch accumulators;

    CudaRts(CudaStream s) {
        this.s = s;
        this.covarianceScratch = s.new Scratch();
        this.accumulators = s.new Scratch();
    }

    void covarianceForward(LdmParams p, CovarianceTrack[] tracks, int count) {
        CudaKalman.checkTracks(tracks, count);
        final int T = tracks[0].steps, X = tracks[0].latentDim;
        final int threads = Launch.matrixThreads(X, X, s.options.maxMatrixThreads());
        long[] gains = new long[4 * count], chain = new long[4 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            gains[4 * i] = s.in(tr.prior);
            gains[4 * i + 1] = s.in(tr.filt);
            gains[4 * i + 2] = s.out(tr.smootherGain);
            gains[4 * i + 3] = s.out(tr.cholNext);
            chain[4 * i] = gains[4 * i];
            chain[4 * i + 1] = gains[4 * i + 1];
            chain[4 * i + 2] = gains[4 * i + 2];
            chain[4 * i + 3] = s.out(tr.smooth);
        }
        if (T > 1) {
            long ws = Launch.rtsGainWorkspace(X), shared = s.sharedBytes(ws);
            int gx = Launch.stepBlocks(T - 1, count, ws, shared > 0, s.options.scratchBudgetBytes() / Float.BYTES);
            long scratch = shared > 0 ? 0 : covarianceScratch.ensure((long) gx * count * ws * Float.BYTES);
            s.launch(Kernel.RTS_GAIN, gx, count, threads, shared, new KernelArgs()
                    .ptr(s.ring.put(gains, gains.length)).i32(T).i32(X).ptr(s.in(p.a()))
                    .ptr(scratch).i64(ws).i32(shared > 0).ptr(s.errorWord));
        }
        long ws = Launch.rtsChainWorkspace(X), shared = s.sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        s.launch(Kernel.RTS_SMOOTH_COV, count, 1, threads, shared, new KernelArgs()
                .ptr(s.ring.put(chain, chain.length)).i32(T).i32(X).ptr(scratch).i64(ws).i32(shared > 0).ptr(s.errorWord));
    }

    void covarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        CudaKalman.checkTracks(tracks, count);
        final int T = tracks[0].steps, X = tracks[0].latentDim;
        final int threads = Launch.matrixThreads(X, X, s.options.maxMatrixThreads());
        long[] chain = new long[4 * count], par = new long[9 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            long j = s.in(tr.smootherGain), dSmooth = s.out(tr.dSmooth), dNext = s.out(tr.dNextPrior), dFilt = s.out(tr.dFilt);
            chain[4 * i] = j;
            chain[4 * i + 1] = dSmooth;
            chain[4 * i + 2] = dNext;
            chain[4 * i + 3] = dFilt;
            par[9 * i] = s.in(tr.prior);
            par[9 * i + 1] = s.in(tr.filt);
            par[9 * i + 2] = s.in(tr.smooth);
            par[9 * i + 3] = j;
            par[9 * i + 4] = s.in(tr.cholNext);
            par[9 * i + 5] = dSmooth;
            par[9 * i + 6] = s.out(tr.dSmootherGain);
            par[9 * i + 7] = dFilt;
            par[9 * i + 8] = dNext;
        }
        long ws = Launch.rtsChainWorkspace(X), shared = s.sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        s.launch(Kernel.RTS_COV_BACKWARD_CHAIN, count, 1, threads, shared, new KernelArgs()
                .ptr(s.ring.put(chain, chain.length)).i32(T).i32(X).ptr(scratch).i64(ws).i32(shared > 0).ptr(s.errorWord));
        if (T > 1) {
            long ws2 = Launch.rtsBackwardWorkspace(X), shared2 = s.sharedBytes(ws2);
            int gx = Launch.stepBlocks(T - 1, count, ws2, shared2 > 0, s.options.scratchBudgetBytes() / Float.BYTES);
            long scratch2 = shared2 > 0 ? 0 : covarianceScratch.ensure((long) gx * count * ws2 * Float.BYTES);
            long xx = (long) X * X;
            long acc = accumulators.ensure((long) gx * count * xx * Float.BYTES);
            s.launch(Kernel.RTS_COV_BACKWARD, gx, count, threads, shared2, new KernelArgs()
                    .ptr(s.ring.put(par, par.length)).i32(T).i32(X).ptr(s.in(p.a())).ptr(acc)
                    .ptr(scratch2).i64(ws2).i32(shared2 > 0).ptr(s.errorWord));
            s.reduceBlocks(acc, gx * count, xx, 0, X, X, s.out(grad.a()), X);
        }
    }

    void meanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        long[] f = {s.in(filtMean), s.in(predMean), s.out(smoothMean), s.in(track.smootherGain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.RTS_MEAN_FORWARD, track.steps, track.latentDim, 0, 0, 0, 0, 0, 0);
        s.queue.add(new TrialQueue.Op(key, f,
                CudaStream.ranges(new long[] {f[0], f[1], f[3]}, filtMean, predMean, track.smootherGain),
                CudaStream.ranges(new long[] {f[2]}, smoothMean), 0));
    }

    void meanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                      Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        long[] f = {s.in(filtMean), s.in(predMean), s.in(smoothMean), s.out(dSmoothMean), s.out(dFiltMean), s.out(dPredMean),
                s.in(track.smootherGain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.RTS_MEAN_BACKWARD, track.steps, track.latentDim, 0, 0, 0, 0, 0, 0);
        s.queue.add(new TrialQueue.Op(key, f,
                CudaStream.ranges(new long[] {f[0], f[1], f[2], f[3], f[4], f[5], f[6]}, filtMean, predMean, smoothMean, dSmoothMean,
                        dFiltMean, dPredMean, track.smootherGain),
                CudaStream.ranges(new long[] {f[3], f[4], f[5]}, dSmoothMean, dFiltMean, dPredMean), s.out(track.dSmootherGain)));
    }

    /** Launches one group of deferred smoothed-mean passes (one block per trial), and for the backward the gain gradients. */
    void launchGroup(TrialQueue.GroupKey key, List<TrialQueue.Op> ops) {
        final int n = ops.size(), T = key.steps(), X = key.latent();
        final int width = ops.get(0).fields.length;
        long[] d = new long[width * n];
        long[] trackOf = new long[n];
        for (int b = 0; b < n; b++) {
            System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
            trackOf[b] = ops.get(b).accumulator;
        }
        long table = s.ring.put(d, d.length);
        if (key.kind() == TrialQueue.Kind.RTS_MEAN_FORWARD) {
            s.launch(Kernel.RTS_MEAN_FORWARD, n, 1, s.options.meanThreads(), 2L * X * Float.BYTES, new KernelArgs().ptr(table).i32(T).i32(X));
            return;
        }
        s.launch(Kernel.RTS_MEAN_BACKWARD, n, 1, s.options.meanThreads(), (long) X * Float.BYTES, new KernelArgs().ptr(table).i32(T).i32(X));
        if (T > 1) {
            CudaStream.Members m = s.members(trackOf, n);
            s.launch(Kernel.RTS_GAIN_GRAD, T - 1, m.groups(), Launch.REDUCE_THREADS, 0, new KernelArgs()
                    .ptr(table).ptr(m.start()).ptr(m.member()).ptr(m.accumulators()).i32(T).i32(X));
        }
    }
}
