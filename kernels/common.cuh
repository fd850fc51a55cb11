// Block-level building blocks shared by the kernels: every helper is called by all threads of a
// 1-D block (any multiple of 32 threads) and says where it synchronizes. Matrices are row-major
// float with a leading dimension (ld); pointers may be shared or global memory.
//
// Shape letters: T steps, X latent size, A embedding size, N channels, R rows.
#pragma once

#ifndef MRINE_EMU
#define MRINE_DYNAMIC_SMEM(type, name) extern __shared__ __align__(16) type name[]
#endif

#define MRINE_FULL_MASK 0xffffffffu

/**
 * The largest blocks the backend launches (Kernel.maxThreads in Java; CudaPtxFreshnessTest checks
 * the PTX's .maxntid against it): with the bound the compiler keeps registers within what a block
 * of that size may have (128 per thread at 512, 64 at 1024). Covariance kernels: 512 (their 4x4
 * register tiles need the registers); per-trial mean kernels: 1024; the rest: 256.
 */
#define MRINE_MATRIX_THREADS 512
#define MRINE_TRIAL_THREADS 1024
#define MRINE_REDUCE_THREADS 256

/** Error codes a kernel leaves in the backend's error word (the last writer wins). */
#define MRINE_ERR_NOT_SPD 1
#define MRINE_ERR_WORKSPACE 2

/**
 * A block's work matrices: dynamic shared memory when they fit (useShared), else its own wsFloats
 * of global scratch (blocks numbered x fastest).
 */
