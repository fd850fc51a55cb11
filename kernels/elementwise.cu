// Small tensor ops and the optimizer: the twins of CpuBackend's maskRows, copyColumns, sliceColumns,
// multiply, axpy, sumSquares, scale and CpuOptimizer.adamStep. All grid-stride loops.
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

/** *result += sum of x^2 (double). */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) sum_squares(const float* __restrict__ x, long long n, double* result) {
    __shared__ double red[32];
    double s = 0;
    MRINE_GRID_STRIDE(e, n) {
        double v = x[e];
        s += v * v;
    }
    s = block_sum_d(s, red);
    if (threadIdx.x == 0) atomicAdd(result, s);
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
