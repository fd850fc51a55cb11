package org.mrine.backend.cuda;

import java.util.List;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;

/**
 * Kalman filter with masked gain and Joseph-form update, forward beside backward: the twin of
 * {@code CpuKalman}, with the arithmetic in {@code kernels/kalman.cu}.
 * <ul>
 * <li>covariances: one block per covariance track runs the whole recursion (gain, Joseph update,
 *     prediction for every step) in one launch, its work matrices in shared memory (global
 *     scratch when too large); the backward leaves each track's parameter gradients in its own
 *     accumulator, added into the gradients track by track;</li>
 * <li>means: deferred per trial ({@link TrialQueue}) and launched one block per trial, with the
 *     sums over trials (parameter and gain gradients) as separate fixed-order kernels.</li>
 * </ul>
 */
final class CudaKalman {
    private final CudaStream s;
    private final CudaStream.Scratch covarianceScratch;
    private final CudaStream.Scratch accumulators;
    private final CudaStream.Scratch innovations;

    CudaKalman(CudaStream s) {
        this.s = s;
        this.covarianceScratch = s.new Scratch();
        this.accumulators = s.new Scratch();
        this.innovations = s.new Scratch();
    }

    static void checkTracks(CovarianceTrack[] tracks, int count) {
        CovarianceTrack t0 = tracks[0];
        for (int i = 1; i < count; i++) {
            CovarianceTrack t = tracks[i];
            if (t.steps != t0.steps || t.latentDim != t0.latentDim || t.embeddingDim != t0.embeddingDim || t.smoothing != t0.smoothing) {
                throw new IllegalArgumentException("covariance tracks of one call must share steps, sizes and smoothing");
            }
        }
    }

    void covarianceForward(LdmParams p, Tensor[] masks, CovarianceTrack[] tracks, int count) {
        checkTracks(tracks, count);
        final CovarianceTrack t0 = tracks[0];
        final int T = t0.steps, X = t0.latentDim, A = t0.embeddingDim;
        long[] d = new long[6 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            d[6 * i] = s.in(masks[i]);
            d[6 * i + 1] = s.out(tr.prior);
            d[6 * i + 2] = s.out(tr.filt);
            d[6 * i + 3] = s.out(tr.gain);
            d[6 * i + 4] = s.out(tr.cholS);
            d[6 * i + 5] = s.out(tr.mask);
        }
        long ws = Launch.kalmanForwardWorkspace(X, A), shared = s.sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        s.launch(Kernel.KALMAN_COV_FORWARD, count, 1, Launch.matrixThreads(X, A, s.options.maxMatrixThreads()), shared, new KernelArgs()
                .ptr(s.ring.put(d, d.length)).i32(T).i32(X).i32(A)
                .ptr(s.in(p.a())).ptr(s.in(p.c())).ptr(s.in(p.qLogDiag())).ptr(s.in(p.rLogDiag())).ptr(s.in(p.sigma0()))
                .ptr(scratch).i64(ws).i32(shared > 0).ptr(s.errorWord));
    }

