// Log-likelihoods and smoothness (KL) terms with their gradients: the twin of CpuLikelihood.
// Each kernel adds scale * d(sum)/d(input) into the gradient (every entry has one writer) and
// leaves its sum (in double) as one partial per block; reduce_partials or trial_sums (elementwise.cu)
// then add the partials into the backend's sums in a fixed order. No atomics: the bits of every
// sum and gradient are the same whatever order the blocks run in.
#include "common.cuh"

#define MRINE_LOG_RATE_MIN -5.f
#define MRINE_LOG_RATE_MAX 5.f

__device__ __forceinline__ float mrine_clamp_rate(float raw) {
    return fminf(fmaxf(raw, MRINE_LOG_RATE_MIN), MRINE_LOG_RATE_MAX);
}

__device__ __forceinline__ bool mrine_inside(float raw) {
    return raw >= MRINE_LOG_RATE_MIN && raw <= MRINE_LOG_RATE_MAX;
}

/**
 * Poisson: logRate [B,T,N] predicts counts [B,T,N] at step t + shift under mask [B,T]:
 * sum of m (s log r - r - lgamma(s+1)), r = exp(clamp(z, -5, 5)); dz += scale m (s - r) inside the clamp.
 * Grid-stride over B (T - shift) N entries; partials[blockIdx.x] receives the block's sum.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) poisson_ll(const float* __restrict__ z, const float* __restrict__ s, const float* __restrict__ mask,
                                      int B, int T, int N, int shift, float scale, float* dz, double* partials) {
    __shared__ double red[32];
    const long long rowsPerTrial = T - shift, total = (long long)B * rowsPerTrial * N;
    double sum = 0;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long)gridDim.x * blockDim.x) {
        const long long row = e / N;
        const int n = (int)(e - row * N);
        const int b = (int)(row / rowsPerTrial), t = (int)(row - (long long)b * rowsPerTrial);
        const float m = mask[(long long)b * T + t + shift];
        if (m == 0.f) continue;
        const long long zi = ((long long)b * T + t) * N + n, si = ((long long)b * T + t + shift) * N + n;
        const float raw = z[zi], c = mrine_clamp_rate(raw), rate = expf(c), count = s[si];
        sum += m * ((double)count * c - rate - lgamma((double)count + 1.0));
        if (mrine_inside(raw)) dz[zi] += scale * m * (count - rate);
    }
    sum = block_sum_d(sum, red);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/** Gaussian with fixed variance: sum of m (logNorm - (y - mu)^2 / (2 var)); dmu += scale m (y - mu) / var. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) gaussian_ll(const float* __restrict__ mu, const float* __restrict__ y, const float* __restrict__ mask,
                                       int B, int T, int N, int shift, float variance, double logNorm, float scale,
                                       float* dmu, double* partials) {
    __shared__ double red[32];
    const long long rowsPerTrial = T - shift, total = (long long)B * rowsPerTrial * N;
    double sum = 0;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long)gridDim.x * blockDim.x) {
        const long long row = e / N;
        const int n = (int)(e - row * N);
        const int b = (int)(row / rowsPerTrial), t = (int)(row - (long long)b * rowsPerTrial);
        const float m = mask[(long long)b * T + t + shift];
        if (m == 0.f) continue;
        const long long mi = ((long long)b * T + t) * N + n, yi = ((long long)b * T + t + shift) * N + n;
        const float err = y[yi] - mu[mi];
        sum += m * (logNorm - (double)err * err / (2.0 * variance));
        dmu[mi] += scale * m * err / variance;
    }
    sum = block_sum_d(sum, red);
    if (threadIdx.x == 0) partials[blockIdx.x] = sum;
}

/** Previous available step before t (-1 if none) and next after t (T if none) under mask [T]. */
__device__ __forceinline__ void mrine_neighbours(const float* mask, int T, int t, int* prev, int* next) {
    int p = t - 1;
    while (p >= 0 && mask[p] == 0.f) p--;
    int q = t + 1;
    while (q < T && mask[q] == 0.f) q++;
    *prev = p;
    *next = q;
}

