// Small tensor ops, the optimizer and the fixed-order reductions: the twins of CpuBackend's maskRows,
// copyColumns, sliceColumns, multiply, axpy, sumSquares, scale, of CpuOptimizer.adamStep, and of the
// L2 penalty and gradient clip (Backend.l2Penalty, Backend.clipGradNorm). Elementwise kernels are
// grid-stride loops. Sums leave one partial per block, which a reduction kernel adds up in a fixed
// order: no float atomics anywhere, so every result has the same bits whatever order blocks run in.
#include "common.cuh"

#define MRINE_GRID_STRIDE(e, n) \
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < (n); e += (long long)gridDim.x * blockDim.x)

/** out[R,N] = where(mask[R] > 0, in, 0). */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) mask_rows(const float* __restrict__ in, const float* __restrict__ mask, long long R, int N, float* out) {
    MRINE_GRID_STRIDE(e, R * N) {
        out[e] = mask[e / N] > 0.f ? in[e] : 0.f;
    }
}

/** dst[R, offset + j] = src[R, j] for j < n; dst has m columns. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) copy_columns(const float* __restrict__ src, long long R, int n, float* dst, int m, int offset) {
    MRINE_GRID_STRIDE(e, R * n) {
        long long r = e / n;
        dst[r * m + offset + (e - r * n)] = src[e];
    }
}

/** dst[R, j] = src[R, offset + j] for j < n; src has m columns. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) slice_columns(const float* __restrict__ src, long long R, int m, int offset, float* dst, int n) {
    MRINE_GRID_STRIDE(e, R * n) {
        long long r = e / n;
        dst[e] = src[r * m + offset + (e - r * n)];
    }
}

/** out = x * factor (out may be x). */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) multiply(const float* x, const float* factor, long long n, float* out) {
    MRINE_GRID_STRIDE(e, n) {
        out[e] = x[e] * factor[e];
    }
}

/** y += alpha x. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) axpy(float alpha, const float* __restrict__ x, long long n, float* y) {
    MRINE_GRID_STRIDE(e, n) {
        y[e] = fmaf(alpha, x[e], y[e]);
    }
}

/** x *= alpha. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) scale(float* x, long long n, float alpha) {
    MRINE_GRID_STRIDE(e, n) {
        x[e] *= alpha;
    }
}

/** partials[blockIdx.x] = the block's share of the sum of x^2 (double). */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) sum_squares(const float* __restrict__ x, long long n, double* partials) {
    __shared__ double red[32];
    double s = 0;
    MRINE_GRID_STRIDE(e, n) {
        double v = x[e];
        s += v * v;
    }
    s = block_sum_d(s, red);
    if (threadIdx.x == 0) partials[blockIdx.x] = s;
}

/** sums[slot] += the sum of partials[0..count) (one block; each thread a fixed stride, then the block's sum). */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) reduce_partials(const double* __restrict__ partials, long long count, double* sums, int slot) {
    __shared__ double red[32];
    double s = 0;
    for (long long i = threadIdx.x; i < count; i += blockDim.x) s += partials[i];
    s = block_sum_d(s, red);
    if (threadIdx.x == 0) sums[slot] += s;
}

