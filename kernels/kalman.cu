// Kalman filter with masked gain and Joseph-form update: the covariance recursion (one block per
// covariance track, all steps in one launch) and the mean recursion (one block per trial), each
// forward beside its backward. The twin of CpuKalman; formulas and buffer names follow it.
//
//   S      = C P_pred C^T + R
//   K      = m (P_pred C^T S^-1)                    gain zeroed where the sample is missing
//   x_filt = x_pred + K (a - C x_pred)
//   P_filt = (I - K C) P_pred (I - K C)^T + K R K^T   Joseph form
//   x_pred' = A x_filt,  P_pred' = A P_filt A^T + Q
//
// Shapes: T steps, X latent, A embedding. Track tensors: prior [T+1,X,X], filt [T,X,X],
// gain [T,X,A], cholS [T,A,A]; per trial: obs [T,A], mask [T], filt/pred means [T,X].
// Work matrices live in a per-block workspace: dynamic shared memory when it fits (useShared),
// else global scratch at scratch + blockIdx.x * wsFloats. Every block checks that its layout fits.
#include "common.cuh"

/**
 * Filter covariances of count tracks (one block each). tracks[6*b ..]: mask [T] (the pattern),
 * prior, filt, gain, cholS, trackMask [T] (receives the pattern). Params: Am [X,X], Cm [A,X],
 * qLog [X], rLog [A], sigma0 [X,X].
 * Workspace floats: 5 X ldX + 3 A ldX + A ldA + X + A + max(X,A), ld = (n | 1).
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) kalman_cov_forward(const unsigned long long* __restrict__ tracks, int T, int X, int A,
                                              const float* __restrict__ Am, const float* __restrict__ Cm,
                                              const float* __restrict__ qLog, const float* __restrict__ rLog,
                                              const float* __restrict__ sigma0, float* scratch, long long wsFloats,
                                              int useShared, int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 6 * (size_t)blockIdx.x;
    const float* mask = (const float*)d[0];
    float* prior = (float*)d[1];
    float* filt = (float*)d[2];
    float* gain = (float*)d[3];
    float* cholS = (float*)d[4];
    float* trackMask = (float*)d[5];
    const int ldX = mrine_ld(X), ldA = mrine_ld(A);
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* sA = ws;                 // [X,X]
    float* sC = sA + X * ldX;       // [A,X]
    float* P = sC + A * ldX;        // [X,X] this step's prior
    float* F = P + X * ldX;         // [X,X] this step's filtered covariance
    float* W1 = F + X * ldX;        // [X,X] A F
    float* W2 = W1 + X * ldX;       // [X,X] W = P L^T
    float* W0 = W2 + X * ldX;       // [A,X] Y = C P, then X = K^T
    float* W3 = W0 + A * ldX;       // [A,X] Y, then V = C W - R X
    float* S = W3 + A * ldX;        // [A,A] S, then its Cholesky factor
    float* qd = S + A * ldA;        // [X] diag(Q)
    float* rd = qd + X;             // [A] diag(R)
    float* tmp = rd + A;            // [max(X,A)]
    if (!mrine_fits(ws, tmp + (X > A ? X : A), wsFloats, err)) return;
    const long long xx = (long long)X * X, xa = (long long)X * A, aa = (long long)A * A;
    bcopy(X, X, Am, X, sA, ldX);
    bcopy(A, X, Cm, X, sC, ldX);
    bcopy(X, X, sigma0, X, P, ldX);
    bcopy(X, X, sigma0, X, prior, X);
    for (int i = threadIdx.x; i < X; i += blockDim.x) qd[i] = expf(qLog[i]);
    for (int i = threadIdx.x; i < A; i += blockDim.x) rd[i] = expf(rLog[i]);
    for (int t = threadIdx.x; t < T; t += blockDim.x) trackMask[t] = mask[t];
    __syncthreads();
    for (int t = 0; t < T; t++) {
        float* gt = gain + t * xa;
        if (mask[t] > 0.f) {
            bmm(false, false, A, X, X, 1.f, sC, ldX, P, ldX, 0.f, W0, ldX);      // W0 = Y = C P
            __syncthreads();
            bcopy(A, X, W0, ldX, W3, ldX);                                       // W3 = Y, kept
            bmm(false, true, A, A, X, 1.f, W0, ldX, sC, ldX, 0.f, S, ldA);       // S = C P C^T
            __syncthreads();
            badd_diag(A, S, ldA, rd);                                            // S += R
            bcholesky(A, S, ldA, tmp, err);
            bcholsolve(A, X, S, ldA, W0, ldX);                                   // W0 = X = S^-1 Y = K^T
            btranspose(A, X, W0, ldX, gt, A);                                    // gain[t] = K
            btranspose(A, A, S, ldA, cholS + t * aa, A);                           // stored as U = L^T, as on the CPU
            // Joseph form in three products, as on the CPU: W = P L^T = P - Y^T X, F = W - X^T (C W - R X)
            bcopy(X, X, P, ldX, W2, ldX);
            __syncthreads();
            bmm(true, false, X, X, A, -1.f, W3, ldX, W0, ldX, 1.f, W2, ldX);     // W2 = W
            __syncthreads();
            for (int e = threadIdx.x; e < A * X; e += blockDim.x) {
                int i = e / X, j = e - i * X;
                W3[i * ldX + j] = W0[i * ldX + j] * rd[i];                       // W3 = R X
            }
            __syncthreads();
            bmm(false, false, A, X, X, 1.f, sC, ldX, W2, ldX, -1.f, W3, ldX);    // W3 = V = C W - R X
            bcopy(X, X, W2, ldX, F, ldX);
            __syncthreads();
            bmm(true, false, X, X, A, -1.f, W0, ldX, W3, ldX, 1.f, F, ldX);      // F = W - X^T V
            __syncthreads();
            bsymmetrize(X, F, ldX);
            __syncthreads();
        } else {
            bzero(X, A, gt, A);
            bcopy(X, X, P, ldX, F, ldX);                                         // P_filt = P_pred
            __syncthreads();
        }
        bcopy(X, X, F, ldX, filt + t * xx, X);
        bmm(false, false, X, X, X, 1.f, sA, ldX, F, ldX, 0.f, W1, ldX);          // W1 = A F
        __syncthreads();
        bmm(false, true, X, X, X, 1.f, W1, ldX, sA, ldX, 0.f, P, ldX);           // P = A F A^T
        __syncthreads();
        badd_diag(X, P, ldX, qd);                                                // P += Q
        __syncthreads();
        bsymmetrize(X, P, ldX);
        __syncthreads();
        bcopy(X, X, P, ldX, prior + (t + 1) * xx, X);
    }
}

/**
 * Backward of kalman_cov_forward (the short adjoint form of CpuKalman.covarianceBackward). tracks[8*b ..]:
 * prior, filt, gain, cholS, trackMask, dGain, dFilt, dNextPrior (the last two only read when
 * stored != 0: smoothing tracks). Each block leaves its track's gradient contributions in its own
 * accumulator at acc + blockIdx.x * (X X + A X + X + A): dA [X,X], dC [A,X], dQ_log [X], dR_log [A];
 * reduce_blocks adds them into the gradients track by track (no atomics).
 * Workspace floats: 5 X ldX + 2 A ldX + 2 max(X,A) ldX + X ldA + 2 A ldA + 2 X + 2 A.
 */
