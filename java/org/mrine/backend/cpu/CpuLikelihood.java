package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.mrine.backend.CovarianceTrack;
import org.mrine.tensor.Tensor;

/**
 * Log-likelihood and smoothness (KL) terms with their gradients. Sums are accumulated in
 * double; the model divides by the counts of available entries it knows from the masks. The
 * elementwise work runs in vector lanes, each lane doing the operations of its scalar twin in the
 * same order (the tails run the twin), so results do not depend on where a row's vectors start.
 */
final class CpuLikelihood {
    static final float LOG_RATE_MIN = -5f;
    static final float LOG_RATE_MAX = 5f;
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private CpuLikelihood() {
    }

    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    private static final int L = SP.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    // exp on the clamped log-rates [-5, 5]: 2^n p(r) with n = round(x log2 e) and r = x - n ln 2
    // (ln 2 in two parts), p Cephes' expf polynomial; at most 2 ulp from the correctly rounded exp.
    // Only correctly rounded operations (fma, add, mul), so vector lanes and the scalar twin agree
    // bit for bit, compiled or interpreted (Math.exp is 10 ns a value and has no vector form).
    private static final float LOG2E = 1.44269504088896341f, ROUND = 12582912f;   // 1.5 * 2^23
    private static final float LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float E0 = 1.9875691500e-4f, E1 = 1.3981999507e-3f, E2 = 8.3334519073e-3f,
            E3 = 4.1665795894e-2f, E4 = 1.6666665459e-1f, E5 = 5.0000001201e-1f;
    private static final int ROUND_BITS = 0x4B400000;

