package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.tensor.DeviceMirror;
import org.mrine.tensor.Tensor;

/**
 * What the pieces of the CUDA backend ({@link CudaDense}, {@link CudaKalman}, {@link CudaRts},
 * {@link CudaLikelihood}, {@link CudaOptimizer}) share: the one stream their kernels go onto, the
 * device addresses of tensors, argument tables ({@link DescriptorRing}), scratch memory, the
 * deferred per-trial work ({@link TrialQueue}) and the kernels' error word.
 *
 * <p>Every op starts with {@link #begin}, which issues the deferred per-trial work first, so
 * stream order is call order. With {@code MRINE_CUDA_SYNC=1} in the environment (or
 * {@link CudaBackend.Options#syncEveryLaunch}) every launch is followed by a wait and a look at the
 * error word, so a fault or a kernel's error names the kernel that caused it; otherwise errors
 * surface at the next read of a {@link org.mrine.backend.Sums} or tensor. With profileLaunches
 * every launch is timed on its own (waits before and after it).
 */
final class CudaStream {
    static final int ERR_NOT_SPD = 1;
    static final int ERR_WORKSPACE = 2;

    final DeviceApi api;
    final CudaBackend.Options options;
    final CudaMemory memory;
    final DescriptorRing ring;
    final TrialQueue queue = new TrialQueue();
    final int multiprocessors;
    final int maxShared;
    /** Device: the kernels' error word (an int; the last writer wins). */
    final long errorWord;
    private final MemorySegment errorHost;
    /** With profileLaunches: kernel name -> {launches, nanoseconds}. */
    final java.util.Map<String, long[]> profile = new java.util.TreeMap<>();
    private TrialQueue.Launcher launcher;
    private boolean closed;

    /** Device memory grown on demand (the old block stays allocated until the backend closes). */
    final class Scratch {
        private long address;
        private long bytes;

        long ensure(long need) {
            if (need > bytes) {
                address = memory.allocateScratch(need);
                bytes = need;
            }
            return address;
        }
    }

    CudaStream(DeviceApi api, CudaBackend.Options options) {
        this.api = api;
        this.options = options;
        this.memory = new CudaMemory(api, this::flushTrials);
        this.multiprocessors = api.multiprocessors();
        this.maxShared = api.maxDynamicSharedMemory();
        this.ring = new DescriptorRing(api, memory, 1L << 20);
        this.errorWord = memory.allocateDevice(16);
        this.errorHost = memory.allocateHost(16);
    }

    /** Who launches the deferred per-trial work (set once by the backend). */
    void launcher(TrialQueue.Launcher l) {
        launcher = l;
    }

    void flushTrials() {
        queue.flush(launcher);
    }