    void covarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        checkTracks(tracks, count);
        final CovarianceTrack t0 = tracks[0];
        final int T = t0.steps, X = t0.latentDim, A = t0.embeddingDim;
        final boolean stored = t0.smoothing;
        long[] d = new long[8 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            d[8 * i] = s.in(tr.prior);
            d[8 * i + 1] = s.in(tr.filt);
            d[8 * i + 2] = s.in(tr.gain);
            d[8 * i + 3] = s.in(tr.cholS);
            d[8 * i + 4] = s.in(tr.mask);
            d[8 * i + 5] = s.in(tr.dGain);
            d[8 * i + 6] = stored ? s.out(tr.dFilt) : 0;
            d[8 * i + 7] = stored ? s.in(tr.dNextPrior) : 0;
        }
        long ws = Launch.kalmanBackwardWorkspace(X, A), shared = s.sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        long per = Launch.kalmanBackwardAccumulator(X, A);
        long acc = accumulators.ensure(count * per * Float.BYTES);
        s.launch(Kernel.KALMAN_COV_BACKWARD, count, 1, Launch.matrixThreads(X, A, s.options.maxMatrixThreads()), shared, new KernelArgs()
                .ptr(s.ring.put(d, d.length)).i32(T).i32(X).i32(A).i32(stored)
                .ptr(s.in(p.a())).ptr(s.in(p.c())).ptr(s.in(p.qLogDiag())).ptr(s.in(p.rLogDiag()))
                .ptr(acc).ptr(scratch).i64(ws).i32(shared > 0).ptr(s.errorWord));
        // the tracks' contributions, track after track: dA [X,X], dC [A,X], dQ_log [X], dR_log [A]
        long xx = (long) X * X, ax = (long) A * X;
        s.reduceBlocks(acc, count, per, 0, X, X, s.out(grad.a()), X);
        s.reduceBlocks(acc, count, per, xx, A, X, s.out(grad.c()), X);
        s.reduceBlocks(acc, count, per, xx + ax, 1, X, s.out(grad.qLogDiag()), X);
        s.reduceBlocks(acc, count, per, xx + ax + X, 1, A, s.out(grad.rLogDiag()), A);
    }

    void meanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask, Tensor filtMean, Tensor predMean) {
        long[] f = {s.in(obs), s.in(mask), s.out(filtMean), s.out(predMean), s.in(track.gain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.KALMAN_MEAN_FORWARD, track.steps, track.latentDim, track.embeddingDim,
                s.in(p.a()), s.in(p.c()), s.in(p.x0()), 0, 0);
        s.queue.add(new TrialQueue.Op(key, f,
                CudaStream.ranges(new long[] {f[0], f[1], f[4]}, obs, mask, track.gain),
                CudaStream.ranges(new long[] {f[2], f[3]}, filtMean, predMean), 0));
    }

    void meanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask, Tensor filtMean, Tensor predMean,
                      Tensor dFiltMean, Tensor dPredMean, Tensor dObs, LdmParams grad) {
        long[] f = {s.in(obs), s.in(mask), s.in(filtMean), s.in(predMean), s.out(dFiltMean), s.out(dPredMean), s.out(dObs),
                s.in(track.gain), 0};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.KALMAN_MEAN_BACKWARD, track.steps, track.latentDim, track.embeddingDim,
                s.in(p.a()), s.in(p.c()), s.in(p.x0()), s.out(grad.a()), s.out(grad.c()));
        s.queue.add(new TrialQueue.Op(key, f,
                CudaStream.ranges(new long[] {f[0], f[1], f[2], f[3], f[4], f[5], f[7]}, obs, mask, filtMean, predMean, dFiltMean,
                        dPredMean, track.gain),
                CudaStream.ranges(new long[] {f[4], f[5], f[6]}, dFiltMean, dPredMean, dObs), s.out(track.dGain)));
    }

    /** Launches one group of deferred mean passes (one block per trial), and for the backward its reductions. */
    void launchGroup(TrialQueue.GroupKey key, List<TrialQueue.Op> ops) {
        final int n = ops.size(), T = key.steps(), X = key.latent(), A = key.embedding();
        final int width = ops.get(0).fields.length;
        long[] d = new long[width * n];
        if (key.kind() == TrialQueue.Kind.KALMAN_MEAN_FORWARD) {
            for (int b = 0; b < n; b++) System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
            s.launch(Kernel.KALMAN_MEAN_FORWARD, n, 1, s.options.meanThreads(), Launch.kalmanMeanShared(X, A) * Float.BYTES, new KernelArgs()
                    .ptr(s.ring.put(d, d.length)).i32(T).i32(X).i32(A).ptr(key.a()).ptr(key.c()).ptr(key.x0()));
            return;
        }
        long innov = innovations.ensure((long) n * T * A * Float.BYTES);
        long[] trackOf = new long[n];
        for (int b = 0; b < n; b++) {
            System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
            d[b * width + 8] = innov + (long) b * T * A * Float.BYTES;
            trackOf[b] = ops.get(b).accumulator;
        }
        long table = s.ring.put(d, d.length);
        s.launch(Kernel.KALMAN_MEAN_BACKWARD, n, 1, s.options.meanThreads(), Launch.kalmanMeanShared(X, A) * Float.BYTES, new KernelArgs()
                .ptr(table).i32(T).i32(X).i32(A).ptr(key.a()).ptr(key.c()).ptr(key.x0()));
        long outputs = (long) X * X + (long) A * X;
        s.launch(Kernel.KALMAN_MEAN_PARAM_GRAD, (int) Launch.ceilDiv(outputs, Launch.REDUCE_THREADS), 1, Launch.REDUCE_THREADS, 0,
                new KernelArgs().ptr(table).i32(n).i32(T).i32(X).i32(A).ptr(key.x0()).ptr(key.gradA()).ptr(key.gradC()));
        CudaStream.Members m = s.members(trackOf, n);
        s.launch(Kernel.KALMAN_GAIN_GRAD, T, m.groups(), Launch.REDUCE_THREADS, 0, new KernelArgs()
                .ptr(table).ptr(m.start()).ptr(m.member()).ptr(m.accumulators()).i32(T).i32(X).i32(A));
    }
}