    /** exp(x) for x in [-5, 5], the scalar twin of {@link #exp(FloatVector)}. */
    static float exp(float x) {
        float t = Math.fma(x, LOG2E, ROUND);          // n + 1.5 * 2^23, n = round(x / ln 2)
        float n = t - ROUND;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, E0, E1);
        p = Math.fma(p, r, E2);
        p = Math.fma(p, r, E3);
        p = Math.fma(p, r, E4);
        p = Math.fma(p, r, E5);
        float y = Math.fma(p, r * r, r) + 1f;
        return y * Float.intBitsToFloat((Float.floatToRawIntBits(t) - ROUND_BITS + 127) << 23);
    }

    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(LOG2E, ROUND);
        FloatVector n = t.sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(SP, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(SP, -LN2_LO), r);
        FloatVector p = r.fma(E0, E1);
        p = p.fma(r, FloatVector.broadcast(SP, E2));
        p = p.fma(r, FloatVector.broadcast(SP, E3));
        p = p.fma(r, FloatVector.broadcast(SP, E4));
        p = p.fma(r, FloatVector.broadcast(SP, E5));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        FloatVector scale = ((IntVector) t.reinterpretAsInts()).sub(ROUND_BITS - 127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    /** log(c!) = log Gamma(c + 1) for small whole counts, the same doubles {@link SpecialFunctions#logGamma} gives. */
    private static final double[] LOG_FACTORIAL = new double[4096];

    static {
        for (int c = 0; c < LOG_FACTORIAL.length; c++) LOG_FACTORIAL[c] = SpecialFunctions.logGamma(c + 1.0);
    }

    static double logFactorial(float count) {
        int c = (int) count;
        return c == count && c >= 0 && c < LOG_FACTORIAL.length ? LOG_FACTORIAL[c] : SpecialFunctions.logGamma(count + 1.0);
    }

    /** Per-thread row buffers on the heap: the vector pass leaves values there for the double sums. */
    private static final ThreadLocal<float[][]> ROWS = ThreadLocal.withInitial(() -> new float[3][0]);

    private static float[][] rows(int n) {
        float[][] r = ROWS.get();
        if (r[0].length < n) for (int i = 0; i < r.length; i++) r[i] = new float[n];
        return r;
    }

    /**
     * sum over available (b, t) of m * (count * z - exp(z) - log(count!)), z the log-rate clamped to
     * [-5, 5]; dLogRate += scale * m * (count - exp(z)) where the clamp passes gradient. The
     * elementwise work runs in vector lanes, rows side by side on the threads; the sum runs in
     * double, element by element, in the order of the plain loop ({@link #sumOverRows}).
     */
    static double poisson(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        final int T = counts.dim(1), N = counts.dim(2);
        MemorySegment z = logRate.segment(), s = counts.segment(), dz = dLogRate.segment();
        final int bound = Blas.VECTOR ? SP.loopBound(N) : 0;
        return sumOverRows(counts.dim(0) * T, N, (r, m, buf, terms, at) -> {
            long zRow = r * N, sRow = (r + shift) * N;
            float[] clampedRow = buf[0], rateRow = buf[1];
            float sm = scale * m;
            int n = 0;
            for (; n < bound; n += L) {
                FloatVector raw = FloatVector.fromMemorySegment(SP, z, (zRow + n) * 4, ORDER);
                FloatVector clamped = raw.max(LOG_RATE_MIN).min(LOG_RATE_MAX);
                FloatVector rate = exp(clamped);
                FloatVector count = FloatVector.fromMemorySegment(SP, s, (sRow + n) * 4, ORDER);
                // the clamp passes gradient only inside [-5, 5], as torch.clamp does
                VectorMask<Float> inside = raw.compare(VectorOperators.GE, LOG_RATE_MIN).and(raw.compare(VectorOperators.LE, LOG_RATE_MAX));
                FloatVector d = FloatVector.fromMemorySegment(SP, dz, (zRow + n) * 4, ORDER);
                d.add(count.sub(rate).mul(sm), inside).intoMemorySegment(dz, (zRow + n) * 4, ORDER);
                clamped.intoArray(clampedRow, n);
                rate.intoArray(rateRow, n);
            }
            for (; n < N; n++) {
                float raw = Blas.get(z, zRow + n);
                float clamped = clamp(raw), rate = exp(clamped);
                if (inside(raw)) Blas.set(dz, zRow + n, Blas.get(dz, zRow + n) + (Blas.get(s, sRow + n) - rate) * sm);
                clampedRow[n] = clamped;
                rateRow[n] = rate;
            }
            for (n = 0; n < N; n++) {
                float count = Blas.get(s, sRow + n);
                terms[at + n] = m * ((double) count * clampedRow[n] - rateRow[n] - logFactorial(count));
            }
        }, mask, T, shift);
    }

    /** sum of m * (log N(data; mean, variance)); dMean += scale * m * (data - mean) / variance. */
    static double gaussian(Tensor mean, Tensor data, Tensor mask, int shift, float variance, float scale, Tensor dMean) {
        final int T = data.dim(1), N = data.dim(2);
        MemorySegment mu = mean.segment(), y = data.segment(), dmu = dMean.segment();
        final double logNorm = -0.5 * (LOG_2PI + Math.log(variance));
        final int bound = Blas.VECTOR ? SP.loopBound(N) : 0;
        return sumOverRows(data.dim(0) * T, N, (r, m, buf, terms, at) -> {
            long muRow = r * N, yRow = (r + shift) * N;
            float[] errRow = buf[0];
            float sm = scale * m;
            int n = 0;
            for (; n < bound; n += L) {
                FloatVector err = FloatVector.fromMemorySegment(SP, y, (yRow + n) * 4, ORDER)
                        .sub(FloatVector.fromMemorySegment(SP, mu, (muRow + n) * 4, ORDER));
                FloatVector.fromMemorySegment(SP, dmu, (muRow + n) * 4, ORDER).add(err.mul(sm).div(variance))
                        .intoMemorySegment(dmu, (muRow + n) * 4, ORDER);
                err.intoArray(errRow, n);
            }
            for (; n < N; n++) {
                float err = Blas.get(y, yRow + n) - Blas.get(mu, muRow + n);
                Blas.set(dmu, muRow + n, Blas.get(dmu, muRow + n) + err * sm / variance);
                errRow[n] = err;
            }
            for (n = 0; n < N; n++) {
                float err = errRow[n];
                terms[at + n] = m * (logNorm - (double) err * err / (2 * variance));
            }
        }, mask, T, shift);
    }

    /**
     * One row of a likelihood: its gradient, and its N terms of the sum into terms[at, at + N);
     * rowBuffers: the running thread's {@link #rows} of N floats, for the vector pass's values.
     */
    private interface RowTerms {
        void row(long r, float m, float[][] rowBuffers, double[] terms, int at);
    }

    /** Terms kept between the parallel pass and the sum: at most this many at a time (8 MB). */
    private static final int TERMS_PER_BLOCK = 1 << 20;
    private static final ThreadLocal<double[]> TERMS = ThreadLocal.withInitial(() -> new double[0]);

    /**
     * The likelihood over the available rows r = b T + t (t + shift < T, mask m = mask[r + shift] > 0)
     * of rows [B T, N]: the rows run side by side on the threads, leaving their terms in a buffer;
     * then the terms are summed in double, row by row and element by element, in the order of the
     * plain loop, so the sum does not depend on the threads. Rows go in blocks of at most
     * {@link #TERMS_PER_BLOCK} terms.
     */
    private static double sumOverRows(int rows, int N, RowTerms pass, Tensor mask, int T, int shift) {
        final int block = Math.max(1, TERMS_PER_BLOCK / Math.max(1, N));
        double[] terms = TERMS.get();
        if (terms.length < (long) Math.min(block, rows) * N) {
            terms = new double[Math.min(block, rows) * N];
            TERMS.set(terms);
        }
        final double[] buffer = terms;
        double sum = 0;
        for (int first = 0; first < rows; first += block) {
            final int from = first, to = Math.min(rows, first + block);
            CpuThreads.forRanges(to - from, Math.max(1, CpuThreads.ELEMENTWISE_RANGE / N), (w, a, b) -> {
                float[][] rowBuffers = rows(N);
                for (long r = from + a; r < from + b; r++) {
                    float m = available(mask, r, T, shift);
                    if (m != 0f) pass.row(r, m, rowBuffers, buffer, (int) (r - from) * N);
                }
            });
            for (int r = from; r < to; r++) {
                if (available(mask, r, T, shift) == 0f) continue;
                for (int n = 0, at = (r - from) * N; n < N; n++) sum += buffer[at + n];
            }
        }
        return sum;
    }

    /** The mask of row r = b T + t shifted by shift steps, 0 where t + shift runs past the trial. */
    private static float available(Tensor mask, long r, int T, int shift) {
        return r % T + shift < T ? mask.get(r + shift) : 0f;
    }

    /**
     * Poisson KL between rates at consecutive available steps of one trial: logRate[T,N], mask[T].
     * With z the clamped log-rates, log(r0 / r1) = z0 - z1.
     */
    static double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        final int T = logRate.dim(0), N = logRate.dim(1);
        MemorySegment z = logRate.segment(), dz = dLogRate.segment();
        float[][] buf = rows(N);
        float[] ratioRow = buf[0], rate0Row = buf[1], rate1Row = buf[2];
        final int bound = Blas.VECTOR ? SP.loopBound(N) : 0;
        double sum = 0;
        int prev = -1;
        for (int t = 0; t < T; t++) {
            if (mask.get(t) == 0f) continue;
            if (prev >= 0) {
                long r0 = (long) prev * N, r1 = (long) t * N;
                int n = 0;
                for (; n < bound; n += L) {
                    FloatVector raw0 = FloatVector.fromMemorySegment(SP, z, (r0 + n) * 4, ORDER);
                    FloatVector raw1 = FloatVector.fromMemorySegment(SP, z, (r1 + n) * 4, ORDER);
                    FloatVector c0 = raw0.max(LOG_RATE_MIN).min(LOG_RATE_MAX), c1 = raw1.max(LOG_RATE_MIN).min(LOG_RATE_MAX);
                    FloatVector rate0 = exp(c0), rate1 = exp(c1);
                    FloatVector logRatio = c0.sub(c1);
                    // d/dr0 = log(r0/r1); d/dr1 = 1 - r0/r1; dr/dz = r inside the clamp
                    VectorMask<Float> in0 = raw0.compare(VectorOperators.GE, LOG_RATE_MIN).and(raw0.compare(VectorOperators.LE, LOG_RATE_MAX));
                    VectorMask<Float> in1 = raw1.compare(VectorOperators.GE, LOG_RATE_MIN).and(raw1.compare(VectorOperators.LE, LOG_RATE_MAX));
                    FloatVector.fromMemorySegment(SP, dz, (r0 + n) * 4, ORDER).add(logRatio.mul(scale).mul(rate0), in0)
                            .intoMemorySegment(dz, (r0 + n) * 4, ORDER);
                    FloatVector one = FloatVector.broadcast(SP, 1f);
                    FloatVector.fromMemorySegment(SP, dz, (r1 + n) * 4, ORDER).add(one.sub(rate0.div(rate1)).mul(scale).mul(rate1), in1)
                            .intoMemorySegment(dz, (r1 + n) * 4, ORDER);
                    logRatio.intoArray(ratioRow, n);
                    rate0.intoArray(rate0Row, n);
                    rate1.intoArray(rate1Row, n);
                }
                for (; n < N; n++) {
                    float raw0 = Blas.get(z, r0 + n), raw1 = Blas.get(z, r1 + n);
                    float c0 = clamp(raw0), c1 = clamp(raw1);
                    float rate0 = exp(c0), rate1 = exp(c1);
                    float logRatio = c0 - c1;
                    if (inside(raw0)) Blas.set(dz, r0 + n, Blas.get(dz, r0 + n) + logRatio * scale * rate0);
                    if (inside(raw1)) Blas.set(dz, r1 + n, Blas.get(dz, r1 + n) + (1f - rate0 / rate1) * scale * rate1);
                    ratioRow[n] = logRatio;
                    rate0Row[n] = rate0;
                    rate1Row[n] = rate1;
                }
                for (n = 0; n < N; n++) sum += (double) rate0Row[n] * ratioRow[n] + rate1Row[n] - rate0Row[n];
            }
            prev = t;
        }
        return sum;
    }

    /** Gaussian KL between means at consecutive available steps with one fixed variance. */
    static double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        final int T = mean.dim(0), N = mean.dim(1);
        MemorySegment mu = mean.segment(), dmu = dMean.segment();
        float[] diffRow = rows(N)[0];
        final int bound = Blas.VECTOR ? SP.loopBound(N) : 0;
        double sum = 0;
        int prev = -1;
        for (int t = 0; t < T; t++) {
            if (mask.get(t) == 0f) continue;
            if (prev >= 0) {
                long r0 = (long) prev * N, r1 = (long) t * N;
                int n = 0;
                for (; n < bound; n += L) {
                    FloatVector diff = FloatVector.fromMemorySegment(SP, mu, (r1 + n) * 4, ORDER)
                            .sub(FloatVector.fromMemorySegment(SP, mu, (r0 + n) * 4, ORDER));
                    FloatVector g = diff.mul(scale).div(variance);
                    FloatVector.fromMemorySegment(SP, dmu, (r1 + n) * 4, ORDER).add(g).intoMemorySegment(dmu, (r1 + n) * 4, ORDER);
                    FloatVector.fromMemorySegment(SP, dmu, (r0 + n) * 4, ORDER).sub(g).intoMemorySegment(dmu, (r0 + n) * 4, ORDER);
                    diff.intoArray(diffRow, n);
                }
                for (; n < N; n++) {
                    float diff = Blas.get(mu, r1 + n) - Blas.get(mu, r0 + n);
                    float g = diff * scale / variance;
                    Blas.set(dmu, r1 + n, Blas.get(dmu, r1 + n) + g);
                    Blas.set(dmu, r0 + n, Blas.get(dmu, r0 + n) - g);
                    diffRow[n] = diff;
                }
                for (n = 0; n < N; n++) sum += (double) diffRow[n] * diffRow[n] / (2 * variance);
            }
            prev = t;
        }
        return sum;
    }

    /** KL between neighbouring smoothed latent Gaussians (first dims coordinates, all steps). */
    static double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        float[] dVariance = rows(2 * (smoothMean.dim(0) - 1) * dims)[2];
        double sum = latentSmoothnessTerms(smoothMean, track, dims, scale, dSmoothMean, dVariance);
        addVarianceAdjoints(track, smoothMean.dim(0), dims, dVariance);
        return sum;
    }

    /**
     * {@link #latentSmoothness} but for the variances' adjoints, which go to dVariance [T-1, dims, 2]
     * (the increments of v_t and v_{t+1} of each term) instead of track.dSmooth: the trials that share
     * a track compute side by side, then {@link #addVarianceAdjoints} adds theirs in trial order.
     */
    static double latentSmoothnessTerms(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean,
                                        float[] dVariance) {
        final int T = smoothMean.dim(0), nx = smoothMean.dim(1);
        final long xx = (long) nx * nx;
        MemorySegment xs = smoothMean.segment(), dxs = dSmoothMean.segment(), ps = track.smooth.segment();
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
                int k = 2 * (t * dims + i);
                dVariance[k] = scale * (-0.5f / v0 + 0.5f / v1);
                dVariance[k + 1] = scale * (0.5f / v1 - (diff * diff + v0) / (2f * v1 * v1));
            }
        }
        return sum;
    }

    /** track.dSmooth gets the variance adjoints of one trial's {@link #latentSmoothnessTerms}, term by term. */
    static void addVarianceAdjoints(CovarianceTrack track, int steps, int dims, float[] dVariance) {
        final int nx = track.latentDim;
        final long xx = (long) nx * nx;
        MemorySegment dps = track.dSmooth.segment();
        for (int t = 0; t + 1 < steps; t++) {
            for (int i = 0; i < dims; i++) {
                long v0i = t * xx + (long) i * nx + i, v1i = v0i + xx;
                int k = 2 * (t * dims + i);
                Blas.set(dps, v0i, Blas.get(dps, v0i) + dVariance[k]);
                Blas.set(dps, v1i, Blas.get(dps, v1i) + dVariance[k + 1]);
            }
        }
    }

    private static float clamp(float raw) {
        return Math.min(Math.max(raw, LOG_RATE_MIN), LOG_RATE_MAX);
    }

    private static boolean inside(float raw) {
        return raw >= LOG_RATE_MIN && raw <= LOG_RATE_MAX;
    }
}
