package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The pure-Java backend: the readable specification of every layer operation, with Vector API
 * inner loops ({@link Blas}). One instance is used by one thread at a time (its scratch
 * matrices are shared between calls).
 */
public final class CpuBackend implements Backend {
    private final Workspace workspace = new Workspace();
    private final Arena scratch = Arena.ofShared();
    private CpuKalman kalmanScratch;
    private CpuRts rtsScratch;
    private int scratchDim;

    public CpuBackend() {
    }

    /**
     * Scratch matrices for the Kalman and RTS steps, sized for the largest latent or embedding
     * size seen: allocated by the first call for a track of that size, reused afterwards.
     */
    private CpuKalman kalman(CovarianceTrack tr) {
        ensureScratch(Math.max(tr.latentDim, tr.embeddingDim));
        return kalmanScratch;
    }

    private CpuRts rts(CovarianceTrack tr) {
        ensureScratch(Math.max(tr.latentDim, tr.embeddingDim));
        return rtsScratch;
    }

    private void ensureScratch(int dim) {
        if (dim > scratchDim) {
            kalmanScratch = new CpuKalman(scratch, dim);
            rtsScratch = new CpuRts(scratch, dim);
            scratchDim = dim;
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public Workspace workspace() {
        return workspace;
    }

    @Override
    public void denseForward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        CpuDense.forward(in, weight, bias, tanh, out);
    }

    @Override
    public void denseBackward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut,
                              Tensor dIn, Tensor dWeight, Tensor dBias) {
        CpuDense.backward(in, weight, out, tanh, dOut, dIn, dWeight, dBias);
    }

    @Override
    public void kalmanCovarianceForward(LdmParams p, Tensor mask, CovarianceTrack track) {
        kalman(track).covarianceForward(p, mask, track);
    }

    @Override
    public void kalmanCovarianceBackward(LdmParams p, CovarianceTrack track, LdmParams grad) {
        kalman(track).covarianceBackward(p, track, grad);
    }

    @Override
    public void kalmanMeanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                  Tensor filtMean, Tensor predMean) {
        kalman(track).meanForward(p, track, obs, mask, filtMean, predMean);
    }

    @Override
    public void kalmanMeanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                   Tensor dObs, LdmParams grad) {
        kalman(track).meanBackward(p, track, obs, mask, filtMean, predMean, dFiltMean, dPredMean, dObs, grad);
    }

    @Override
    public void rtsCovarianceForward(LdmParams p, CovarianceTrack track) {
        rts(track).covarianceForward(p, track);
    }

    @Override
    public void rtsCovarianceBackward(LdmParams p, CovarianceTrack track, LdmParams grad) {
        rts(track).covarianceBackward(p, track, grad);
    }

    @Override
    public void rtsMeanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        rts(track).meanForward(track, filtMean, predMean, smoothMean);
    }

    @Override
    public void rtsMeanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        rts(track).meanBackward(track, filtMean, predMean, smoothMean, dSmoothMean, dFiltMean, dPredMean);
    }

    @Override
    public double poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        return CpuLikelihood.poisson(logRate, counts, mask, shift, scale, dLogRate);
    }

    @Override
    public double gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance,
                                        float scale, Tensor dMean) {
        return CpuLikelihood.gaussian(mean, data, mask, shift, variance, scale, dMean);
    }

    @Override
    public double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        return CpuLikelihood.poissonSmoothness(logRate, mask, scale, dLogRate);
    }

    @Override
    public double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        return CpuLikelihood.gaussianSmoothness(mean, mask, variance, scale, dMean);
    }

    @Override
    public double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        return CpuLikelihood.latentSmoothness(smoothMean, track, dims, scale, dSmoothMean);
    }

    @Override
    public void maskRows(Tensor in, Tensor mask, Tensor out) {
        final int cols = in.dim(-1);
        final long rows = in.size() / cols;
        MemorySegment src = in.segment(), dst = out.segment();
        for (long r = 0; r < rows; r++) {
            if (mask.get(r) > 0f) {
                Blas.copy(cols, src, r * cols, dst, r * cols);
            } else {
                Blas.zero(cols, dst, r * cols);
            }
        }
    }

    @Override
    public void copyColumns(Tensor src, Tensor dst, int offset) {
        final int n = src.dim(-1), m = dst.dim(-1);
        final long rows = src.size() / n;
        for (long r = 0; r < rows; r++) Blas.copy(n, src.segment(), r * n, dst.segment(), r * m + offset);
    }

    @Override
    public void sliceColumns(Tensor src, int offset, Tensor dst) {
        final int n = dst.dim(-1), m = src.dim(-1);
        final long rows = dst.size() / n;
        for (long r = 0; r < rows; r++) Blas.copy(n, src.segment(), r * m + offset, dst.segment(), r * n);
    }

    @Override
    public void multiply(Tensor x, Tensor factor, Tensor out) {
        if (x.size() != factor.size() || x.size() != out.size()) {
            throw new IllegalArgumentException("multiply of " + x.shapeString() + " by " + factor.shapeString() + " into " + out.shapeString());
        }
        for (long i = 0; i < x.size(); i++) out.set(i, x.get(i) * factor.get(i));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        if (x.size() != y.size()) throw new IllegalArgumentException("axpy of " + x.shapeString() + " into " + y.shapeString());
        Blas.axpy(Math.toIntExact(x.size()), alpha, x.segment(), 0, y.segment(), 0);
    }

    @Override
    public double sumSquares(Tensor x) {
        double s = 0;
        for (long i = 0; i < x.size(); i++) {
            double v = x.get(i);
            s += v * v;
        }
        return s;
    }

    @Override
    public void close() {
        workspace.close();
        scratch.close();
    }
}