    /** Issues deferred work: every non-deferred op starts here, so stream order is call order. */
    void begin() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        flushTrials();
    }

    void close() {
        closed = true;
    }

    // ------------------------------------------------------------------ tensors

    private DeviceMirror mirror(Tensor t) {
        DeviceMirror m = t.device();
        if (m == null || m.memory() != memory) {
            throw new IllegalArgumentException("tensor " + t.shapeString() + " was not allocated by this CUDA backend's workspace");
        }
        return m;
    }

    /** Device address of a tensor a kernel reads. */
    long in(Tensor t) {
        return mirror(t).deviceRead() + t.deviceOffset();
    }

    /** Device address of a tensor a kernel writes (or accumulates into). */
    long out(Tensor t) {
        return mirror(t).deviceWrite() + t.deviceOffset();
    }

    /** [start, end) byte ranges of tensors at the given addresses (the trial queue's dependencies). */
    static long[] ranges(long[] addresses, Tensor... tensors) {
        long[] r = new long[2 * tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            r[2 * i] = addresses[i];
            r[2 * i + 1] = addresses[i] + tensors[i].size() * Float.BYTES;
        }
        return r;
    }

    // ------------------------------------------------------------------ launches

    void launch(Kernel k, int gx, int gy, int block, long sharedBytes, KernelArgs args) {
        launch(k, gx, gy, 1, block, sharedBytes, args);
    }

    void launch(Kernel k, int gx, int gy, int gz, int block, long sharedBytes, KernelArgs args) {
        long start = options.profileLaunches() ? startTiming() : 0;
        api.launch(k, gx, gy, gz, block, (int) sharedBytes, args);
        if (options.profileLaunches()) endTiming(k.symbol(), start);
        if (options.syncEveryLaunch()) {
            afterLaunch(k.symbol() + " (grid " + gx + "x" + gy + "x" + gz + ", block " + block + ", " + sharedBytes + " bytes shared)");
        }
    }

    /** Profiling: waits for the work before a launch, so the time after it is the launch's own. */
    long startTiming() {
        api.synchronize();
        memory.synchronizedNow();
        return System.nanoTime();
    }

    /** Profiling: waits for the launch and adds its time to its name's. */
    void endTiming(String name, long start) {
        api.synchronize();
        memory.synchronizedNow();
        long[] p = profile.computeIfAbsent(name, x -> new long[2]);
        p[0]++;
        p[1] += System.nanoTime() - start;
    }

    /** With syncEveryLaunch: waits for what was just enqueued and checks the error word, naming it on failure. */
    void afterLaunch(String what) {
        try {
            api.synchronize();
        } catch (RuntimeException e) {
            throw new IllegalStateException("CUDA kernel " + what + " failed: " + e.getMessage(), e);
        }
        memory.synchronizedNow();
        api.download(errorWord, errorHost, 4);
        memory.synchronizedNow();
        checkError(errorHost.get(ValueLayout.JAVA_INT, 0), "kernel " + what);
    }

    /** Blocks for a grid-stride kernel over n items (elementwise threads). */
    int blocks(long n) {
        return Launch.gridStrideBlocks(n, Launch.ELEMENTWISE_THREADS, multiprocessors);
    }

    /**
     * Throws when a kernel left an error code (read from the device with a sums read or after a
     * launch): a non-positive-definite matrix as the ArithmeticException the CPU backend throws.
     * Clears the error word first, so the backend stays usable.
     */
    void checkError(int err, String where) {
        if (err == 0) return;
        api.memset32Async(errorWord, 0, 1);
        if (err == ERR_NOT_SPD) {
            throw new ArithmeticException("matrix is not positive definite (a Cholesky factorization on the GPU, " + where + ")");
        }
        if (err == ERR_WORKSPACE) {
            throw new IllegalStateException("a CUDA kernel's workspace was smaller than its layout (launch configuration bug, " + where + ")");
        }
        throw new IllegalStateException("a CUDA kernel reported error " + err + " (" + where + ")");
    }

    /** Shared bytes for a workspace, or 0 when it does not fit (then the kernel uses global scratch). */
    long sharedBytes(long wsFloats) {
        long bytes = wsFloats * Float.BYTES;
        return bytes <= maxShared ? bytes : 0;
    }

    // ------------------------------------------------------------------ groups of trials

    /** Items grouped by the accumulator they add into (CSR, in order of first appearance), uploaded. */
    record Members(int groups, long start, long member, long accumulators) {
    }

    Members members(long[] accumulatorOf, int n) {
        Map<Long, List<Integer>> byAccumulator = new LinkedHashMap<>();
        for (int b = 0; b < n; b++) byAccumulator.computeIfAbsent(accumulatorOf[b], k -> new ArrayList<>()).add(b);
        int g = byAccumulator.size();
        int[] start = new int[g + 1], member = new int[n];
        long[] acc = new long[g];
        int i = 0, k = 0;
        for (Map.Entry<Long, List<Integer>> e : byAccumulator.entrySet()) {
            acc[i] = e.getKey();
            start[i] = k;
            for (int b : e.getValue()) member[k++] = b;
            i++;
        }
        start[g] = k;
        return new Members(g, ring.put(start, start.length), ring.put(member, member.length), ring.put(acc, acc.length));
    }

    // ------------------------------------------------------------------ fixed-order reductions

    /**
     * out[r ldOut + c] += sum over k < blocks of acc[k stride + offset + r cols + c], block after block
     * (the reduction that replaces atomics: the bits do not depend on the order blocks ran in).
     */
    void reduceBlocks(long acc, int blocks, long stride, long offset, long rows, int cols, long out, long ldOut) {
        if (rows == 0 || cols == 0) return;
        launch(Kernel.REDUCE_BLOCKS, blocks(rows * cols), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(acc).i32(blocks).i64(stride).i64(offset).i64(rows).i32(cols).ptr(out).i64(ldOut));
    }

    /** sums[slot] += the sum of count double partials (one block, fixed order). */
    void reducePartials(long partials, long count, long sums, int slot) {
        launch(Kernel.REDUCE_PARTIALS, 1, 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(partials).i64(count).ptr(sums).i32(slot));
    }
}