__device__ __forceinline__ float* mrine_workspace(float* smem, float* scratch, long long wsFloats, int useShared) {
    const long long block = ((long long)blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    return useShared ? smem : scratch + block * wsFloats;
}

/** True (in every thread) when the layout ending at end fits the workspace; else sets *err. */
__device__ __forceinline__ bool mrine_fits(const float* ws, const float* end, long long wsFloats, int* err) {
    if ((long long)(end - ws) <= wsFloats) return true;
    if (threadIdx.x == 0) atomicExch(err, MRINE_ERR_WORKSPACE);
    return false;
}

/** Leading dimension for an n-column matrix in shared memory: odd, so column walks hit distinct banks. */
__device__ __forceinline__ int mrine_ld(int n) {
    return n | 1;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(MRINE_FULL_MASK, v, o);
    return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(MRINE_FULL_MASK, v, o);
    return v;
}

/**
 * Sum of v over the block, in double, returned to every thread. Synchronizes (twice); scratch
 * holds 32 doubles (shared).
 */
__device__ double block_sum_d(double v, double* scratch) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    v = warp_sum_d(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    double total = 0;
    for (int w = 0; w < warps; w++) total += scratch[w];
    __syncthreads();
    return total;
}

/** dst[m,n] = src[m,n] (leading dimensions lds, ldd). No synchronization. */
__device__ void bcopy(int m, int n, const float* src, int lds, float* dst, int ldd) {
    for (int e = threadIdx.x; e < m * n; e += blockDim.x) {
        int i = e / n, j = e - i * n;
        dst[i * ldd + j] = src[i * lds + j];
    }
}

/** dst[n,m] = src[m,n]^T. No synchronization. */
__device__ void btranspose(int m, int n, const float* src, int lds, float* dst, int ldd) {
    for (int e = threadIdx.x; e < m * n; e += blockDim.x) {
        int j = e / m, i = e - j * m;
        dst[j * ldd + i] = src[i * lds + j];
    }
}

/** x[m,n] = 0. No synchronization. */
__device__ void bzero(int m, int n, float* x, int ld) {
    for (int e = threadIdx.x; e < m * n; e += blockDim.x) {
        int i = e / n, j = e - i * n;
        x[i * ld + j] = 0.f;
    }
}

/**
 * C[m,n] = alpha op(A) op(B) + beta C, op(A) [m,k], op(B) [k,n]; ta: A stored [k,m]; tb: B stored
 * [n,k]. beta == 0 ignores C's old contents. C must not alias A or B. No synchronization: the
 * caller synchronizes before reading C, and before overwriting A or B.
 *
 * Register-blocked: thread (ty, tx) of a ceil(m/4) x ceil(n/4) grid owns the 4 x 4 outputs at rows
 * ty + sm r and columns tx + sn c, so each k step loads 8 operands for 16 FMAs; the strided
 * ownership keeps a warp's loads on consecutive (or broadcast) shared-memory words. Each output is
 * one dot product summed in k order.
 */
__device__ __forceinline__ void bmm(bool ta, bool tb, int m, int n, int k, float alpha, const float* A, int lda,
                    const float* B, int ldb, float beta, float* C, int ldc) {
    const int sm = (m + 3) >> 2, sn = (n + 3) >> 2;
    for (int e = threadIdx.x; e < sm * sn; e += blockDim.x) {
        const int ty = e / sn, tx = e - ty * sn;
        int row[4], col[4];
#pragma unroll
        for (int r = 0; r < 4; r++) {
            row[r] = ty + sm * r;
            col[r] = tx + sn * r;
        }
        // out-of-range rows and columns read row/column 0 (always there) and are not written
        int ra[4], cb[4];
#pragma unroll
        for (int r = 0; r < 4; r++) {
            ra[r] = row[r] < m ? row[r] : 0;
            cb[r] = col[r] < n ? col[r] : 0;
        }
        float acc[4][4];
#pragma unroll
        for (int r = 0; r < 4; r++)
#pragma unroll
            for (int c = 0; c < 4; c++) acc[r][c] = 0.f;
        for (int p = 0; p < k; p++) {
            float a[4], b[4];
#pragma unroll
            for (int r = 0; r < 4; r++) a[r] = ta ? A[p * lda + ra[r]] : A[ra[r] * lda + p];
#pragma unroll
            for (int c = 0; c < 4; c++) b[c] = tb ? B[cb[c] * ldb + p] : B[p * ldb + cb[c]];
#pragma unroll
            for (int r = 0; r < 4; r++)
#pragma unroll
                for (int c = 0; c < 4; c++) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
        }
#pragma unroll
        for (int r = 0; r < 4; r++) {
            if (row[r] >= m) continue;
#pragma unroll
            for (int c = 0; c < 4; c++) {
                if (col[c] >= n) continue;
                float* out = C + row[r] * ldc + col[c];
                const float old = beta == 0.f ? 0.f : beta * *out;
                *out = alpha * acc[r][c] + old;
            }
        }
    }
}

/** P = (P + P^T) / 2 for a square [n,n] matrix (each pair written by one thread). No synchronization. */
__device__ void bsymmetrize(int n, float* P, int ld) {
    for (int e = threadIdx.x; e < n * n; e += blockDim.x) {
        int i = e / n, j = e - i * n;
        if (j > i) {
            float v = 0.5f * (P[i * ld + j] + P[j * ld + i]);
            P[i * ld + j] = v;
            P[j * ld + i] = v;
        }
    }
}

/** P[i,i] += d[i] for i < n. No synchronization. */
__device__ void badd_diag(int n, float* P, int ld, const float* d) {
    for (int i = threadIdx.x; i < n; i += blockDim.x) P[i * ld + i] += d[i];
}

/**
 * In-place Cholesky factor of a symmetric positive definite [n,n] matrix: the lower triangle becomes
 * L with P = L L^T, the strict upper triangle is zeroed. Only the upper triangle of P is read (it
 * is mirrored into the lower one first), as on the CPU. Right-looking, one column per round: the
 * pivot's column is scaled, then the trailing lower triangle updated with one multiply-add per
 * entry (threads share the entries; no warp reductions). Entry by entry this is the CPU's
 * row-oriented factor of the upper triangle (Blas.cholesky), the same operations in the same order.
 * On a non-positive pivot the matrix is filled with NaN and *err set. Synchronizes on entry (so
 * callers may have just written P) and before returning.
 */
__device__ void bcholesky(int n, float* P, int ld, float* tmp, int* err) {
    (void)tmp;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    // warps take rows, lanes columns (no divisions; a warp's stores are consecutive words)
    for (int i = 1 + warp; i < n; i += warps) {
        for (int j = lane; j < i; j += 32) P[i * ld + j] = P[j * ld + i];
    }
    __syncthreads();
    for (int j = 0; j < n; j++) {
        const float d = P[j * ld + j];
        if (!(d > 0.f)) {
            if (threadIdx.x == 0) atomicExch(err, MRINE_ERR_NOT_SPD);
            __syncthreads();
            for (int e = threadIdx.x; e < n * n; e += blockDim.x) P[(e / n) * ld + e % n] = __int_as_float(0x7fc00000);
            __syncthreads();
            return;
        }
        const float ljj = sqrtf(d);
        const float inv = 1.f / ljj;
        for (int i = j + 1 + threadIdx.x; i < n; i += blockDim.x) P[i * ld + j] = inv * P[i * ld + j];
        __syncthreads();
        // every thread has read the pivot: it may change now
        if (threadIdx.x == 0) P[j * ld + j] = ljj;
        for (int r = j + 1 + warp; r < n; r += warps) {
            const float lrj = P[r * ld + j];
            for (int c = j + 1 + lane; c <= r; c += 32) P[r * ld + c] = fmaf(-P[c * ld + j], lrj, P[r * ld + c]);
        }
        for (int c = j + 1 + threadIdx.x; c < n; c += blockDim.x) P[j * ld + c] = 0.f;
        __syncthreads();
    }
}

/**
 * Solves (L L^T) X = B in place: L [n,n] from bcholesky, B [n,nrhs]. Each right-hand side is one
 * thread's (no synchronization between rows): forward substitution with L, then back substitution
 * with L^T, each row's multiply-adds in the order of the CPU's solve (Blas.cholSolve), the result
 * scaled by the reciprocal pivot. Synchronizes on entry and before returning.
 */
__device__ void bcholsolve(int n, int nrhs, const float* L, int ldl, float* B, int ldb) {
    __syncthreads();
    for (int c = threadIdx.x; c < nrhs; c += blockDim.x) {
        for (int i = 0; i < n; i++) {
            float acc = B[i * ldb + c];
            for (int p = 0; p < i; p++) acc = fmaf(B[p * ldb + c], -L[i * ldl + p], acc);
            B[i * ldb + c] = acc * (1.f / L[i * ldl + i]);
        }
        for (int i = n - 1; i >= 0; i--) {
            float acc = B[i * ldb + c];
            for (int p = i + 1; p < n; p++) acc = fmaf(B[p * ldb + c], -L[p * ldl + i], acc);
            B[i * ldb + c] = acc * (1.f / L[i * ldl + i]);
        }
    }
    __syncthreads();
}
