// Dense (Linear, optionally followed by tanh) layer over rows: the twin of CpuDense.
//   forward:  out[R,O] = act(in[R,I] W[O,I]^T + b[O])         sgemm with the bias/tanh epilogue
//   backward: dPre = dOut * (1 - out^2) (tanh);  dW += dPre^T in;  dB += column sums;  dIn += dPre W
#include "common.cuh"

#define SG_BM 64
#define SG_BN 64
#define SG_BK 16
#define SG_THREADS MRINE_REDUCE_THREADS

/**
 * C[M,N] = alpha op(A) op(B) + beta C, then + bias[col] and tanh when asked: op(A) [M,K] (transA: A
 * stored [K,M]), op(B) [K,N] (transB: B stored [N,K]); row-major with leading dimensions.
 * 64x64 tiles, 256 threads, 4x4 outputs per thread. Grid (ceil(N/64), ceil(M/64), splits): with
 * splits > 1, slice z covers K range [z kChunk, (z+1) kChunk) and writes alpha * its partial product
 * to partials + z M N ([M,N], row-major); reduce_blocks then adds the slices into C in order (the
 * caller passes beta = 1, no bias, no tanh). No atomics: the bits do not depend on block order.
 */
extern "C" __global__ void __launch_bounds__(SG_THREADS) sgemm(int transA, int transB, int M, int N, int K, float alpha,
                                                               const float* __restrict__ A, int lda,
                                                               const float* __restrict__ B, int ldb, float beta,
                                                               float* C, int ldc, const float* __restrict__ bias,
                                                               int tanhAct, int kChunk, float* partials) {
    __shared__ float As[SG_BK][SG_BM + 4];
    __shared__ float Bs[SG_BK][SG_BN + 4];
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int m0 = blockIdx.y * SG_BM, n0 = blockIdx.x * SG_BN;
    const int kBegin = blockIdx.z * kChunk, kEnd = min(K, kBegin + kChunk);
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;
    for (int k0 = kBegin; k0 < kEnd; k0 += SG_BK) {
        // op(A) tile [64 x 16] into As[k][m]; op(B) tile [16 x 64] into Bs[k][n]; 4 loads each per thread
        for (int l = 0; l < 4; l++) {
            const int e = tid + l * SG_THREADS;
            int i, kk;
            if (transA) {
                i = e & 63;
                kk = e >> 6;
            } else {
                kk = e & 15;
                i = e >> 4;
            }
            const int gm = m0 + i, gk = k0 + kk;
            float a = 0.f;
            if (gm < M && gk < kEnd) a = transA ? A[(long long)gk * lda + gm] : A[(long long)gm * lda + gk];
            As[kk][i] = a;
            int j;
            if (transB) {
                kk = e & 15;
                j = e >> 4;
            } else {
                j = e & 63;
                kk = e >> 6;
            }
            const int gn = n0 + j, gk2 = k0 + kk;
            float b = 0.f;
            if (gn < N && gk2 < kEnd) b = transB ? B[(long long)gn * ldb + gk2] : B[(long long)gk2 * ldb + gn];
            Bs[kk][j] = b;
        }
        __syncthreads();
        for (int kk = 0; kk < SG_BK; kk++) {
            float a[4], b[4];
            for (int r = 0; r < 4; r++) a[r] = As[kk][ty + 16 * r];
            for (int c = 0; c < 4; c++) b[c] = Bs[kk][tx + 16 * c];
            for (int r = 0; r < 4; r++)
                for (int c = 0; c < 4; c++) acc[r][c] = fmaf(a[r], b[c], acc[r][c]);
        }
        __syncthreads();
    }
    const bool split = gridDim.z > 1;
    for (int r = 0; r < 4; r++) {
        const int gm = m0 + ty + 16 * r;
        if (gm >= M) continue;
        for (int c = 0; c < 4; c++) {
            const int gn = n0 + tx + 16 * c;
            if (gn >= N) continue;
            if (split) {
                partials[((long long)blockIdx.z * M + gm) * N + gn] = alpha * acc[r][c];
            } else {
                float* out = C + (long long)gm * ldc + gn;
                float v = alpha * acc[r][c] + (beta == 0.f ? 0.f : beta * *out);
                if (bias) v += bias[gn];
                *out = tanhAct ? tanhf(v) : v;
            }
        }
    }
}

/** out[R,O] = act(out + bias[O]) (bias may be null): the epilogue when cuBLAS computed the product. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) bias_act(float* out, const float* __restrict__ bias, long long R,
                                                                           int O, int tanhAct) {
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < R * O; e += (long long)gridDim.x * blockDim.x) {
        float v = out[e];
        if (bias) v += bias[e % O];
        out[e] = tanhAct ? tanhf(v) : v;
    }
}

/** d[n] *= 1 - y^2: the tanh derivative through the layer's output y. */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) tanh_backward(float* d, const float* __restrict__ y, long long n) {
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x) {
        const float v = y[e];
        d[e] *= 1.f - v * v;
    }
}

/**
 * dB[O] += sum over rows of d[R,O]. Grid (ceil(O/32), splits), block 32 x 8: each column of a block
 * gets 8 row-walkers, reduced in shared memory in walker order; with splits > 1 the row range is
 * split, split y writes its column sums to partials + y O, and reduce_blocks adds them into dB in order.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) column_sum_add(const float* __restrict__ d, long long R, int O, float* dB, long long rowChunk,
                                                                                 float* partials) {
    __shared__ float part[8][33];
    const int lane = threadIdx.x & 31, walker = threadIdx.x >> 5;
    const int col = blockIdx.x * 32 + lane;
    const long long r0 = (long long)blockIdx.y * rowChunk, r1 = min(R, r0 + rowChunk);
    float s = 0.f;
    if (col < O) {
        for (long long r = r0 + walker; r < r1; r += 8) s += d[r * O + col];
    }
    part[walker][lane] = s;
    __syncthreads();
    if (walker == 0 && col < O) {
        float total = 0.f;
        for (int w = 0; w < 8; w++) total += part[w][lane];
        if (gridDim.y > 1) {
            partials[(long long)blockIdx.y * O + col] = total;
        } else {
            dB[col] += total;
        }
    }
}
