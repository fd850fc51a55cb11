// Rauch-Tung-Striebel smoother, forward beside backward. The twin of CpuRts.
//
//   J_t        = P_filt_t A^T P_pred_{t+1}^-1        (solved with the Cholesky factor of P_pred_{t+1})
//   x_smooth_t = x_filt_t + J_t (x_smooth_{t+1} - x_pred_{t+1})
//   P_smooth_t = P_filt_t + J_t (P_smooth_{t+1} - P_pred_{t+1}) J_t^T
//
// The gains depend only on the filter, so they are computed for all steps at once (grid over
// steps x tracks); only the P_smooth recursion is sequential. Backward likewise: the chain
// dP_smooth_{t+1} += J_t^T dP_smooth_t J_t runs per track, the rest in parallel over steps.
// Shapes: T steps, X latent. Track tensors: prior [T+1,X,X], filt, smooth, smootherGain (J),
// cholNext [T,X,X] (entries t < T-1 used).
#include "common.cuh"

/**
 * Smoother gains, grid (gx, count): block (x, b) takes steps t = x, x + gx, ... < T-1, factors
 * prior[t+1] into cholNext[t] and solves J_t^T = P_pred_{t+1}^-1 A P_filt_t.
 * tracks[4*b ..]: prior, filt, J, cholNext. Workspace floats: 3 X ldX + X.
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) rts_gain(const unsigned long long* __restrict__ tracks, int T, int X,
                                    const float* __restrict__ Am, float* scratch, long long wsFloats, int useShared,
                                    int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 4 * (size_t)blockIdx.y;
    const float* prior = (const float*)d[0];
    const float* filt = (const float*)d[1];
    float* J = (float*)d[2];
    float* cholNext = (float*)d[3];
    const int ldX = mrine_ld(X);
    const long long xx = (long long)X * X;
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* sA = ws;             // [X,X]
    float* L = sA + X * ldX;    // [X,X] prior[t+1], then its factor
    float* W = L + X * ldX;     // [X,X] A P_filt, then J^T
    float* tmp = W + X * ldX;   // [X]
    if (!mrine_fits(ws, tmp + X, wsFloats, err)) return;
    bcopy(X, X, Am, X, sA, ldX);
    for (int t = blockIdx.x; t < T - 1; t += gridDim.x) {
        bcopy(X, X, prior + (t + 1) * xx, X, L, ldX);
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, sA, ldX, filt + t * xx, X, 0.f, W, ldX);    // W = A P_filt
        bcholesky(X, L, ldX, tmp, err);
        btranspose(X, X, L, ldX, cholNext + t * xx, X);                             // stored as U = L^T, as on the CPU
        bcholsolve(X, X, L, ldX, W, ldX);                                           // W = J^T
        btranspose(X, X, W, ldX, J + t * xx, X);
        __syncthreads();
    }
}

/**
 * Smoothed covariances, one block per track, backwards in time. tracks[4*b ..]: prior, filt, J, smooth.
 * Workspace floats: 4 X ldX.
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) rts_smooth_cov(const unsigned long long* __restrict__ tracks, int T, int X,
                                          float* scratch, long long wsFloats, int useShared, int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 4 * (size_t)blockIdx.x;
    const float* prior = (const float*)d[0];
    const float* filt = (const float*)d[1];
    const float* J = (const float*)d[2];
    float* smooth = (float*)d[3];
    const int ldX = mrine_ld(X);
    const long long xx = (long long)X * X;
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* Sn = ws;             // [X,X] P_smooth_{t+1}, then P_smooth_t
    float* D = Sn + X * ldX;    // [X,X] P_smooth_{t+1} - P_pred_{t+1}
    float* W = D + X * ldX;     // [X,X] J D
    float* Jt = W + X * ldX;    // [X,X] J_t
    if (!mrine_fits(ws, Jt + X * ldX, wsFloats, err)) return;
    bcopy(X, X, filt + (T - 1) * xx, X, Sn, ldX);
    bcopy(X, X, filt + (T - 1) * xx, X, smooth + (T - 1) * xx, X);
    __syncthreads();
    for (int t = T - 2; t >= 0; t--) {
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            D[i * ldX + j] = Sn[i * ldX + j] - prior[(t + 1) * xx + e];
        }
        bcopy(X, X, J + t * xx, X, Jt, ldX);
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, Jt, ldX, D, ldX, 0.f, W, ldX);            // W = J D
        bcopy(X, X, filt + t * xx, X, Sn, ldX);
        __syncthreads();
        bmm(false, true, X, X, X, 1.f, W, ldX, Jt, ldX, 1.f, Sn, ldX);            // P_smooth = P_filt + J D J^T
        __syncthreads();
        bsymmetrize(X, Sn, ldX);
        __syncthreads();
        bcopy(X, X, Sn, ldX, smooth + t * xx, X);
    }
}

/**
 * The sequential part of the covariance backward, one block per track, forwards in time:
 * G_t = dSmooth[t] (complete once step t-1 added into it); dSmooth[t+1] += J_t^T G_t J_t and
 * dNextPrior[t] -= J_t^T G_t J_t; at the end dFilt[T-1] += dSmooth[T-1].
 * tracks[4*b ..]: J, dSmooth, dNextPrior, dFilt. Workspace floats: 4 X ldX.
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) rts_cov_backward_chain(const unsigned long long* __restrict__ tracks, int T, int X,
                                                  float* scratch, long long wsFloats, int useShared, int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 4 * (size_t)blockIdx.x;
    const float* J = (const float*)d[0];
    float* dSmooth = (float*)d[1];
    float* dNext = (float*)d[2];
    float* dFilt = (float*)d[3];
    const int ldX = mrine_ld(X);
    const long long xx = (long long)X * X;
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* G = ws;              // [X,X]
    float* Jt = G + X * ldX;    // [X,X]
    float* W = Jt + X * ldX;    // [X,X] J^T G
    float* Cy = W + X * ldX;    // [X,X] J^T G J, carried into step t+1
    if (!mrine_fits(ws, Cy + X * ldX, wsFloats, err)) return;
    bzero(X, X, Cy, ldX);
    __syncthreads();
    for (int t = 0; t < T - 1; t++) {
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            float g = dSmooth[t * xx + e] + Cy[i * ldX + j];
            dSmooth[t * xx + e] = g;
            G[i * ldX + j] = g;
        }
        bcopy(X, X, J + t * xx, X, Jt, ldX);
        __syncthreads();
        bmm(true, false, X, X, X, 1.f, Jt, ldX, G, ldX, 0.f, W, ldX);             // W = J^T G
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, W, ldX, Jt, ldX, 0.f, Cy, ldX);           // Cy = J^T G J
        __syncthreads();
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            dNext[t * xx + e] -= Cy[i * ldX + j];
        }
        __syncthreads();
    }
    for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
        int i = e / X, j = e - i * X;
        float g = dSmooth[(T - 1) * xx + e] + Cy[i * ldX + j];
        dSmooth[(T - 1) * xx + e] = g;
        dFilt[(T - 1) * xx + e] += g;
    }
}

/**
 * The parallel part of the covariance backward, grid (gx, count): block (x, b) takes steps
 * t = x, x + gx, ... < T-1 with G = dSmooth[t] (complete after rts_cov_backward_chain):
 *   dFilt[t] += G;  dJ[t] += (G + G^T) J D  (D = P_smooth_{t+1} - P_pred_{t+1});
 *   Z^T = P_pred_{t+1}^-1 dJ[t]^T;  dFilt[t] += Z A;  dA += Z^T P_filt_t;  dNextPrior[t] -= J^T Z
 * tracks[9*b ..]: prior, filt, smooth, J, cholNext, dSmooth, dJ, dFilt, dNextPrior. Block (x, b)
 * sums its steps' dA in its own accumulator at acc + (b gx + x) X X, in step order; reduce_blocks
 * adds the accumulators into the gradient (no atomics). Workspace floats: 8 X ldX.
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) rts_cov_backward(const unsigned long long* __restrict__ tracks, int T, int X,
                                            const float* __restrict__ Am, float* acc, float* scratch, long long wsFloats,
                                            int useShared, int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 9 * (size_t)blockIdx.y;
    const float* prior = (const float*)d[0];
    const float* filt = (const float*)d[1];
    const float* smooth = (const float*)d[2];
    const float* J = (const float*)d[3];
    const float* cholNext = (const float*)d[4];
    const float* dSmooth = (const float*)d[5];
    float* dJ = (float*)d[6];
    float* dFilt = (float*)d[7];
    float* dNext = (float*)d[8];
    const int ldX = mrine_ld(X);
    const long long xx = (long long)X * X;
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* G = ws;              // [X,X]
    float* Jt = G + X * ldX;    // [X,X]
    float* D = Jt + X * ldX;    // [X,X]
    float* sA = D + X * ldX;    // [X,X]
    float* Ls = sA + X * ldX;   // [X,X]
    float* Fd = Ls + X * ldX;   // [X,X] dFilt[t]
    float* W0 = Fd + X * ldX;   // [X,X]
    float* W2 = W0 + X * ldX;   // [X,X]
    if (!mrine_fits(ws, W2 + X * ldX, wsFloats, err)) return;
    float* dA = acc + ((long long)blockIdx.y * gridDim.x + blockIdx.x) * xx;   // [X,X] (ld X)
    bcopy(X, X, Am, X, sA, ldX);
    bzero(X, X, dA, X);
    for (int t = blockIdx.x; t < T - 1; t += gridDim.x) {
        const long long off = t * xx, next = (t + 1) * xx;
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X, k = i * ldX + j;
            float g = dSmooth[off + e];
            G[k] = g;
            Jt[k] = J[off + e];
            D[k] = smooth[next + e] - prior[next + e];
            Ls[k] = cholNext[off + j * X + i];                                   // stored U = L^T back to L
            Fd[k] = dFilt[off + e] + g;                                          // dP_filt += G
        }
        __syncthreads();
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            W0[i * ldX + j] = G[i * ldX + j] + G[j * ldX + i];
        }
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, W0, ldX, Jt, ldX, 0.f, W2, ldX);          // W2 = (G + G^T) J
        __syncthreads();
        bcopy(X, X, dJ + off, X, W0, ldX);
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, W2, ldX, D, ldX, 1.f, W0, ldX);           // dJ += (G + G^T) J D
        __syncthreads();
        bcopy(X, X, W0, ldX, dJ + off, X);
        btranspose(X, X, W0, ldX, W2, ldX);                                      // W2 = dJ^T
        bcholsolve(X, X, Ls, ldX, W2, ldX);                                      // W2 = Z^T
        bmm(true, false, X, X, X, 1.f, W2, ldX, sA, ldX, 1.f, Fd, ldX);           // dP_filt += Z A
        bmm(false, false, X, X, X, 1.f, W2, ldX, filt + off, X, 0.f, W0, ldX);    // W0 = Z^T P_filt
        bmm(true, true, X, X, X, -1.f, Jt, ldX, W2, ldX, 1.f, dNext + off, X);     // dP_pred_{t+1} -= J^T Z
        __syncthreads();
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            dFilt[off + e] = Fd[i * ldX + j];
            dA[e] += W0[i * ldX + j];
        }
        __syncthreads();
    }
}

/**
 * Smoothed means of count trials (one block each), backwards in time. trials[4*b ..]: filt, pred,
 * smooth [T,X], J [T,X,X] (the trial's track). Shared memory: 2 X floats.
 */
