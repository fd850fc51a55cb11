package org.mrine.backend.cpu;

import static org.mrine.backend.cpu.Blas.copy;
import static org.mrine.backend.cpu.Blas.get;
import static org.mrine.backend.cpu.Blas.mm;
import static org.mrine.backend.cpu.Blas.set;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;

/**
 * Rauch-Tung-Striebel smoother, forward and backward, on the CPU.
 *
 * <pre>
 * J_t        = P_filt_t A^T P_pred_{t+1}^-1        (solved with the Cholesky factor of P_pred_{t+1})
 * x_smooth_t = x_filt_t + J_t (x_smooth_{t+1} - x_pred_{t+1})
 * P_smooth_t = P_filt_t + J_t (P_smooth_{t+1} - P_pred_{t+1}) J_t^T
 * </pre>
 * The backward passes run forward in time: the adjoint of step t+1 is complete once step t is.
 */
final class CpuRts {
    private final MemorySegment w0, w1, w2, w3, v0;

    CpuRts(Arena arena, int maxDim) {
        long mat = (long) maxDim * maxDim * 4;
        w0 = arena.allocate(mat, 64);
        w1 = arena.allocate(mat, 64);
        w2 = arena.allocate(mat, 64);
        w3 = arena.allocate(mat, 64);
        v0 = arena.allocate(maxDim * 4L, 64);
    }

    void covarianceForward(LdmParams p, CovarianceTrack tr) {
        final int nx = tr.latentDim, T = tr.steps;
        final long xx = (long) nx * nx;
        MemorySegment A = p.a().segment(), prior = tr.prior.segment(), filt = tr.filt.segment();
        MemorySegment J = tr.smootherGain.segment(), cholNext = tr.cholNext.segment(), smooth = tr.smooth.segment();
        copy((int) xx, filt, (T - 1) * xx, smooth, (T - 1) * xx);
        for (int t = T - 2; t >= 0; t--) {
            long off = t * xx, next = (t + 1) * xx;
            copy((int) xx, prior, next, cholNext, off);
            Blas.cholesky(nx, cholNext, off);
            // J^T = P_pred_{t+1}^-1 A P_filt_t
            mm(false, false, nx, nx, nx, 1f, A, 0, filt, off, 0f, w0, 0);
            Blas.cholSolve(nx, nx, cholNext, off, w0, 0);
            Blas.transpose(nx, nx, w0, 0, J, off);
            // P_smooth_t = P_filt_t + J D J^T, D = P_smooth_{t+1} - P_pred_{t+1}; w0 still holds J^T
            for (int i = 0; i < xx; i++) set(w1, i, get(smooth, next + i) - get(prior, next + i));
            mm(false, false, nx, nx, nx, 1f, J, off, w1, 0, 0f, w2, 0);
            copy((int) xx, filt, off, smooth, off);
            mm(false, false, nx, nx, nx, 1f, w2, 0, w0, 0, 1f, smooth, off);
            Blas.symmetrize(nx, smooth, off);
        }
    }

    void covarianceBackward(LdmParams p, CovarianceTrack tr, LdmParams g) {
        final int nx = tr.latentDim, T = tr.steps;
        final long xx = (long) nx * nx;
        MemorySegment A = p.a().segment(), dA = g.a().segment();
        MemorySegment prior = tr.prior.segment(), filt = tr.filt.segment(), smooth = tr.smooth.segment();
        MemorySegment J = tr.smootherGain.segment(), cholNext = tr.cholNext.segment();
        MemorySegment dJ = tr.dSmootherGain.segment(), dSmooth = tr.dSmooth.segment();
        MemorySegment dFilt = tr.dFilt.segment(), dNext = tr.dNextPrior.segment();
        for (int t = 0; t < T - 1; t++) {
            long off = t * xx, next = (t + 1) * xx;
            // P_smooth_t = P_filt_t + J D J^T
            Blas.axpy((int) xx, 1f, dSmooth, off, dFilt, off);
            for (int i = 0; i < xx; i++) set(w1, i, get(smooth, next + i) - get(prior, next + i));
            for (int i = 0; i < nx; i++) {
                for (int j = 0; j < nx; j++) set(w0, (long) i * nx + j, get(dSmooth, off + (long) i * nx + j) + get(dSmooth, off + (long) j * nx + i));
            }
            mm(false, false, nx, nx, nx, 1f, w0, 0, J, off, 0f, w2, 0);
            mm(false, false, nx, nx, nx, 1f, w2, 0, w1, 0, 1f, dJ, off);        // dJ += (G + G^T) J D
            mm(true, false, nx, nx, nx, 1f, J, off, dSmooth, off, 0f, w2, 0);
            mm(false, false, nx, nx, nx, 1f, w2, 0, J, off, 0f, w3, 0);         // J^T G J
            Blas.axpy((int) xx, 1f, w3, 0, dSmooth, next);
            Blas.axpy((int) xx, -1f, w3, 0, dNext, off);
            // J = P_filt A^T W with W = P_pred_{t+1}^-1: Z = dJ W (Z^T = W dJ^T)
            Blas.transpose(nx, nx, dJ, off, w2, 0);
            Blas.cholSolve(nx, nx, cholNext, off, w2, 0);                      // w2 = Z^T
            mm(true, false, nx, nx, nx, 1f, w2, 0, A, 0, 1f, dFilt, off);       // dP_filt += Z A
            mm(false, false, nx, nx, nx, 1f, w2, 0, filt, off, 1f, dA, 0);      // dA += Z^T P_filt
            mm(true, true, nx, nx, nx, -1f, J, off, w2, 0, 1f, dNext, off);     // dP_pred_{t+1} -= J^T Z
        }
        Blas.axpy((int) xx, 1f, dSmooth, (T - 1) * xx, dFilt, (T - 1) * xx);
    }