extern "C" __global__ void __launch_bounds__(MRINE_MATRIX_THREADS, 1) kalman_cov_backward(const unsigned long long* __restrict__ tracks, int T, int X, int A, int stored,
                                               const float* __restrict__ Am, const float* __restrict__ Cm,
                                               const float* __restrict__ qLog, const float* __restrict__ rLog,
                                               float* acc, float* scratch, long long wsFloats, int useShared, int* err) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = tracks + 8 * (size_t)blockIdx.x;
    const float* prior = (const float*)d[0];
    const float* filt = (const float*)d[1];
    const float* gain = (const float*)d[2];
    const float* cholS = (const float*)d[3];
    const float* trackMask = (const float*)d[4];
    const float* dGain = (const float*)d[5];
    float* dFilt = (float*)d[6];
    const float* dNext = (const float*)d[7];
    const int ldX = mrine_ld(X), ldA = mrine_ld(A), mx = X > A ? X : A;
    float* ws = mrine_workspace(smem, scratch, wsFloats, useShared);
    float* sA = ws;                 // [X,X]
    float* sC = sA + X * ldX;       // [A,X]
    float* M = sC + A * ldX;        // [X,X] adjoint of the next prior, then of this step's prior
    float* E = M + X * ldX;         // [X,X] adjoint of this step's filtered covariance
    float* Pm = E + X * ldX;        // [X,X] prior[t]
    float* F = Pm + X * ldX;        // [X,X] filt[t]
    float* U1 = F + X * ldX;        // [max(X,A),X] T1 = M + M^T, A^T M; later dX, Z
    float* U2 = U1 + mx * ldX;      // [max(X,A),X] T2 = (M + M^T) A; later dY
    float* W0 = U2 + mx * ldX;      // [A,X] Y = C P
    float* Kg = W0 + A * ldX;       // [X,A] gain[t]
    float* Ls = Kg + X * ldA;       // [A,A] cholS[t]
    float* W4 = Ls + A * ldA;       // [A,A] dS
    float* qd = W4 + A * ldA;       // [X]
    float* rd = qd + X;             // [A]
    float* dq = rd + A;             // [X] dQ_log accumulator
    float* dr = dq + X;             // [A] diag(dS) accumulator
    if (!mrine_fits(ws, dr + A, wsFloats, err)) return;
    float* dAacc = acc + (long long)blockIdx.x * ((long long)X * X + (long long)A * X + X + A);   // [X,X] (ld X)
    float* dCacc = dAacc + (long long)X * X;                                                     // [A,X] (ld X)
    float* dQacc = dCacc + (long long)A * X;                                                     // [X]
    float* dRacc = dQacc + X;                                                                    // [A]
    const long long xx = (long long)X * X, xa = (long long)X * A, aa = (long long)A * A;
    bcopy(X, X, Am, X, sA, ldX);
    bcopy(A, X, Cm, X, sC, ldX);
    bzero(X, X, M, ldX);
    bzero(X, X, dAacc, X);
    bzero(A, X, dCacc, X);
    for (int i = threadIdx.x; i < X; i += blockDim.x) {
        qd[i] = expf(qLog[i]);
        dq[i] = 0.f;
    }
    for (int i = threadIdx.x; i < A; i += blockDim.x) {
        rd[i] = expf(rLog[i]);
        dr[i] = 0.f;
    }
    __syncthreads();
    for (int t = T - 1; t >= 0; t--) {
        if (stored) {
            for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
                int i = e / X, j = e - i * X;
                M[i * ldX + j] += dNext[t * xx + e];
                E[i * ldX + j] = dFilt[t * xx + e];
            }
        } else {
            bzero(X, X, E, ldX);
        }
        bcopy(X, X, prior + t * xx, X, Pm, ldX);
        bcopy(X, X, filt + t * xx, X, F, ldX);
        __syncthreads();
        // M is the adjoint of P_pred' = A F A^T + Q
        for (int e = threadIdx.x; e < X * X; e += blockDim.x) {
            int i = e / X, j = e - i * X;
            U1[i * ldX + j] = M[i * ldX + j] + M[j * ldX + i];
        }
        for (int i = threadIdx.x; i < X; i += blockDim.x) dq[i] += M[i * ldX + i] * qd[i];   // dQ_log += diag(M) Q
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, U1, ldX, sA, ldX, 0.f, U2, ldX);         // U2 = (M + M^T) A
        __syncthreads();
        bmm(false, false, X, X, X, 1.f, U2, ldX, F, ldX, 1.f, dAacc, X);         // dA += (M + M^T) A F
        bmm(true, false, X, X, X, 0.5f, sA, ldX, U2, ldX, 1.f, E, ldX);          // E += A^T sym(M) A (as on the CPU)
        __syncthreads();
        if (stored) bcopy(X, X, E, ldX, dFilt + t * xx, X);
        if (trackMask[t] > 0.f) {
            // P_filt = P - X^T Y with Y = C P [A,X], X = K^T = S^-1 Y
            bmm(false, false, A, X, X, 1.f, sC, ldX, Pm, ldX, 0.f, W0, ldX);     // W0 = Y
            bcopy(X, A, gain + t * xa, A, Kg, ldA);
            btranspose(A, A, cholS + t * aa, A, Ls, ldA);                          // back to L
            bcopy(A, X, dGain + t * xa, X, U1, ldX);                             // U1 = dK^T (stored so)
            __syncthreads();
            bmm(false, true, A, X, X, -1.f, W0, ldX, E, ldX, 1.f, U1, ldX);      // dX = dK^T - Y E^T
            bmm(true, false, A, X, X, -1.f, Kg, ldA, E, ldX, 0.f, U2, ldX);      // dY = -X E
            bcholsolve(A, X, Ls, ldA, U1, ldX);                                  // U1 = Z = S^-1 dX
            for (int e = threadIdx.x; e < A * X; e += blockDim.x) {
                int i = e / X, j = e - i * X;
                U2[i * ldX + j] += U1[i * ldX + j];                              // dY += Z
            }
            bmm(false, false, A, A, X, -1.f, U1, ldX, Kg, ldA, 0.f, W4, ldA);    // dS = -Z X^T
            __syncthreads();
            bmm(false, false, A, X, A, 1.f, W4, ldA, sC, ldX, 1.f, U2, ldX);     // dY += dS C
            bmm(true, false, A, X, A, 1.f, W4, ldA, W0, ldX, 1.f, dCacc, X);     // dC += dS^T Y
            for (int j = threadIdx.x; j < A; j += blockDim.x) dr[j] += W4[j * ldA + j];
            __syncthreads();
            bmm(false, false, A, X, X, 1.f, U2, ldX, Pm, ldX, 1.f, dCacc, X);    // dC += dY P
            bcopy(X, X, E, ldX, M, ldX);
            __syncthreads();
            bmm(true, false, X, X, A, 1.f, sC, ldX, U2, ldX, 1.f, M, ldX);       // dP = E + C^T dY
            __syncthreads();
        } else {
            bcopy(X, X, E, ldX, M, ldX);                                         // P_filt = P_pred
            __syncthreads();
        }
    }
    for (int i = threadIdx.x; i < X; i += blockDim.x) dQacc[i] = dq[i];
    for (int j = threadIdx.x; j < A; j += blockDim.x) dRacc[j] = dr[j] * rd[j];
}