extern "C" __global__ void __launch_bounds__(MRINE_TRIAL_THREADS) rts_mean_forward(const unsigned long long* __restrict__ trials, int T, int X) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = trials + 4 * (size_t)blockIdx.x;
    const float* filt = (const float*)d[0];
    const float* pred = (const float*)d[1];
    float* smooth = (float*)d[2];
    const float* J = (const float*)d[3];
    float* xs = smem;       // [X] x_smooth_{t+1}
    float* v = xs + X;      // [X] x_smooth_{t+1} - x_pred_{t+1}
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int i = threadIdx.x; i < X; i += blockDim.x) {
        float f = filt[(long long)(T - 1) * X + i];
        xs[i] = f;
        smooth[(long long)(T - 1) * X + i] = f;
    }
    __syncthreads();
    for (int t = T - 2; t >= 0; t--) {
        const long long tx = (long long)t * X;
        for (int i = threadIdx.x; i < X; i += blockDim.x) v[i] = xs[i] - pred[tx + i];
        __syncthreads();
        const float* Jt = J + (long long)t * X * X;
        for (int i = warp; i < X; i += warps) {
            float s = 0.f;
            for (int p = lane; p < X; p += 32) s = fmaf(Jt[i * X + p], v[p], s);
            s = warp_sum(s);
            if (lane == 0) {
                float x = filt[tx + i] + s;
                xs[i] = x;
                smooth[tx + i] = x;
            }
        }
        __syncthreads();
    }
}

