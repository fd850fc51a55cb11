package org.mrine.backend.cuda;

import java.util.List;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Sums;
import org.mrine.tensor.DeviceMirror;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;

/**
 * The GPU backend: the twin of {@link org.mrine.backend.cpu.CpuBackend}, op for op and piece for
 * piece ({@link CudaDense}, {@link CudaKalman}, {@link CudaRts}, {@link CudaLikelihood},
 * {@link CudaOptimizer} beside CpuDense, CpuKalman, CpuRts, CpuLikelihood, CpuOptimizer), with the
 * arithmetic in the CUDA kernels of {@code kernels/} (see {@link Kernel}) and the tensors on the
 * device ({@link DeviceMirror}).
 *
 * <p>Host and device meet at the batch boundary only: a batch's tensors go up when the model
 * copies them in ({@link Tensor#copyFrom(float[])} enqueues the upload), and a training step's loss
 * terms and gradient norm come back in one transfer of its {@link Sums}. Nothing is copied per time
 * step or per term, and nothing in a step waits for the device but that one read. Every sum is
 * reduced in a fixed order (no float atomics), so two runs from one seed give the same bits.
 * One instance is used by one thread at a time.
 */
public final class CudaBackend implements Backend {

    /**
     * @param maxMatrixThreads   threads per block of the covariance kernels (at most 512)
     * @param meanThreads        threads per block of the per-trial mean kernels
     * @param scratchBudgetBytes global scratch the step-parallel smoother kernels may use when their
     *                           workspaces do not fit in shared memory
     * @param useCublas          dense-layer products through cuBLAS when a libcublas loads (else, or when
     *                           false, the sgemm kernel); -Dmrine.cublas=false turns the default off
     * @param syncEveryLaunch    wait for the device after every launch and name the kernel that failed
     *                           (slow; for finding a fault): MRINE_CUDA_SYNC=1 in the environment
     * @param profileLaunches    time every launch on its own (a wait before and after it) and keep the
     *                           times by kernel ({@link #launchProfile}): for finding where a step's time goes
     */
    public record Options(int maxMatrixThreads, int meanThreads, long scratchBudgetBytes, boolean useCublas,
                          boolean syncEveryLaunch, boolean profileLaunches) {
        public static final Options DEFAULT = new Options(Launch.MATRIX_THREADS, 256, 1L << 30,
                !"false".equals(System.getProperty("mrine.cublas")), "1".equals(System.getenv("MRINE_CUDA_SYNC")), false);

        public Options {
            if (maxMatrixThreads < 32 || maxMatrixThreads > Launch.MATRIX_THREADS || maxMatrixThreads % 32 != 0
                    || meanThreads < 32 || meanThreads > Launch.TRIAL_THREADS || meanThreads % 32 != 0) {
                throw new IllegalArgumentException("block sizes must be multiples of 32, at most " + Launch.MATRIX_THREADS
                        + " (matrix) and " + Launch.TRIAL_THREADS + " (mean): " + maxMatrixThreads + ", " + meanThreads);
            }
        }

        /** These options with the sgemm kernel for the dense layers. */
        public Options withoutCublas() {
            return new Options(maxMatrixThreads, meanThreads, scratchBudgetBytes, false, syncEveryLaunch, profileLaunches);
        }

        /** These options with a wait and an error check after every launch. */
        public Options syncingEveryLaunch() {
            return new Options(maxMatrixThreads, meanThreads, scratchBudgetBytes, useCublas, true, profileLaunches);
        }

        /** These options with every launch timed on its own. */
        public Options profiling() {
            return new Options(maxMatrixThreads, meanThreads, scratchBudgetBytes, useCublas, syncEveryLaunch, true);
        }
    }

    private final DeviceApi api;
    private final CudaStream stream;
    private final Workspace workspace;
    /** cuBLAS for the dense layers' products, or null (then the sgemm kernel). */
    private final Cublas cublas;
    private final String gemmEngine;
    private final CudaDense dense;
    private final CudaKalman kalman;
    private final CudaRts rts;
    private final CudaLikelihood likelihood;
    private final CudaOptimizer optimizer;
    /** One slot for the ops that return their sum at once (tests, streaming; a training step uses its own sums). */
    private final Sums scalar;
    private boolean closed;