/**
 * Filtered means of count trials (one block each). trials[5*b ..]: obs [T,A], mask [T],
 * filt [T,X], pred [T,X], gain [T,X,A] (the trial's track). Shared memory: 2 X + A floats.
 */
extern "C" __global__ void __launch_bounds__(MRINE_TRIAL_THREADS) kalman_mean_forward(const unsigned long long* __restrict__ trials, int T, int X, int A,
                                               const float* __restrict__ Am, const float* __restrict__ Cm,
                                               const float* __restrict__ x0) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = trials + 5 * (size_t)blockIdx.x;
    const float* obs = (const float*)d[0];
    const float* mask = (const float*)d[1];
    float* filt = (float*)d[2];
    float* pred = (float*)d[3];
    const float* gain = (const float*)d[4];
    float* xp = smem;       // [X] this step's prior mean
    float* xf = xp + X;     // [X]
    float* r = xf + X;      // [A] innovation
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int i = threadIdx.x; i < X; i += blockDim.x) xp[i] = x0[i];
    __syncthreads();
    for (int t = 0; t < T; t++) {
        const bool m = mask[t] > 0.f;
        if (m) {
            for (int i = warp; i < A; i += warps) {                              // r = a - C x_pred
                float s = 0.f;
                for (int p = lane; p < X; p += 32) s = fmaf(Cm[i * X + p], xp[p], s);
                s = warp_sum(s);
                if (lane == 0) r[i] = obs[(long long)t * A + i] - s;
            }
            __syncthreads();
            const float* K = gain + (long long)t * X * A;
            for (int i = warp; i < X; i += warps) {                              // x_filt = x_pred + K r
                float s = 0.f;
                for (int p = lane; p < A; p += 32) s = fmaf(K[i * A + p], r[p], s);
                s = warp_sum(s);
                if (lane == 0) xf[i] = xp[i] + s;
            }
        } else {
            for (int i = threadIdx.x; i < X; i += blockDim.x) xf[i] = xp[i];
        }
        __syncthreads();
        for (int i = threadIdx.x; i < X; i += blockDim.x) filt[(long long)t * X + i] = xf[i];
        for (int i = warp; i < X; i += warps) {                                  // x_pred' = A x_filt
            float s = 0.f;
            for (int p = lane; p < X; p += 32) s = fmaf(Am[i * X + p], xf[p], s);
            s = warp_sum(s);
            if (lane == 0) {
                xp[i] = s;
                pred[(long long)t * X + i] = s;
            }
        }
        __syncthreads();
    }
}

