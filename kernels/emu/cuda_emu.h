// CUDA emulation for testing the kernels on a machine without a GPU (never used by the real build).
//
// The kernels in kernels/*.cu compile unchanged with g++ when this header is included first
// (g++ -x c++ -include cuda_emu.h). Each thread of a block runs as a fiber in an OS thread;
// __syncthreads() and the warp primitives park the fiber until every live thread of the block (or
// warp) has arrived, as on the device. The blocks of a launch are shared out among a few OS threads
// (emu_runtime.inc), so blocks run at the same time as on a device: the block indices, shared
// memory (static and dynamic) and the scheduler are per OS thread, and atomics are real atomics.
// Semantics covered: 1-D blocks, dynamic and static shared memory, __syncthreads, __syncwarp,
// __shfl_xor_sync / __shfl_down_sync / __shfl_sync on full warps, atomicAdd (float, double), atomicExch (int).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

// per OS thread (built with -mtls-dialect=gnu2 on x86-64: an access costs a call to a TLS descriptor,
// not to __tls_get_addr; initial-exec would be one load, but the static shared arrays are also per
// OS thread, and together too large for the static TLS block of a dlopen'ed library)
#define MRINE_EMU_TLS thread_local
extern MRINE_EMU_TLS dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static thread_local
#define __restrict__ __restrict

void __syncthreads();
void __syncwarp(unsigned mask = 0xffffffffu);
void* mrine_emu_dynamic_smem();
float mrine_emu_shfl(float v, int srcLane);
double mrine_emu_shfl(double v, int srcLane);
int mrine_emu_shfl(int v, int srcLane);
int mrine_emu_lane();

#define MRINE_DYNAMIC_SMEM(type, name) type* name = static_cast<type*>(mrine_emu_dynamic_smem())

template <class V>
inline V __shfl_xor_sync(unsigned, V v, int laneMask) {
    return mrine_emu_shfl(v, mrine_emu_lane() ^ laneMask);
}

template <class V>
inline V __shfl_down_sync(unsigned, V v, unsigned delta) {
    int src = mrine_emu_lane() + (int)delta;
    V got = mrine_emu_shfl(v, src < 32 ? src : mrine_emu_lane());
    return got;
}

template <class V>
inline V __shfl_sync(unsigned, V v, int srcLane) {
    return mrine_emu_shfl(v, srcLane & 31);
}

inline float atomicAdd(float* p, float v) {
    int* q = reinterpret_cast<int*>(p);
    int expected = __atomic_load_n(q, __ATOMIC_RELAXED);
    for (;;) {
        float old;
        std::memcpy(&old, &expected, 4);
        float sum = old + v;
        int desired;
        std::memcpy(&desired, &sum, 4);
        if (__atomic_compare_exchange_n(q, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return old;
    }
}

inline double atomicAdd(double* p, double v) {
    long long* q = reinterpret_cast<long long*>(p);
    long long expected = __atomic_load_n(q, __ATOMIC_RELAXED);
    for (;;) {
        double old;
        std::memcpy(&old, &expected, 8);
        double sum = old + v;
        long long desired;
        std::memcpy(&desired, &sum, 8);
        if (__atomic_compare_exchange_n(q, &expected, desired, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) return old;
    }
}

inline int atomicExch(int* p, int v) {
    return __atomic_exchange_n(p, v, __ATOMIC_RELAXED);
}

template <class V>
inline V __ldg(const V* p) {
    return *p;
}

inline float __int_as_float(int i) {
    float f;
    std::memcpy(&f, &i, 4);
    return f;
}

// Correctly rounded single operations (no contraction: the emulation is compiled with -ffp-contract=off).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }

template <class V>
inline V min(V a, V b) { return b < a ? b : a; }
template <class V>
inline V max(V a, V b) { return a < b ? b : a; }
