package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.mrine.backend.CovarianceTrack;
import org.mrine.tensor.Tensor;

/**
 * Log-likelihood and smoothness (KL) terms with their gradients. Sums are accumulated in
 * double; the model divides by the counts of available entries it knows from the masks.
 */
final class CpuLikelihood {
    static final float LOG_RATE_MIN = -5f;
    static final float LOG_RATE_MAX = 5f;
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private CpuLikelihood() {
    }

    static double poisson(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        final int B = counts.dim(0), T = counts.dim(1), N = counts.dim(2);
        MemorySegment z = logRate.segment(), s = counts.segment(), dz = dLogRate.segment();
        double sum = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t + shift < T; t++) {
                float m = mask.get((long) b * T + t + shift);
                if (m == 0f) continue;
                long zRow = ((long) b * T + t) * N, sRow = ((long) b * T + t + shift) * N;
                for (int n = 0; n < N; n++) {
                    float raw = Blas.get(z, zRow + n);
                    float clamped = Math.min(Math.max(raw, LOG_RATE_MIN), LOG_RATE_MAX);
                    float rate = (float) Math.exp(clamped);
                    float count = Blas.get(s, sRow + n);
                    sum += m * ((double) count * clamped - rate - SpecialFunctions.logGamma(count + 1.0));
                    // the clamp passes gradient only inside [-5, 5], as torch.clamp does
                    if (raw >= LOG_RATE_MIN && raw <= LOG_RATE_MAX) {
                        Blas.set(dz, zRow + n, Blas.get(dz, zRow + n) + scale * m * (count - rate));
                    }
                }
            }
        }
        return sum;
    }

    static double gaussian(Tensor mean, Tensor data, Tensor mask, int shift, float variance, float scale, Tensor dMean) {
        final int B = data.dim(0), T = data.dim(1), N = data.dim(2);
        MemorySegment mu = mean.segment(), y = data.segment(), dmu = dMean.segment();
        final double logNorm = -0.5 * (LOG_2PI + Math.log(variance));
        double sum = 0;
        for (int b = 0; b < B; b++) {
            for (int t = 0; t + shift < T; t++) {
                float m = mask.get((long) b * T + t + shift);
                if (m == 0f) continue;
                long muRow = ((long) b * T + t) * N, yRow = ((long) b * T + t + shift) * N;
                for (int n = 0; n < N; n++) {
                    float err = Blas.get(y, yRow + n) - Blas.get(mu, muRow + n);
                    sum += m * (logNorm - (double) err * err / (2 * variance));
                    Blas.set(dmu, muRow + n, Blas.get(dmu, muRow + n) + scale * m * err / variance);
                }
            }
        }
        return sum;
    }

    /** Poisson KL between rates at consecutive available steps of one trial: logRate[T,N], mask[T]. */
    static double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        final int T = logRate.dim(0), N = logRate.dim(1);
        MemorySegment z = logRate.segment(), dz = dLogRate.segment();
        double sum = 0;
        int prev = -1;
        for (int t = 0; t < T; t++) {
            if (mask.get(t) == 0f) continue;
            if (prev >= 0) {
                long r0 = (long) prev * N, r1 = (long) t * N;
                for (int n = 0; n < N; n++) {
                    float raw0 = Blas.get(z, r0 + n), raw1 = Blas.get(z, r1 + n);
                    float c0 = clamp(raw0), c1 = clamp(raw1);
                    float rate0 = (float) Math.exp(c0), rate1 = (float) Math.exp(c1);
                    float logRatio = (float) Math.log(rate0 / rate1);
                    sum += (double) rate0 * logRatio + rate1 - rate0;
                    // d/dr0 = log(r0/r1); d/dr1 = 1 - r0/r1; dr/dz = r inside the clamp
                    if (inside(raw0)) Blas.set(dz, r0 + n, Blas.get(dz, r0 + n) + scale * logRatio * rate0);
                    if (inside(raw1)) Blas.set(dz, r1 + n, Blas.get(dz, r1 + n) + scale * (1f - rate0 / rate1) * rate1);
                }
            }
            prev = t;
        }
        return sum;
    }

    /** Gaussian KL between means at consecutive available steps with one fixed variance. */
    static double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        final int T = mean.dim(0), N = mean.dim(1);
        MemorySegment mu = mean.segment(), dmu = dMean.segment();
        double sum = 0;
        int prev = -1;
        for (int t = 0; t < T; t++) {
            if (mask.get(t) == 0f) continue;
            if (prev >= 0) {
                long r0 = (long) prev * N, r1 = (long) t * N;
                for (int n = 0; n < N; n++) {
                    float diff = Blas.get(mu, r1 + n) - Blas.get(mu, r0 + n);
                    sum += (double) diff * diff / (2 * variance);
                    float g = scale * diff / variance;
                    Blas.set(dmu, r1 + n, Blas.get(dmu, r1 + n) + g);
                    Blas.set(dmu, r0 + n, Blas.get(dmu, r0 + n) - g);
                }
            }
            prev = t;
        }
        return sum;
    }

    /** KL between neighbouring smoothed latent Gaussians (first dims coordinates, all steps). */
    static double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        final int T = smoothMean.dim(0), nx = smoothMean.dim(1);
        final long xx = (long) nx * nx;
        MemorySegment xs = smoothMean.segment(), dxs = dSmoothMean.segment();
        MemorySegment ps = track.smooth.segment(), dps = track.dSmooth.segment();
        double sum = 0;
        for (int t = 0; t + 1 < T; t++) {
            for (int i = 0; i < dims; i++) {
                long m0 = (long) t * nx + i, m1 = m0 + nx;
                long v0i = t * xx + (long) i * nx + i, v1i = v0i + xx;
                float mu0 = Blas.get(xs, m0), mu1 = Blas.get(xs, m1);
                float v0 = Blas.get(ps, v0i), v1 = Blas.get(ps, v1i);
                float diff = mu1 - mu0;
                sum += 0.5 * Math.log((double) v1 / v0) + ((double) diff * diff + v0) / (2.0 * v1) - 0.5;
                float gMu = scale * diff / v1;
                Blas.set(dxs, m1, Blas.get(dxs, m1) + gMu);
                Blas.set(dxs, m0, Blas.get(dxs, m0) - gMu);
                Blas.set(dps, v0i, Blas.get(dps, v0i) + scale * (-0.5f / v0 + 0.5f / v1));
                Blas.set(dps, v1i, Blas.get(dps, v1i) + scale * (0.5f / v1 - (diff * diff + v0) / (2f * v1 * v1)));
            }
        }
        return sum;
    }

    private static float clamp(float raw) {
        return Math.min(Math.max(raw, LOG_RATE_MIN), LOG_RATE_MAX);
    }

    private static boolean inside(float raw) {
        return raw >= LOG_RATE_MIN && raw <= LOG_RATE_MAX;
    }
}
