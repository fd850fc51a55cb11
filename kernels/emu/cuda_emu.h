// CUDA emulation for testing the kernels on a machine without a GPU (never used by the real build).
//
// The kernels in kernels/*.cu compile unchanged with g++ when this header is included first
// (g++ -x c++ -include cuda_emu.h). Each thread of a block runs as a fiber (ucontext) in one OS
// thread; __syncthreads() and the warp primitives park the fiber until every live thread of the
// block (or warp) has arrived, as on the device. Blocks run one after another, so atomics are
// plain read-modify-writes and shared memory is one static array reused by every block.
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

extern dim3 threadIdx, blockIdx, blockDim, gridDim;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
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
    float old = *p;
    *p = old + v;
    return old;
}

inline double atomicAdd(double* p, double v) {
    double old = *p;
    *p = old + v;
    return old;
}

inline int atomicExch(int* p, int v) {
    int old = *p;
    *p = v;
    return old;
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