/**
 * The sequential part of the smoothed-mean backward of count trials (one block each), forwards in
 * time: g = dSmooth[t]; dFilt[t] += g; h = J_t^T g; dSmooth[t+1] += h; dPred[t] -= h; at the end
 * dFilt[T-1] += dSmooth[T-1]. The gain gradient follows in rts_gain_grad.
 * trials[7*b ..]: filt, pred, smooth, dSmooth, dFilt, dPred, J. Shared memory: X floats.
 */
extern "C" __global__ void __launch_bounds__(MRINE_TRIAL_THREADS) rts_mean_backward(const unsigned long long* __restrict__ trials, int T, int X) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = trials + 7 * (size_t)blockIdx.x;
    float* dSmooth = (float*)d[3];
    float* dFilt = (float*)d[4];
    float* dPred = (float*)d[5];
    const float* J = (const float*)d[6];
    float* g = smem;        // [X]
    for (int t = 0; t < T - 1; t++) {
        const long long tx = (long long)t * X;
        for (int i = threadIdx.x; i < X; i += blockDim.x) {
            float v = dSmooth[tx + i];
            g[i] = v;
            dFilt[tx + i] += v;
        }
        __syncthreads();
        const float* Jt = J + (long long)t * X * X;
        for (int i = threadIdx.x; i < X; i += blockDim.x) {
            float s = 0.f;
            for (int p = 0; p < X; p++) s = fmaf(Jt[p * X + i], g[p], s);
            dSmooth[tx + X + i] += s;
            dPred[tx + i] -= s;
        }
        __syncthreads();
    }
    for (int i = threadIdx.x; i < X; i += blockDim.x) dFilt[(long long)(T - 1) * X + i] += dSmooth[(long long)(T - 1) * X + i];
}

/**
 * Smoother-gain gradients per track: dJ[t] [X,X] += sum over the track's trials of
 * dSmooth[t] (x_smooth[t+1] - x_pred[t])^T, t < T-1. Grid (T-1, groups); members as in
 * kalman_gain_grad; descriptors as in rts_mean_backward.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) rts_gain_grad(const unsigned long long* __restrict__ trials, const int* __restrict__ start,
                                         const int* __restrict__ member, const unsigned long long* __restrict__ dGains,
                                         int T, int X) {
    const int t = blockIdx.x, g = blockIdx.y;
    float* dJ = (float*)dGains[g] + (long long)t * X * X;
    for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
        const int i = e / X, j = e - i * X;
        float s = 0.f;
        for (int k = start[g]; k < start[g + 1]; k++) {
            const unsigned long long* d = trials + 7 * (size_t)member[k];
            const float* pred = (const float*)d[1];
            const float* smooth = (const float*)d[2];
            const float* dSmooth = (const float*)d[3];
            const long long tx = (long long)t * X;
            s = fmaf(dSmooth[tx + i], smooth[tx + X + j] - pred[tx + j], s);
        }
        dJ[e] += s;
    }
}