/**
 * The sequential part of the mean backward of count trials (one block each), run backwards in time:
 *   dx_f[t] += A^T dx_p[t];  da[t] = K^T dx_f[t] (0 where missing);  dx_p[t-1] += dx_f[t] - C^T da[t]
 * trials[9*b ..]: obs, mask, filt, pred, dFilt, dPred, dObs, gain, innov [T,A] (scratch: receives the
 * innovations a - C x_pred, 0 where missing). The parameter and gain gradients, sums over trials and
 * steps of outer products of what this leaves, follow in kalman_mean_param_grad and kalman_gain_grad.
 * Shared memory: 2 X + A floats.
 */
extern "C" __global__ void __launch_bounds__(MRINE_TRIAL_THREADS) kalman_mean_backward(const unsigned long long* __restrict__ trials, int T, int X, int A,
                                                const float* __restrict__ Am, const float* __restrict__ Cm,
                                                const float* __restrict__ x0) {
    MRINE_DYNAMIC_SMEM(float, smem);
    const unsigned long long* d = trials + 9 * (size_t)blockIdx.x;
    const float* obs = (const float*)d[0];
    const float* mask = (const float*)d[1];
    const float* pred = (const float*)d[3];
    float* dFilt = (float*)d[4];
    float* dPred = (float*)d[5];
    float* dObs = (float*)d[6];
    const float* gain = (const float*)d[7];
    float* innov = (float*)d[8];
    float* v = smem;        // [X] adjoint of x_filt[t], then of x_pred (this step's prior)
    float* dp = v + X;      // [X] dx_p[t]
    float* da = dp + X;     // [A]
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int t = T - 1; t >= 0; t--) {
        const long long tx = (long long)t * X, ta = (long long)t * A;
        for (int i = threadIdx.x; i < X; i += blockDim.x) dp[i] = dPred[tx + i];
        __syncthreads();
        for (int i = threadIdx.x; i < X; i += blockDim.x) {                      // dx_f += A^T dx_p
            float s = 0.f;
            for (int p = 0; p < X; p++) s = fmaf(Am[p * X + i], dp[p], s);
            float g = dFilt[tx + i] + s;
            dFilt[tx + i] = g;
            v[i] = g;
        }
        __syncthreads();
        if (mask[t] > 0.f) {
            const float* prior = t == 0 ? x0 : pred + tx - X;
            const float* K = gain + (long long)t * X * A;
            for (int i = warp; i < A; i += warps) {                              // innovation
                float s = 0.f;
                for (int p = lane; p < X; p += 32) s = fmaf(Cm[i * X + p], prior[p], s);
                s = warp_sum(s);
                if (lane == 0) innov[ta + i] = obs[ta + i] - s;
            }
            for (int j = threadIdx.x; j < A; j += blockDim.x) {                  // da = K^T dx_f
                float s = 0.f;
                for (int p = 0; p < X; p++) s = fmaf(K[p * A + j], v[p], s);
                da[j] = s;
                dObs[ta + j] = s;
            }
            __syncthreads();
            for (int i = threadIdx.x; i < X; i += blockDim.x) {                  // dx_pred = dx_f - C^T da
                float s = 0.f;
                for (int p = 0; p < A; p++) s = fmaf(Cm[p * X + i], da[p], s);
                v[i] -= s;
            }
        } else {
            for (int j = threadIdx.x; j < A; j += blockDim.x) {
                dObs[ta + j] = 0.f;
                innov[ta + j] = 0.f;
            }
        }
        __syncthreads();
        if (t > 0) {
            for (int i = threadIdx.x; i < X; i += blockDim.x) dPred[tx - X + i] += v[i];
        }
        __syncthreads();
    }
}

