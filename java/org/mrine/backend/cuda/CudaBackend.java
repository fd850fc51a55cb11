package org.mrine.backend.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.DeviceMirror;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The GPU backend: the twin of {@link org.mrine.backend.cpu.CpuBackend}, op for op, with the
 * arithmetic in the CUDA kernels of {@code kernels/} (see {@link Kernel}) and the tensors on the
 * device ({@link DeviceMirror}: host copies only when the host looks).
 *
 * <p>How the work maps onto the device:
 * <ul>
 * <li>dense layers: a tiled sgemm with the bias and tanh fused into its epilogue; the weight
 *     gradient splits K over blocks when the output has few tiles;</li>
 * <li>Kalman covariances: one block per covariance track runs the whole recursion (gain, Joseph
 *     update, prediction for every step) in one launch, its work matrices in shared memory; the
 *     backbone's tracks are shared by all trials, as on the CPU;</li>
 * <li>RTS covariances: the gains of all steps in parallel, then the short sequential recursion;</li>
 * <li>per-trial mean passes: deferred ({@link TrialQueue}) and launched one block per trial, with
 *     the sums over trials (parameter and gain gradients) as separate reduction kernels;</li>
 * <li>likelihoods, smoothness terms, sums of squares: one kernel each, the sum returned through
 *     one 16-byte download (which also carries the kernels' error word).</li>
 * </ul>
 * Nothing is copied back per time step. One instance is used by one thread at a time.
 */
public final class CudaBackend implements Backend {

    /**
     * @param maxMatrixThreads threads per block of the covariance kernels (at most 512)
     * @param meanThreads      threads per block of the per-trial mean kernels
     * @param scratchBudgetBytes global scratch the step-parallel smoother kernels may use when their
     *                           workspaces do not fit in shared memory
     * @param useCublas        dense-layer products through cuBLAS when a libcublas loads (else, or when
     *                         false, the sgemm kernel); -Dmrine.cublas=false turns the default off
     */
    public record Options(int maxMatrixThreads, int meanThreads, long scratchBudgetBytes, boolean useCublas) {
        public static final Options DEFAULT = new Options(Launch.MATRIX_THREADS, 256, 1L << 30,
                !"false".equals(System.getProperty("mrine.cublas")));

        public Options {
            if (maxMatrixThreads < 32 || maxMatrixThreads > Launch.MATRIX_THREADS || maxMatrixThreads % 32 != 0
                    || meanThreads < 32 || meanThreads > Launch.TRIAL_THREADS || meanThreads % 32 != 0) {
                throw new IllegalArgumentException("block sizes must be multiples of 32, at most " + Launch.MATRIX_THREADS
                        + " (matrix) and " + Launch.TRIAL_THREADS + " (mean): " + maxMatrixThreads + ", " + meanThreads);
            }
        }
    }

    private static final int ERR_NOT_SPD = 1;
    private static final int ERR_WORKSPACE = 2;
    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private final DeviceApi api;
    private final Options options;
    private final CudaMemory memory;
    private final Workspace workspace;
    private final DescriptorRing ring;
    private final TrialQueue queue = new TrialQueue();
    private final TrialQueue.Launcher launcher = this::launchGroup;
    private final int multiprocessors;
    private final int maxShared;
    /** Device: [double result][int error word][pad]; host: its page-locked landing place. */
    private final long scalars;
    private final long errorWord;
    private final MemorySegment scalarsHost;
    private final Scratch covarianceScratch = new Scratch();
    private final Scratch accumulatorScratch = new Scratch();
    private final Scratch innovationScratch = new Scratch();
    /** cuBLAS for the dense layers' products, or null (then the sgemm kernel). */
    private final Cublas cublas;
    private final String gemmEngine;
    private boolean closed;

    /** Opens the first CUDA device through JCuda with the default options. */
    public CudaBackend() {
        this(JCudaApi.open(0), Options.DEFAULT);
    }

    /** A backend on {@code api} (which it owns and closes). */
    public CudaBackend(DeviceApi api, Options options) {
        this.api = api;
        this.options = options;
        this.memory = new CudaMemory(api, this::flushTrials);
        this.workspace = new Workspace(memory);
        this.multiprocessors = api.multiprocessors();
        this.maxShared = api.maxDynamicSharedMemory();
        this.ring = new DescriptorRing(api, memory, 1L << 20);
        this.scalars = memory.allocateDevice(16);
        this.errorWord = scalars + 8;
        this.scalarsHost = memory.allocateHost(16);
        if (!options.useCublas()) {
            cublas = null;
            gemmEngine = "sgemm kernel (cuBLAS not requested)";
        } else if (api.streamHandle() == 0) {
            cublas = null;
            gemmEngine = "sgemm kernel (no CUDA stream for cuBLAS on " + api.deviceName() + ")";
        } else {
            cublas = Cublas.open(api.streamHandle());
            gemmEngine = cublas != null ? "cuBLAS (" + cublas.library() + ")" : "sgemm kernel (" + Cublas.unavailableReason() + ")";
        }
    }

    /** Device memory grown on demand (the old block stays allocated until the backend closes). */
    private final class Scratch {
        long address;
        long bytes;

        long ensure(long need) {
            if (need > bytes) {
                address = memory.allocateScratch(need);
                bytes = need;
            }
            return address;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** What computes the dense layers' products: cuBLAS (which library) or the sgemm kernel (and why). */
    public String gemmEngine() {
        return gemmEngine;
    }

    /** The GPU's name as the driver reports it. */
    public String deviceName() {
        return api.deviceName();
    }

    @Override
    public Workspace workspace() {
        return workspace;
    }

    /** Groups of deferred per-trial work launched so far. */
    int trialGroupsLaunched() {
        return queue.launchedGroups();
    }

    // ------------------------------------------------------------------ plumbing

    private DeviceMirror mirror(Tensor t) {
        DeviceMirror m = t.device();
        if (m == null || m.memory() != memory) {
            throw new IllegalArgumentException("tensor " + t.shapeString() + " was not allocated by this CUDA backend's workspace");
        }
        return m;
    }

    /** Device address of a tensor a kernel reads. */
    private long in(Tensor t) {
        return mirror(t).deviceRead() + t.deviceOffset();
    }

    /** Device address of a tensor a kernel writes (or accumulates into). */
    private long out(Tensor t) {
        return mirror(t).deviceWrite() + t.deviceOffset();
    }

    private static long[] ranges(long[] addresses, Tensor... tensors) {
        long[] r = new long[2 * tensors.length];
        for (int i = 0; i < tensors.length; i++) {
            r[2 * i] = addresses[i];
            r[2 * i + 1] = addresses[i] + tensors[i].size() * Float.BYTES;
        }
        return r;
    }

    private void flushTrials() {
        queue.flush(launcher);
    }

    /** Issues deferred work: every non-deferred op starts here, so stream order is call order. */
    private void begin() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        flushTrials();
    }

    private void launch(Kernel k, int gx, int gy, int block, long sharedBytes, KernelArgs args) {
        api.launch(k, gx, gy, 1, block, (int) sharedBytes, args);
    }

    private int blocks(long n) {
        return Launch.gridStrideBlocks(n, Launch.ELEMENTWISE_THREADS, multiprocessors);
    }

    /** Runs a kernel that adds its sum into the scalar slot; returns the sum (waits for the device). */
    private double scalar(Kernel k, long n, KernelArgs args) {
        api.memset32Async(scalars, 0, 2);
        launch(k, blocks(n), 1, Launch.ELEMENTWISE_THREADS, 0, args.ptr(scalars));
        api.download(scalars, scalarsHost, 16);
        memory.synchronizedNow();
        checkErrors();
        return scalarsHost.get(ValueLayout.JAVA_DOUBLE, 0);
    }

    /**
     * Throws when a kernel reported an error since the last check (read with every scalar result;
     * call after a sync point otherwise).
     */
    public void checkErrors() {
        int err = scalarsHost.get(ValueLayout.JAVA_INT, 8);
        if (err == 0) return;
        api.memset32Async(errorWord, 0, 1);
        scalarsHost.set(ValueLayout.JAVA_INT, 8, 0);
        if (err == ERR_NOT_SPD) throw new ArithmeticException("matrix is not positive definite (in a CUDA Cholesky factorization)");
        if (err == ERR_WORKSPACE) throw new IllegalStateException("a CUDA kernel's workspace was smaller than its layout (launch configuration bug)");
        throw new IllegalStateException("a CUDA kernel reported error " + err);
    }

    /** Waits for the device and checks the kernels' error word. */
    public void synchronize() {
        begin();
        api.download(scalars, scalarsHost, 16);
        memory.synchronizedNow();
        checkErrors();
    }

    private static void check(Tensor t, long rows, int cols, String what) {
        if (t.dim(-1) != cols || t.size() != rows * cols) {
            throw new IllegalArgumentException("dense layer " + what + " has shape " + t.shapeString() + ", expected " + rows + " rows of " + cols);
        }
    }

    // ------------------------------------------------------------------ dense

    private void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha, long a, int lda, long b, int ldb,
                      float beta, long c, int ldc, long bias, boolean tanh) {
        if (m == 0 || n == 0) return;
        if (cublas != null) {
            cublas.sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            if (bias != 0 || tanh) {
                long total = (long) m * n;
                launch(Kernel.BIAS_ACT, blocks(total), 1, Launch.ELEMENTWISE_THREADS, 0,
                        new KernelArgs().ptr(c).ptr(bias).i64(m).i32(n).i32(tanh));
            }
            return;
        }
        boolean splittable = beta == 1f && bias == 0 && !tanh;
        Launch.Gemm g = Launch.gemm(m, n, k, splittable, multiprocessors);
        api.launch(Kernel.SGEMM, g.gx(), g.gy(), g.splits(), Launch.GEMM_THREADS, 0, new KernelArgs()
                .i32(transA).i32(transB).i32(m).i32(n).i32(k).f32(alpha).ptr(a).i32(lda).ptr(b).i32(ldb).f32(beta)
                .ptr(c).i32(ldc).ptr(bias).i32(tanh).i32(g.kChunk()));
    }

    @Override
    public void denseForward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        begin();
        final int rows = (int) (in.size() / in.dim(-1)), nIn = weight.dim(1), nOut = weight.dim(0);
        check(in, rows, nIn, "input");
        check(out, rows, nOut, "output");
        gemm(false, true, rows, nOut, nIn, 1f, in(in), nIn, in(weight), nIn, 0f, out(out), nOut, bias == null ? 0 : in(bias), tanh);
    }

    /** The GPU runs one row as any other product: the frozen weight is a copy in the usual [O,I] layout. */
    @Override
    public Tensor frozenDenseWeight(Tensor weight) {
        Tensor frozen = workspace().zeros(weight.dim(0), weight.dim(1));
        copyColumns(weight, frozen, 0);
        return frozen;
    }

    @Override
    public void denseForwardRow(Tensor in, Tensor frozenWeight, Tensor bias, boolean tanh, Tensor out) {
        denseForward(in, frozenWeight, bias, tanh, out);
    }

    @Override
    public void denseBackward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut,
                              Tensor dIn, Tensor dWeight, Tensor dBias) {
        begin();
        final int rows = (int) (in.size() / in.dim(-1)), nIn = weight.dim(1), nOut = weight.dim(0);
        check(dOut, rows, nOut, "output gradient");
        long d = out(dOut);
        if (tanh) {
            long n = (long) rows * nOut;
            launch(Kernel.TANH_BACKWARD, blocks(n), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(d).ptr(in(out)).i64(n));
        }
        long x = in(in), w = in(weight);
        gemm(true, false, nOut, nIn, rows, 1f, d, nOut, x, nIn, 1f, out(dWeight), nIn, 0, false);   // dW += dPre^T in
        if (dBias != null && rows > 0) {
            Launch.ColumnSum cs = Launch.columnSum(rows, nOut, multiprocessors);
            launch(Kernel.COLUMN_SUM_ADD, cs.gx(), cs.splits(), Launch.COLUMN_SUM_THREADS, 0,
                    new KernelArgs().ptr(d).i64(rows).i32(nOut).ptr(out(dBias)).i64(cs.rowChunk()));
        }
        if (dIn != null) {
            check(dIn, rows, nIn, "input gradient");
            gemm(false, false, rows, nIn, nOut, 1f, d, nOut, w, nIn, 1f, out(dIn), nIn, 0, false);   // dIn += dPre W
        }
    }

    // ------------------------------------------------------------------ Kalman filter

    private static void checkTracks(CovarianceTrack[] tracks, int count) {
        CovarianceTrack t0 = tracks[0];
        for (int i = 1; i < count; i++) {
            CovarianceTrack t = tracks[i];
            if (t.steps != t0.steps || t.latentDim != t0.latentDim || t.embeddingDim != t0.embeddingDim || t.smoothing != t0.smoothing) {
                throw new IllegalArgumentException("covariance tracks of one call must share steps, sizes and smoothing");
            }
        }
    }

    /** Shared bytes for a workspace, or 0 when it does not fit (then the kernel uses global scratch). */
    private long sharedBytes(long wsFloats) {
        long bytes = wsFloats * Float.BYTES;
        return bytes <= maxShared ? bytes : 0;
    }

    @Override
    public void kalmanCovarianceForward(LdmParams p, Tensor[] masks, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        begin();
        checkTracks(tracks, count);
        final CovarianceTrack t0 = tracks[0];
        final int T = t0.steps, X = t0.latentDim, A = t0.embeddingDim;
        long[] d = new long[6 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            d[6 * i] = in(masks[i]);
            d[6 * i + 1] = out(tr.prior);
            d[6 * i + 2] = out(tr.filt);
            d[6 * i + 3] = out(tr.gain);
            d[6 * i + 4] = out(tr.cholS);
            d[6 * i + 5] = out(tr.mask);
        }
        long ws = Launch.kalmanForwardWorkspace(X, A), shared = sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        launch(Kernel.KALMAN_COV_FORWARD, count, 1, Launch.matrixThreads(X, A, options.maxMatrixThreads()), shared, new KernelArgs()
                .ptr(ring.put(d, d.length)).i32(T).i32(X).i32(A)
                .ptr(in(p.a())).ptr(in(p.c())).ptr(in(p.qLogDiag())).ptr(in(p.rLogDiag())).ptr(in(p.sigma0()))
                .ptr(scratch).i64(ws).i32(shared > 0).ptr(errorWord));
    }

    @Override
    public void kalmanCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        begin();
        checkTracks(tracks, count);
        final CovarianceTrack t0 = tracks[0];
        final int T = t0.steps, X = t0.latentDim, A = t0.embeddingDim;
        final boolean stored = t0.smoothing;
        long[] d = new long[8 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            d[8 * i] = in(tr.prior);
            d[8 * i + 1] = in(tr.filt);
            d[8 * i + 2] = in(tr.gain);
            d[8 * i + 3] = in(tr.cholS);
            d[8 * i + 4] = in(tr.mask);
            d[8 * i + 5] = in(tr.dGain);
            d[8 * i + 6] = stored ? out(tr.dFilt) : 0;
            d[8 * i + 7] = stored ? in(tr.dNextPrior) : 0;
        }
        long ws = Launch.kalmanBackwardWorkspace(X, A), shared = sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        long acc = accumulatorScratch.ensure(count * Launch.kalmanBackwardAccumulator(X, A) * Float.BYTES);
        launch(Kernel.KALMAN_COV_BACKWARD, count, 1, Launch.matrixThreads(X, A, options.maxMatrixThreads()), shared, new KernelArgs()
                .ptr(ring.put(d, d.length)).i32(T).i32(X).i32(A).i32(stored)
                .ptr(in(p.a())).ptr(in(p.c())).ptr(in(p.qLogDiag())).ptr(in(p.rLogDiag()))
                .ptr(out(grad.a())).ptr(out(grad.c())).ptr(out(grad.qLogDiag())).ptr(out(grad.rLogDiag())).ptr(acc)
                .ptr(scratch).i64(ws).i32(shared > 0).ptr(errorWord));
    }

    @Override
    public void kalmanMeanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                  Tensor filtMean, Tensor predMean) {
        long[] f = {in(obs), in(mask), out(filtMean), out(predMean), in(track.gain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.KALMAN_MEAN_FORWARD, track.steps, track.latentDim, track.embeddingDim,
                in(p.a()), in(p.c()), in(p.x0()), 0, 0);
        queue.add(new TrialQueue.Op(key, f,
                ranges(new long[] {f[0], f[1], f[4]}, obs, mask, track.gain),
                ranges(new long[] {f[2], f[3]}, filtMean, predMean), 0));
    }

    @Override
    public void kalmanMeanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                   Tensor dObs, LdmParams grad) {
        long[] f = {in(obs), in(mask), in(filtMean), in(predMean), out(dFiltMean), out(dPredMean), out(dObs), in(track.gain), 0};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.KALMAN_MEAN_BACKWARD, track.steps, track.latentDim, track.embeddingDim,
                in(p.a()), in(p.c()), in(p.x0()), out(grad.a()), out(grad.c()));
        queue.add(new TrialQueue.Op(key, f,
                ranges(new long[] {f[0], f[1], f[2], f[3], f[4], f[5], f[7]}, obs, mask, filtMean, predMean, dFiltMean, dPredMean, track.gain),
                ranges(new long[] {f[4], f[5], f[6]}, dFiltMean, dPredMean, dObs), out(track.dGain)));
    }

    // ------------------------------------------------------------------ RTS smoother

    @Override
    public void rtsCovarianceForward(LdmParams p, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        begin();
        checkTracks(tracks, count);
        final int T = tracks[0].steps, X = tracks[0].latentDim;
        final int threads = Launch.matrixThreads(X, X, options.maxMatrixThreads());
        long[] gains = new long[4 * count], chain = new long[4 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            gains[4 * i] = in(tr.prior);
            gains[4 * i + 1] = in(tr.filt);
            gains[4 * i + 2] = out(tr.smootherGain);
            gains[4 * i + 3] = out(tr.cholNext);
            chain[4 * i] = gains[4 * i];
            chain[4 * i + 1] = gains[4 * i + 1];
            chain[4 * i + 2] = gains[4 * i + 2];
            chain[4 * i + 3] = out(tr.smooth);
        }
        if (T > 1) {
            long ws = Launch.rtsGainWorkspace(X), shared = sharedBytes(ws);
            int gx = Launch.stepBlocks(T - 1, count, ws, shared > 0, options.scratchBudgetBytes() / Float.BYTES);
            long scratch = shared > 0 ? 0 : covarianceScratch.ensure((long) gx * count * ws * Float.BYTES);
            launch(Kernel.RTS_GAIN, gx, count, threads, shared, new KernelArgs()
                    .ptr(ring.put(gains, gains.length)).i32(T).i32(X).ptr(in(p.a()))
                    .ptr(scratch).i64(ws).i32(shared > 0).ptr(errorWord));
        }
        long ws = Launch.rtsChainWorkspace(X), shared = sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        launch(Kernel.RTS_SMOOTH_COV, count, 1, threads, shared, new KernelArgs()
                .ptr(ring.put(chain, chain.length)).i32(T).i32(X).ptr(scratch).i64(ws).i32(shared > 0).ptr(errorWord));
    }

    @Override
    public void rtsCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        begin();
        checkTracks(tracks, count);
        final int T = tracks[0].steps, X = tracks[0].latentDim;
        final int threads = Launch.matrixThreads(X, X, options.maxMatrixThreads());
        long[] chain = new long[4 * count], par = new long[9 * count];
        for (int i = 0; i < count; i++) {
            CovarianceTrack tr = tracks[i];
            long j = in(tr.smootherGain), dSmooth = out(tr.dSmooth), dNext = out(tr.dNextPrior), dFilt = out(tr.dFilt);
            chain[4 * i] = j;
            chain[4 * i + 1] = dSmooth;
            chain[4 * i + 2] = dNext;
            chain[4 * i + 3] = dFilt;
            par[9 * i] = in(tr.prior);
            par[9 * i + 1] = in(tr.filt);
            par[9 * i + 2] = in(tr.smooth);
            par[9 * i + 3] = j;
            par[9 * i + 4] = in(tr.cholNext);
            par[9 * i + 5] = dSmooth;
            par[9 * i + 6] = out(tr.dSmootherGain);
            par[9 * i + 7] = dFilt;
            par[9 * i + 8] = dNext;
        }
        long ws = Launch.rtsChainWorkspace(X), shared = sharedBytes(ws);
        long scratch = shared > 0 ? 0 : covarianceScratch.ensure(count * ws * Float.BYTES);
        launch(Kernel.RTS_COV_BACKWARD_CHAIN, count, 1, threads, shared, new KernelArgs()
                .ptr(ring.put(chain, chain.length)).i32(T).i32(X).ptr(scratch).i64(ws).i32(shared > 0).ptr(errorWord));
        if (T > 1) {
            long ws2 = Launch.rtsBackwardWorkspace(X), shared2 = sharedBytes(ws2);
            int gx = Launch.stepBlocks(T - 1, count, ws2, shared2 > 0, options.scratchBudgetBytes() / Float.BYTES);
            long scratch2 = shared2 > 0 ? 0 : covarianceScratch.ensure((long) gx * count * ws2 * Float.BYTES);
            launch(Kernel.RTS_COV_BACKWARD, gx, count, threads, shared2, new KernelArgs()
                    .ptr(ring.put(par, par.length)).i32(T).i32(X).ptr(in(p.a())).ptr(out(grad.a()))
                    .ptr(scratch2).i64(ws2).i32(shared2 > 0).ptr(errorWord));
        }
    }

    @Override
    public void rtsMeanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        long[] f = {in(filtMean), in(predMean), out(smoothMean), in(track.smootherGain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.RTS_MEAN_FORWARD, track.steps, track.latentDim, 0, 0, 0, 0, 0, 0);
        queue.add(new TrialQueue.Op(key, f,
                ranges(new long[] {f[0], f[1], f[3]}, filtMean, predMean, track.smootherGain),
                ranges(new long[] {f[2]}, smoothMean), 0));
    }

    @Override
    public void rtsMeanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        long[] f = {in(filtMean), in(predMean), in(smoothMean), out(dSmoothMean), out(dFiltMean), out(dPredMean), in(track.smootherGain)};
        var key = new TrialQueue.GroupKey(TrialQueue.Kind.RTS_MEAN_BACKWARD, track.steps, track.latentDim, 0, 0, 0, 0, 0, 0);
        queue.add(new TrialQueue.Op(key, f,
                ranges(new long[] {f[0], f[1], f[2], f[3], f[4], f[5], f[6]}, filtMean, predMean, smoothMean, dSmoothMean, dFiltMean,
                        dPredMean, track.smootherGain),
                ranges(new long[] {f[3], f[4], f[5]}, dSmoothMean, dFiltMean, dPredMean), out(track.dSmootherGain)));
    }

    /** Launches one group of deferred per-trial ops (called by the queue). */
    private void launchGroup(TrialQueue.GroupKey key, List<TrialQueue.Op> ops) {
        final int n = ops.size(), T = key.steps(), X = key.latent(), A = key.embedding();
        final int width = ops.get(0).fields.length;
        long[] d = new long[width * n];
        switch (key.kind()) {
            case KALMAN_MEAN_FORWARD -> {
                for (int b = 0; b < n; b++) System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
                launch(Kernel.KALMAN_MEAN_FORWARD, n, 1, options.meanThreads(), Launch.kalmanMeanShared(X, A) * Float.BYTES, new KernelArgs()
                        .ptr(ring.put(d, d.length)).i32(T).i32(X).i32(A).ptr(key.a()).ptr(key.c()).ptr(key.x0()));
            }
            case RTS_MEAN_FORWARD -> {
                for (int b = 0; b < n; b++) System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
                launch(Kernel.RTS_MEAN_FORWARD, n, 1, options.meanThreads(), 2L * X * Float.BYTES, new KernelArgs()
                        .ptr(ring.put(d, d.length)).i32(T).i32(X));
            }
            case RTS_MEAN_BACKWARD -> {
                for (int b = 0; b < n; b++) System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
                long table = ring.put(d, d.length);
                launch(Kernel.RTS_MEAN_BACKWARD, n, 1, options.meanThreads(), (long) X * Float.BYTES, new KernelArgs()
                        .ptr(table).i32(T).i32(X));
                if (T > 1) {
                    Members m = members(ops);
                    launch(Kernel.RTS_GAIN_GRAD, T - 1, m.groups, Launch.REDUCE_THREADS, 0, new KernelArgs()
                            .ptr(table).ptr(m.start).ptr(m.member).ptr(m.accumulators).i32(T).i32(X));
                }
            }
            case KALMAN_MEAN_BACKWARD -> {
                long innov = innovationScratch.ensure((long) n * T * A * Float.BYTES);
                for (int b = 0; b < n; b++) {
                    System.arraycopy(ops.get(b).fields, 0, d, b * width, width);
                    d[b * width + 8] = innov + (long) b * T * A * Float.BYTES;
                }
                long table = ring.put(d, d.length);
                launch(Kernel.KALMAN_MEAN_BACKWARD, n, 1, options.meanThreads(), Launch.kalmanMeanShared(X, A) * Float.BYTES, new KernelArgs()
                        .ptr(table).i32(T).i32(X).i32(A).ptr(key.a()).ptr(key.c()).ptr(key.x0()));
                long outputs = (long) X * X + (long) A * X;
                launch(Kernel.KALMAN_MEAN_PARAM_GRAD, (int) Launch.ceilDiv(outputs, Launch.REDUCE_THREADS), 1, Launch.REDUCE_THREADS, 0,
                        new KernelArgs().ptr(table).i32(n).i32(T).i32(X).i32(A).ptr(key.x0()).ptr(key.gradA()).ptr(key.gradC()));
                Members m = members(ops);
                launch(Kernel.KALMAN_GAIN_GRAD, T, m.groups, Launch.REDUCE_THREADS, 0, new KernelArgs()
                        .ptr(table).ptr(m.start).ptr(m.member).ptr(m.accumulators).i32(T).i32(X).i32(A));
            }
        }
    }

    /** The trials of a group by the track accumulator they add into (CSR), uploaded. */
    private record Members(int groups, long start, long member, long accumulators) {
    }

    private Members members(List<TrialQueue.Op> ops) {
        Map<Long, List<Integer>> byTrack = new LinkedHashMap<>();
        for (int b = 0; b < ops.size(); b++) byTrack.computeIfAbsent(ops.get(b).accumulator, k -> new ArrayList<>()).add(b);
        int g = byTrack.size();
        int[] start = new int[g + 1], member = new int[ops.size()];
        long[] acc = new long[g];
        int i = 0, k = 0;
        for (Map.Entry<Long, List<Integer>> e : byTrack.entrySet()) {
            acc[i] = e.getKey();
            start[i] = k;
            for (int b : e.getValue()) member[k++] = b;
            i++;
        }
        start[g] = k;
        return new Members(g, ring.put(start, start.length), ring.put(member, member.length), ring.put(acc, acc.length));
    }

    // ------------------------------------------------------------------ likelihoods

    @Override
    public double poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        begin();
        final int B = counts.dim(0), T = counts.dim(1), N = counts.dim(2);
        long n = (long) B * Math.max(0, T - shift) * N;
        if (n == 0) return 0;
        return scalar(Kernel.POISSON_LL, n, new KernelArgs().ptr(in(logRate)).ptr(in(counts)).ptr(in(mask))
                .i32(B).i32(T).i32(N).i32(shift).f32(scale).ptr(out(dLogRate)));
    }

    @Override
    public double gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance,
                                        float scale, Tensor dMean) {
        begin();
        final int B = data.dim(0), T = data.dim(1), N = data.dim(2);
        long n = (long) B * Math.max(0, T - shift) * N;
        if (n == 0) return 0;
        double logNorm = -0.5 * (LOG_2PI + Math.log(variance));
        return scalar(Kernel.GAUSSIAN_LL, n, new KernelArgs().ptr(in(mean)).ptr(in(data)).ptr(in(mask))
                .i32(B).i32(T).i32(N).i32(shift).f32(variance).f64(logNorm).f32(scale).ptr(out(dMean)));
    }

    // ------------------------------------------------------------------ smoothness

    @Override
    public double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        begin();
        final int T = logRate.dim(0), N = logRate.dim(1);
        return scalar(Kernel.POISSON_SMOOTH, (long) T * N, new KernelArgs().ptr(in(logRate)).ptr(in(mask)).i32(T).i32(N)
                .f32(scale).ptr(out(dLogRate)));
    }

    @Override
    public double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        begin();
        final int T = mean.dim(0), N = mean.dim(1);
        return scalar(Kernel.GAUSSIAN_SMOOTH, (long) T * N, new KernelArgs().ptr(in(mean)).ptr(in(mask)).i32(T).i32(N)
                .f32(variance).f32(scale).ptr(out(dMean)));
    }

    @Override
    public double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        begin();
        final int T = smoothMean.dim(0), X = smoothMean.dim(1);
        return scalar(Kernel.LATENT_SMOOTH, (long) T * dims, new KernelArgs().ptr(in(smoothMean)).ptr(in(track.smooth))
                .i32(T).i32(X).i32(dims).f32(scale).ptr(out(dSmoothMean)).ptr(out(track.dSmooth)));
    }

    // ------------------------------------------------------------------ small tensor ops

    @Override
    public void maskRows(Tensor in, Tensor mask, Tensor out) {
        begin();
        final int cols = in.dim(-1);
        final long rows = in.size() / cols;
        if (out.size() != in.size() || mask.size() != rows) {
            throw new IllegalArgumentException("maskRows of " + in.shapeString() + " by " + mask.shapeString() + " into " + out.shapeString());
        }
        launch(Kernel.MASK_ROWS, blocks(in.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(in(in)).ptr(in(mask)).i64(rows).i32(cols).ptr(out(out)));
    }

    @Override
    public void copyColumns(Tensor src, Tensor dst, int offset) {
        begin();
        final int n = src.dim(-1), m = dst.dim(-1);
        final long rows = src.size() / n;
        launch(Kernel.COPY_COLUMNS, blocks(src.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(in(src)).i64(rows).i32(n).ptr(out(dst)).i32(m).i32(offset));
    }

    @Override
    public void sliceColumns(Tensor src, int offset, Tensor dst) {
        begin();
        final int n = dst.dim(-1), m = src.dim(-1);
        final long rows = dst.size() / n;
        launch(Kernel.SLICE_COLUMNS, blocks(dst.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(in(src)).i64(rows).i32(m).i32(offset).ptr(out(dst)).i32(n));
    }

    @Override
    public void multiply(Tensor x, Tensor factor, Tensor out) {
        begin();
        if (x.size() != factor.size() || x.size() != out.size()) {
            throw new IllegalArgumentException("multiply of " + x.shapeString() + " by " + factor.shapeString() + " into " + out.shapeString());
        }
        launch(Kernel.MULTIPLY, blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(in(x)).ptr(in(factor)).i64(x.size()).ptr(out(out)));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        begin();
        if (x.size() != y.size()) throw new IllegalArgumentException("axpy of " + x.shapeString() + " into " + y.shapeString());
        launch(Kernel.AXPY, blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().f32(alpha).ptr(in(x)).i64(x.size()).ptr(out(y)));
    }

    @Override
    public double sumSquares(Tensor x) {
        begin();
        return scalar(Kernel.SUM_SQUARES, x.size(), new KernelArgs().ptr(in(x)).i64(x.size()));
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, int step) {
        begin();
        long n = params.size();
        if (grads.size() != n || m.size() != n || v.size() != n) {
            throw new IllegalArgumentException("adamStep: params " + params.shapeString() + ", grads " + grads.shapeString()
                    + ", m " + m.shapeString() + ", v " + v.shapeString() + " must have one size");
        }
        if (step < 1) throw new IllegalArgumentException("adamStep: step counts from 1, got " + step);
        // every scalar formed in double and rounded once, as CpuOptimizer (and PyTorch) do on the host
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float correction2Sqrt = (float) Math.sqrt(1 - Math.pow(beta2, step));
        launch(Kernel.ADAM_STEP, blocks(n), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs()
                .ptr(out(params)).ptr(in(grads)).ptr(out(m)).ptr(out(v)).i64(n)
                .f32((float) beta1).f32((float) beta2).f32((float) (1 - beta1)).f32((float) (1 - beta2)).f32((float) eps)
                .f32(stepSize).f32(correction2Sqrt));
    }

    @Override
    public void scale(Tensor x, float alpha) {
        begin();
        launch(Kernel.SCALE, blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0, new KernelArgs().ptr(out(x)).i64(x.size()).f32(alpha));
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            flushTrials();
        } finally {
            closed = true;
            if (cublas != null) cublas.close();
            workspace.close();
            api.close();
        }
    }
}