/**
 * Poisson smoothness of the trials of a batch, logRate [B,T,N] under mask [B,T], one block per trial
 * (blockIdx.x = b): for consecutive available steps (t0, t1): r0 log(r0 / r1) + r1 - r0. Trials with
 * divisor[b] <= 0 are skipped (partial 0). Thread per (t, n): the pair ending at t is summed by it, and
 * it writes the whole gradient of entry (t, n) (from the pair ending at t and the pair starting at t),
 * scaled by scales[b]. partials[b] receives the trial's sum.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) poisson_smooth(const float* __restrict__ z, const float* __restrict__ masks, int T, int N,
                                          const float* __restrict__ scales, const double* __restrict__ divisor, float* dz,
                                          double* partials) {
    __shared__ double red[32];
    const int b = blockIdx.x;
    if (!(divisor[b] > 0)) {
        if (threadIdx.x == 0) partials[b] = 0;
        return;
    }
    const float scale = scales[b];
    const float* mask = masks + (long long)b * T;
    const long long base = (long long)b * T * N;
    double sum = 0;
    for (long long e = threadIdx.x; e < (long long)T * N; e += blockDim.x) {
        const int t = (int)(e / N), n = (int)(e - (long long)t * N);
        if (mask[t] == 0.f) continue;
        int p, q;
        mrine_neighbours(mask, T, t, &p, &q);
        const float raw = z[base + (long long)t * N + n], rate = expf(mrine_clamp_rate(raw));
        float g = 0.f;
        if (p >= 0) {
            // pair (p, t): this entry is r1; d/dr1 = 1 - r0 / r1
            const float rate0 = expf(mrine_clamp_rate(z[base + (long long)p * N + n]));
            const float logRatio = logf(rate0 / rate);
            sum += (double)rate0 * logRatio + rate - rate0;
            g += scale * (1.f - rate0 / rate) * rate;
        }
        if (q < T) {
            // pair (t, q): this entry is r0; d/dr0 = log(r0 / r1)
            const float rate1 = expf(mrine_clamp_rate(z[base + (long long)q * N + n]));
            g += scale * logf(rate / rate1) * rate;
        }
        if (mrine_inside(raw)) dz[base + (long long)t * N + n] += g;
    }
    sum = block_sum_d(sum, red);
    if (threadIdx.x == 0) partials[b] = sum;
}

/** Gaussian smoothness of the trials of a batch, mean [B,T,N] under mask [B,T]: (mu1 - mu0)^2 / (2 var), as poisson_smooth. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) gaussian_smooth(const float* __restrict__ mu, const float* __restrict__ masks, int T, int N,
                                           float variance, const float* __restrict__ scales,
                                           const double* __restrict__ divisor, float* dmu, double* partials) {
    __shared__ double red[32];
    const int b = blockIdx.x;
    if (!(divisor[b] > 0)) {
        if (threadIdx.x == 0) partials[b] = 0;
        return;
    }
    const float scale = scales[b];
    const float* mask = masks + (long long)b * T;
    const long long base = (long long)b * T * N;
    double sum = 0;
    for (long long e = threadIdx.x; e < (long long)T * N; e += blockDim.x) {
        const int t = (int)(e / N), n = (int)(e - (long long)t * N);
        if (mask[t] == 0.f) continue;
        int p, q;
        mrine_neighbours(mask, T, t, &p, &q);
        const float here = mu[base + (long long)t * N + n];
        float g = 0.f;
        if (p >= 0) {
            const float diff = here - mu[base + (long long)p * N + n];
            sum += (double)diff * diff / (2.0 * variance);
            g += scale * diff / variance;
        }
        if (q < T) {
            const float diff = mu[base + (long long)q * N + n] - here;
            g -= scale * diff / variance;
        }
        dmu[base + (long long)t * N + n] += g;
    }
    sum = block_sum_d(sum, red);
    if (threadIdx.x == 0) partials[b] = sum;
}

/**
 * Latent smoothness of the trials of a batch, one block per trial (blockIdx.x = b): KL between
 * N(mu_t, v_t) and N(mu_{t+1}, v_{t+1}) for the first dims coordinates of xs [B,T,X], v the diagonal
 * of the trial's track's smoothed covariances (smooth[b] [T,X,X]); all steps. Thread per (t, i): sums
 * the pair (t, t+1) and writes the whole gradient of mu_t[i] into dxs and that of v_t[i] into
 * gv [B,T,dims] (latent_smooth_track_grad adds those into the tracks, trial by trial). partials[b]
 * receives the trial's sum.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) latent_smooth(const float* __restrict__ xs, const unsigned long long* __restrict__ smooth,
                                         int T, int X, int dims, float scale, float* dxs, float* gv,
                                         double* partials) {
    __shared__ double red[32];
    const int b = blockIdx.x;
    const float* ps = (const float*)smooth[b];
    const float* x = xs + (long long)b * T * X;
    const long long xx = (long long)X * X;
    double sum = 0;
    for (long long e = threadIdx.x; e < (long long)T * dims; e += blockDim.x) {
        const int t = (int)(e / dims), i = (int)(e - (long long)t * dims);
        const float mu = x[(long long)t * X + i], v = ps[t * xx + (long long)i * X + i];
        float gMu = 0.f, gV = 0.f;
        if (t + 1 < T) {
            // pair (t, t+1): this entry is (mu0, v0)
            const float mu1 = x[(long long)(t + 1) * X + i], v1 = ps[(t + 1) * xx + (long long)i * X + i];
            const float diff = mu1 - mu;
            sum += 0.5 * log((double)v1 / v) + ((double)diff * diff + v) / (2.0 * v1) - 0.5;
            gMu -= scale * diff / v1;
            gV += scale * (-0.5f / v + 0.5f / v1);
        }
        if (t > 0) {
            // pair (t-1, t): this entry is (mu1, v1)
            const float mu0 = x[(long long)(t - 1) * X + i], v0 = ps[(t - 1) * xx + (long long)i * X + i];
            const float diff = mu - mu0;
            gMu += scale * diff / v;
            gV += scale * (0.5f / v - (diff * diff + v0) / (2.f * v * v));
        }
        dxs[(long long)b * T * X + (long long)t * X + i] += gMu;
        gv[((long long)b * T + t) * dims + i] = gV;
    }
    sum = block_sum_d(sum, red);
    if (threadIdx.x == 0) partials[b] = sum;
}

/**
 * The latent smoothness's variance gradients added into the tracks' dSmooth diagonals: grid (groups),
 * members of group g are member[start[g] .. start[g+1]) (trials, in trial order), dSmooths[g] the
 * group's track's dSmooth [T,X,X]; each diagonal entry gets the trials' gv added one after another,
 * as the CPU adds them trial by trial.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) latent_smooth_track_grad(const unsigned long long* __restrict__ dSmooths,
                                                    const int* __restrict__ start, const int* __restrict__ member,
                                                    const float* __restrict__ gv, int T, int X, int dims) {
    const int g = blockIdx.x;
    float* dps = (float*)dSmooths[g];
    const long long xx = (long long)X * X;
    for (long long e = threadIdx.x; e < (long long)T * dims; e += blockDim.x) {
        const int t = (int)(e / dims), i = (int)(e - (long long)t * dims);
        float* d = dps + t * xx + (long long)i * X + i;
        float v = *d;
        for (int k = start[g]; k < start[g + 1]; k++) v += gv[((long long)member[k] * T + t) * dims + i];
        *d = v;
    }
}