    /** Opens the first CUDA device through JCuda with the default options. */
    public CudaBackend() {
        this(JCudaApi.open(0), Options.DEFAULT);
    }

    /** A backend on {@code api} (which it owns and closes). */
    public CudaBackend(DeviceApi api, Options options) {
        this.api = api;
        this.stream = new CudaStream(api, options);
        this.workspace = new Workspace(stream.memory);
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
        dense = new CudaDense(stream, cublas);
        kalman = new CudaKalman(stream);
        rts = new CudaRts(stream);
        likelihood = new CudaLikelihood(stream);
        optimizer = new CudaOptimizer(stream);
        stream.launcher(this::launchGroup);
        scalar = sums(1);
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** What computes the dense layers' products: cuBLAS (which library) or the sgemm kernel (and why). */
    public String gemmEngine() {
        return gemmEngine;
    }

    /** Whether the dense layers' products go through cuBLAS. */
    public boolean usesCublas() {
        return cublas != null;
    }

    /** The GPU's name as the driver reports it. */
    public String deviceName() {
        return api.deviceName();
    }

    /** Bytes of device memory this backend has allocated (all of it stays allocated until it closes: the peak). */
    public long deviceBytes() {
        return stream.memory.deviceBytes();
    }

    /** Device memory in use on the whole device as the driver sees it (context and libraries included), or -1. */
    public long deviceBytesInUse() {
        return api.memoryInUse();
    }

    @Override
    public Workspace workspace() {
        return workspace;
    }

    /**
     * With {@link Options#profileLaunches}: per kernel (and cuBLAS product), the launches and the
     * nanoseconds each took on its own, since the last {@link #clearLaunchProfile}; empty otherwise.
     */
    public java.util.Map<String, long[]> launchProfile() {
        return java.util.Collections.unmodifiableMap(stream.profile);
    }

    public void clearLaunchProfile() {
        stream.profile.clear();
    }

    /** Groups of deferred per-trial work launched so far. */
    int trialGroupsLaunched() {
        return stream.queue.launchedGroups();
    }

    /** Times the host has waited for the device so far (every sums read, download and synchronize). */
    long hostWaits() {
        return stream.memory.waits();
    }

    /** Tensor transfers so far (host-to-device uploads, device-to-host downloads). */
    long tensorUploads() {
        return stream.memory.uploads();
    }

    long tensorDownloads() {
        return stream.memory.downloads();
    }

    private void begin() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        stream.begin();
    }

    /** Waits for the device and checks the kernels' error word. */
    public void synchronize() {
        begin();
        scalar.read();
    }

    private void launchGroup(TrialQueue.GroupKey key, List<TrialQueue.Op> ops) {
        switch (key.kind()) {
            case KALMAN_MEAN_FORWARD, KALMAN_MEAN_BACKWARD -> kalman.launchGroup(key, ops);
            case RTS_MEAN_FORWARD, RTS_MEAN_BACKWARD -> rts.launchGroup(key, ops);
        }
    }

    /** Runs an op that adds into one slot and returns the slot (waits for the device). */
    private double now(java.util.function.LongConsumer op) {
        scalar.clear();
        op.accept(CudaSums.address(scalar, stream));
        return scalar.read()[0];
    }

    // ------------------------------------------------------------------ dense

