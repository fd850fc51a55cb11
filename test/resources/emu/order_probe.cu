// Test-only kernels, compiled into the CUDA emulation beside kernels/*.cu (never into the PTX): they
// depend on the order in which blocks and threads run, on purpose, so CudaDeterminismTest can show
// that the emulator's shuffled schedules would catch a kernel that does.

/** *out += every x[e], one float atomic per element: the sum's rounding depends on the order of the adds. */
extern "C" __global__ void probe_atomic_sum(const float* x, long long n, float* out) {
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < n; e += (long long)gridDim.x * blockDim.x) {
        atomicAdd(out, x[e]);
    }
}

/** A missing __syncthreads: thread t reads its neighbour's shared value, which that thread may or may not have written yet. */
extern "C" __global__ void probe_missing_barrier(float* out) {
    __shared__ float s[1024];
    const unsigned t = threadIdx.x;
    s[t] = (float)(blockIdx.x * 1000 + t);
    // (the barrier that belongs here is missing)
    out[blockIdx.x * blockDim.x + t] = s[(t + 32) % blockDim.x];
    __syncthreads();
    s[t] = -1.f;
}