/**
 * Parameter gradients of the mean recursion, summed over count trials (descriptors as in
 * kalman_mean_backward) and steps, one thread per output entry:
 *   gA [X,X] += sum dx_p[t] x_f[t]^T;   gC [A,X] -= sum da[t] x_pred[t]^T   (x_pred[0] = x0)
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) kalman_mean_param_grad(const unsigned long long* __restrict__ trials, int count, int T, int X, int A,
                                                  const float* __restrict__ x0, float* gA, float* gC) {
    const long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    const long long nA = (long long)X * X, nC = (long long)A * X;
    if (e >= nA + nC) return;
    if (e < nA) {
        const int i = (int)(e / X), j = (int)(e % X);
        float s = 0.f;
        for (int b = 0; b < count; b++) {
            const unsigned long long* d = trials + 9 * (size_t)b;
            const float* filt = (const float*)d[2];
            const float* dPred = (const float*)d[5];
            for (int t = 0; t < T; t++) s = fmaf(dPred[(long long)t * X + i], filt[(long long)t * X + j], s);
        }
        gA[e] += s;
    } else {
        const long long f = e - nA;
        const int i = (int)(f / X), j = (int)(f % X);
        float s = 0.f;
        for (int b = 0; b < count; b++) {
            const unsigned long long* d = trials + 9 * (size_t)b;
            const float* pred = (const float*)d[3];
            const float* dObs = (const float*)d[6];
            s = fmaf(dObs[i], x0[j], s);
            for (int t = 1; t < T; t++) s = fmaf(dObs[(long long)t * A + i], pred[(long long)(t - 1) * X + j], s);
        }
        gC[f] -= s;
    }
}

/**
 * Gain gradients of the mean recursion per track: dGain[t] [A,X] (dK^T) += sum over the track's
 * trials of innov[t] dx_f[t]^T. Grid (T, groups); members of group g are member[start[g] .. start[g+1]),
 * indices into trials (descriptors as in kalman_mean_backward); dGains[g] is group g's dGain.
 */
extern "C" __global__ void __launch_bounds__(MRINE_REDUCE_THREADS) kalman_gain_grad(const unsigned long long* __restrict__ trials, const int* __restrict__ start,
                                            const int* __restrict__ member, const unsigned long long* __restrict__ dGains,
                                            int T, int X, int A) {
    const int t = blockIdx.x, g = blockIdx.y;
    float* dGain = (float*)dGains[g] + (long long)t * X * A;
    for (int e = threadIdx.x; e < X * A; e += blockDim.x) {
        const int j = e / X, i = e - j * X;   // entry (j, i) of dK^T: embedding j, latent i
        float s = 0.f;
        for (int k = start[g]; k < start[g + 1]; k++) {
            const unsigned long long* d = trials + 9 * (size_t)member[k];
            const float* dFilt = (const float*)d[4];
            const float* innov = (const float*)d[8];
            s = fmaf(dFilt[(long long)t * X + i], innov[(long long)t * A + j], s);
        }
        dGain[e] += s;
    }
}