/**
 * sums[slot] += partials[b] / divisor[b] for b = 0 .. B-1 in order, over trials with divisor[b] > 0
 * (divisor null: every trial, undivided): the per-trial sums of a batch added as the CPU adds them.
 * One thread.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) trial_sums(const double* __restrict__ partials, const double* __restrict__ divisor, int B,
                                      double* sums, int slot) {
    if (threadIdx.x != 0 || blockIdx.x != 0) return;
    double acc = sums[slot];
    for (int b = 0; b < B; b++) {
        if (divisor == nullptr) {
            acc += partials[b];
        } else if (divisor[b] > 0) {
            acc += partials[b] / divisor[b];
        }
    }
    sums[slot] = acc;
}

/**
 * out[r * ldOut + c] += the blocks' partial results, block after block: for k = 0 .. blocks-1,
 * acc[k * stride + offset + r * cols + c], r < rows, c < cols. The fixed-order reduction of per-block
 * accumulators (split-K products, column sums, the covariance kernels' parameter gradients).
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) reduce_blocks(const float* __restrict__ acc, int blocks, long long stride, long long offset,
                                         long long rows, int cols, float* out, long long ldOut) {
    MRINE_GRID_STRIDE(e, rows * cols) {
        const long long r = e / cols, c = e - r * cols;
        float* o = out + r * ldOut + c;
        float v = *o;
        for (int k = 0; k < blocks; k++) v += acc[k * stride + offset + e];
        *o = v;
    }
}

/**
 * Sums of squares of several tensors at once: grid (gx, W), tensor w = (table[2w], table[2w+1] floats);
 * partials[w * gx + blockIdx.x] receives block x's share of tensor w's sum (double).
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) sum_squares_batch(const unsigned long long* __restrict__ table, double* partials) {
    __shared__ double red[32];
    const int w = blockIdx.y;
    const float* x = (const float*)table[2 * w];
    const long long n = (long long)table[2 * w + 1];
    double s = 0;
    MRINE_GRID_STRIDE(e, n) {
        double v = x[e];
        s += v * v;
    }
    s = block_sum_d(s, red);
    if (threadIdx.x == 0) partials[(long long)w * gridDim.x + blockIdx.x] = s;
}

/**
 * The L2 penalty's norms: norms[w] = sqrt(sum of partials[w * gx .. (w+1) gx)) for w < W (one thread
 * per tensor, partials in order); then sums[slot] += norms[0], += norms[1], ... in order, as the CPU
 * adds them. One block.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) l2_norms(const double* __restrict__ partials, int gx, int W, double* norms,
                                    double* sums, int slot) {
    for (int w = threadIdx.x; w < W; w += blockDim.x) {
        double s = 0;
        for (int k = 0; k < gx; k++) s += partials[(long long)w * gx + k];
        norms[w] = sqrt(s);
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        double acc = sums[slot];
        for (int w = 0; w < W; w++) acc += norms[w];
        sums[slot] = acc;
    }
}

/**
 * The L2 penalty's gradient: grid (gx, W), tensor w = (table[3w] weight, table[3w+1] floats,
 * table[3w+2] its gradient): grad += (float) (scale / norms[w]) weight where norms[w] > 0 (as axpy).
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) l2_grad(const unsigned long long* __restrict__ table, const double* __restrict__ norms,
                                   double scale) {
    const int w = blockIdx.y;
    const double norm = norms[w];
    if (!(norm > 0)) return;
    const float* x = (const float*)table[3 * w];
    const long long n = (long long)table[3 * w + 1];
    float* g = (float*)table[3 * w + 2];
    const float alpha = (float)(scale / norm);
    MRINE_GRID_STRIDE(e, n) {
        g[e] = fmaf(alpha, x[e], g[e]);
    }
}

/**
 * The gradient-norm clip, after reduce_partials left |x|^2 in *squared: norm = sqrt(*squared);
 * x *= (float) (maxNorm / (norm + 1e-6)) when maxNorm > 0 and that factor is below 1 (decided on the
 * device, in double, as the CPU decides it on the host); sums[slot] += norm.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) clip_scale(float* x, long long n, const double* __restrict__ squared, double maxNorm,
                                      double* sums, int slot) {
    const double norm = sqrt(*squared);
    if (blockIdx.x == 0 && threadIdx.x == 0) sums[slot] += norm;
    if (!(maxNorm > 0)) return;
    const double coef = maxNorm / (norm + 1e-6);
    if (!(coef < 1)) return;
    const float alpha = (float)coef;
    MRINE_GRID_STRIDE(e, n) {
        x[e] *= alpha;
    }
}

/**
 * One Adam step (PyTorch semantics) over [P]: every scalar formed in double on the host and rounded
 * once to float, as CpuOptimizer does (b1, b2, oneMinusB1 = 1 - beta1, oneMinusB2 = 1 - beta2, eps,
 * stepSize = lr / (1 - beta1^step), correction2Sqrt = sqrt(1 - beta2^step)).
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) adam_step(float* params, const float* __restrict__ grads, float* m, float* v, long long n,
                                     float b1, float b2, float oneMinusB1, float oneMinusB2, float eps, float stepSize,
                                     float correction2Sqrt) {
    MRINE_GRID_STRIDE(e, n) {
        const float g = grads[e];
        // separate roundings, as the Java loop (no fused multiply-add)
        const float mi = __fadd_rn(__fmul_rn(b1, m[e]), __fmul_rn(oneMinusB1, g));
        const float vi = __fadd_rn(__fmul_rn(b2, v[e]), __fmul_rn(__fmul_rn(oneMinusB2, g), g));
        m[e] = mi;
        v[e] = vi;
        const float denom = __fadd_rn(__fdiv_rn(sqrtf(vi), correction2Sqrt), eps);
        params[e] = __fsub_rn(params[e], __fmul_rn(stepSize, __fdiv_rn(mi, denom)));
    }
}