    @Override
    public void denseForward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        begin();
        dense.forward(in, weight, bias, tanh, out);
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
        dense.backward(in, weight, out, tanh, dOut, dIn, dWeight, dBias);
    }

    // ------------------------------------------------------------------ Kalman filter

    @Override
    public void kalmanCovarianceForward(LdmParams p, Tensor[] masks, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        begin();
        kalman.covarianceForward(p, masks, tracks, count);
    }

    @Override
    public void kalmanCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        begin();
        kalman.covarianceBackward(p, tracks, count, grad);
    }

    /** Deferred: queued with the other trials' mean passes and launched with them (one block per trial). */
    @Override
    public void kalmanMeanForward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                  Tensor filtMean, Tensor predMean) {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        kalman.meanForward(p, track, obs, mask, filtMean, predMean);
    }

    @Override
    public void kalmanMeanBackward(LdmParams p, CovarianceTrack track, Tensor obs, Tensor mask,
                                   Tensor filtMean, Tensor predMean, Tensor dFiltMean, Tensor dPredMean,
                                   Tensor dObs, LdmParams grad) {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        kalman.meanBackward(p, track, obs, mask, filtMean, predMean, dFiltMean, dPredMean, dObs, grad);
    }

    // ------------------------------------------------------------------ RTS smoother

    @Override
    public void rtsCovarianceForward(LdmParams p, CovarianceTrack[] tracks, int count) {
        if (count == 0) return;
        begin();
        rts.covarianceForward(p, tracks, count);
    }

    @Override
    public void rtsCovarianceBackward(LdmParams p, CovarianceTrack[] tracks, int count, LdmParams grad) {
        if (count == 0) return;
        begin();
        rts.covarianceBackward(p, tracks, count, grad);
    }

    @Override
    public void rtsMeanForward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean) {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        rts.meanForward(track, filtMean, predMean, smoothMean);
    }

    @Override
    public void rtsMeanBackward(CovarianceTrack track, Tensor filtMean, Tensor predMean, Tensor smoothMean,
                                Tensor dSmoothMean, Tensor dFiltMean, Tensor dPredMean) {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        rts.meanBackward(track, filtMean, predMean, smoothMean, dSmoothMean, dFiltMean, dPredMean);
    }

    // ------------------------------------------------------------------ likelihoods and smoothness

    @Override
    public Sums sums(int slots) {
        return CudaSums.create(stream, slots);
    }

    private long address(Sums sums) {
        return CudaSums.address(sums, stream);
    }

    @Override
    public double poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate) {
        begin();
        return now(sums -> likelihood.poisson(logRate, counts, mask, shift, scale, dLogRate, sums, 0));
    }

    @Override
    public void poissonLogLikelihood(Tensor logRate, Tensor counts, Tensor mask, int shift, float scale, Tensor dLogRate,
                                     Sums sums, int slot) {
        begin();
        likelihood.poisson(logRate, counts, mask, shift, scale, dLogRate, address(sums), slot);
    }

    @Override
    public double gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance,
                                        float scale, Tensor dMean) {
        begin();
        return now(sums -> likelihood.gaussian(mean, data, mask, shift, variance, scale, dMean, sums, 0));
    }

    @Override
    public void gaussianLogLikelihood(Tensor mean, Tensor data, Tensor mask, int shift, float variance, float scale,
                                      Tensor dMean, Sums sums, int slot) {
        begin();
        likelihood.gaussian(mean, data, mask, shift, variance, scale, dMean, address(sums), slot);
    }

    /** One trial [T,N] as a batch of one. */
    private static Tensor one(Tensor t) {
        return t.view(1, t.dim(0), t.dim(1));
    }

    @Override
    public double poissonSmoothness(Tensor logRate, Tensor mask, float scale, Tensor dLogRate) {
        begin();
        return now(sums -> likelihood.smoothness(true, one(logRate), mask.view(1, mask.dim(0)), 0f, new float[] {scale},
                new double[] {1}, one(dLogRate), sums, 0));
    }

    @Override
    public void poissonSmoothness(Tensor logRate, Tensor mask, float[] scale, double[] divisor, Tensor dLogRate, Sums sums, int slot) {
        begin();
        likelihood.smoothness(true, logRate, mask, 0f, scale, divisor, dLogRate, address(sums), slot);
    }

    @Override
    public double gaussianSmoothness(Tensor mean, Tensor mask, float variance, float scale, Tensor dMean) {
        begin();
        return now(sums -> likelihood.smoothness(false, one(mean), mask.view(1, mask.dim(0)), variance, new float[] {scale},
                new double[] {1}, one(dMean), sums, 0));
    }

    @Override
    public void gaussianSmoothness(Tensor mean, Tensor mask, float variance, float[] scale, double[] divisor, Tensor dMean,
                                   Sums sums, int slot) {
        begin();
        likelihood.smoothness(false, mean, mask, variance, scale, divisor, dMean, address(sums), slot);
    }

    @Override
    public double latentSmoothness(Tensor smoothMean, CovarianceTrack track, int dims, float scale, Tensor dSmoothMean) {
        begin();
        return now(sums -> likelihood.latentSmoothness(one(smoothMean), new CovarianceTrack[] {track}, dims, scale, one(dSmoothMean),
                sums, 0));
    }

    @Override
    public void latentSmoothness(Tensor smoothMean, CovarianceTrack[] trackOf, int dims, float scale, Tensor dSmoothMean,
                                 Sums sums, int slot) {
        begin();
        likelihood.latentSmoothness(smoothMean, trackOf, dims, scale, dSmoothMean, address(sums), slot);
    }

    @Override
    public void l2Penalty(Tensor[] weights, Tensor[] grads, double scale, Sums sums, int slot) {
        begin();
        optimizer.l2Penalty(weights, grads, scale, address(sums), slot);
    }

    @Override
    public void clipGradNorm(Tensor grads, double maxNorm, Sums sums, int slot) {
        begin();
        optimizer.clipGradNorm(grads, maxNorm, address(sums), slot);
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
        stream.launch(Kernel.MASK_ROWS, stream.blocks(in.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(stream.in(in)).ptr(stream.in(mask)).i64(rows).i32(cols).ptr(stream.out(out)));
    }

    @Override
    public void copyColumns(Tensor src, Tensor dst, int offset) {
        begin();
        final int n = src.dim(-1), m = dst.dim(-1);
        final long rows = src.size() / n;
        stream.launch(Kernel.COPY_COLUMNS, stream.blocks(src.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(stream.in(src)).i64(rows).i32(n).ptr(stream.out(dst)).i32(m).i32(offset));
    }

    @Override
    public void sliceColumns(Tensor src, int offset, Tensor dst) {
        begin();
        final int n = dst.dim(-1), m = src.dim(-1);
        final long rows = dst.size() / n;
        stream.launch(Kernel.SLICE_COLUMNS, stream.blocks(dst.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(stream.in(src)).i64(rows).i32(m).i32(offset).ptr(stream.out(dst)).i32(n));
    }

    @Override
    public void multiply(Tensor x, Tensor factor, Tensor out) {
        begin();
        if (x.size() != factor.size() || x.size() != out.size()) {
            throw new IllegalArgumentException("multiply of " + x.shapeString() + " by " + factor.shapeString() + " into " + out.shapeString());
        }
        stream.launch(Kernel.MULTIPLY, stream.blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().ptr(stream.in(x)).ptr(stream.in(factor)).i64(x.size()).ptr(stream.out(out)));
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        begin();
        if (x.size() != y.size()) throw new IllegalArgumentException("axpy of " + x.shapeString() + " into " + y.shapeString());
        stream.launch(Kernel.AXPY, stream.blocks(x.size()), 1, Launch.ELEMENTWISE_THREADS, 0,
                new KernelArgs().f32(alpha).ptr(stream.in(x)).i64(x.size()).ptr(stream.out(y)));
    }

    @Override
    public double sumSquares(Tensor x) {
        begin();
        return now(sums -> optimizer.sumSquares(x, sums, 0));
    }

    // ------------------------------------------------------------------ optimizer

    @Override
    public void adamStep(Tensor params, Tensor grads, Tensor m, Tensor v, double lr, double beta1, double beta2,
                         double eps, int step) {
        begin();
        optimizer.adamStep(params, grads, m, v, lr, beta1, beta2, eps, step);
    }

    @Override
    public void scale(Tensor x, float alpha) {
        begin();
        optimizer.scale(x, alpha);
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            stream.flushTrials();
        } finally {
            closed = true;
            stream.close();
            if (cublas != null) cublas.close();
            workspace.close();
            api.close();
        }
    }
}