    void meanForward(CovarianceTrack tr, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        final int nx = tr.latentDim, T = tr.steps;
        MemorySegment J = tr.smootherGain.segment();
        MemorySegment xf = filtMean.segment(), xp = predMean.segment(), xs = smoothMean.segment();
        copy(nx, xf, (long) (T - 1) * nx, xs, (long) (T - 1) * nx);
        for (int t = T - 2; t >= 0; t--) {
            long off = (long) t * nx, next = (long) (t + 1) * nx;
            for (int i = 0; i < nx; i++) set(v0, i, get(xs, next + i) - get(xp, off + i));
            copy(nx, xf, off, xs, off);
            mm(false, false, nx, 1, nx, 1f, J, (long) t * nx * nx, v0, 0, 1f, xs, off);
        }
    }

    /** The smoothed means' backward for one trial: {@link #meanBackwardSteps}, then {@link #smootherGainAdjoint}. */
    void meanBackward(CovarianceTrack tr, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                      Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        meanBackwardSteps(tr, predMean, smoothMean, dSmoothMean, dFiltMean, dPredMean);
        smootherGainAdjoint(tr, predMean, smoothMean, dSmoothMean, 0, tr.steps - 1);
    }

    /**
     * The recursion of the smoothed means' backward for one trial, forward in time: adds into
     * dFiltMean and dPredMean and leaves in dSmoothMean[t] the complete adjoint g_t of x_smooth_t,
     * which {@link #smootherGainAdjoint} needs. It writes nothing on the track, so the trials that
     * share one (every trial of the backbone) run side by side.
     */
    void meanBackwardSteps(CovarianceTrack tr, Tensor predMean, Tensor smoothMean,
                           Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        final int nx = tr.latentDim, T = tr.steps;
        MemorySegment J = tr.smootherGain.segment();
        MemorySegment dxs = dSmoothMean.segment(), dxf = dFiltMean.segment(), dxp = dPredMean.segment();
        for (int t = 0; t < T - 1; t++) {
            long off = (long) t * nx, next = (long) (t + 1) * nx, jOff = (long) t * nx * nx;
            Blas.axpy(nx, 1f, dxs, off, dxf, off);
            mm(true, false, nx, 1, nx, 1f, J, jOff, dxs, off, 0f, v0, 0);         // h = J^T g
            Blas.axpy(nx, 1f, v0, 0, dxs, next);
            Blas.axpy(nx, -1f, v0, 0, dxp, off);
        }
        Blas.axpy(nx, 1f, dxs, (long) (T - 1) * nx, dxf, (long) (T - 1) * nx);
    }

    /**
     * dJ_t += g_t (x_smooth_{t+1} - x_pred_{t+1})^T for t in [t0, t1), g_t from
     * {@link #meanBackwardSteps}: the trial's one term on the track. Trials that share a track add
     * theirs in trial order; step ranges are independent.
     */
    void smootherGainAdjoint(CovarianceTrack tr, Tensor predMean, Tensor smoothMean, Tensor dSmoothMean, int t0, int t1) {
        final int nx = tr.latentDim;
        MemorySegment dJ = tr.dSmootherGain.segment();
        MemorySegment xp = predMean.segment(), xs = smoothMean.segment(), dxs = dSmoothMean.segment();
        for (int t = t0; t < t1; t++) {
            long off = (long) t * nx, next = (long) (t + 1) * nx;
            for (int i = 0; i < nx; i++) set(v0, i, get(xs, next + i) - get(xp, off + i));
            mm(false, true, nx, nx, 1, 1f, dxs, off, v0, 0, 1f, dJ, (long) t * nx * nx);
        }
    }
}
