package org.mrine.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.cpu.Blas;
import org.mrine.backend.cpu.CpuTuning;
import org.mrine.tensor.Tensor;
import org.mrine.tensor.Workspace;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU backend's main kernels. Throughput mode with one "operation" per floating-point
 * operation and ns as the unit: the score reads directly as GFLOP/s.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
// 15 s of warm-up: C1 cannot compile the 4x4 and 8x2 tiles, which then run interpreted until C2
// has compiled them (seconds on a loaded machine); a shorter warm-up measured the JIT
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class KernelBenchmark {
    static final int ROWS = 1600, WIDTH = 128, LATENT = 64, STEPS = 50, WIDE = 800, BATCH_ROWS = 3200;

    /**
     * CPU choices for this run, as mrine tune --set takes them, separated by ';' (for example
     * {@code -p cpu='gemm.tile=4x2;threads=1'}); empty: the stored calibration or the defaults.
     */
    @Param({""})
    public String cpu;
    /** Flops of one Kalman covariance step with a sample, counted as 2 per multiply-add of its products. */
    static final int KALMAN_STEP_FLOPS = 2 * (LATENT * LATENT * LATENT * 7 + LATENT * LATENT * LATENT / 3 + LATENT * LATENT * LATENT);

    private Arena arena;
    private MemorySegment counts, a, b, c, small1, small2, small3, gradIn, gradOut, gradW, wideIn, wideW, wideOut;
    private CpuTuning.Scope tuning;
    private Backend be;
    private Tensor in, weight, bias, out;
    private LdmParams ldm;
    private Tensor[] masks;
    private CovarianceTrack[] tracks;

    @Setup(Level.Trial)
    public void setup() {
        CpuTuning t = CpuTuning.current();
        for (String kv : cpu.split(";")) {
            if (!kv.isBlank()) t = t.with(kv.substring(0, kv.indexOf('=')).trim(), kv.substring(kv.indexOf('=') + 1).trim());
        }
        tuning = CpuTuning.use(t);
        System.out.println("cpu choices: " + t.toJson());
        SplittableRandom rng = new SplittableRandom(1);
        arena = Arena.ofShared();
        gradIn = random(arena, BATCH_ROWS * WIDTH, rng);
        gradOut = random(arena, BATCH_ROWS * WIDTH, rng);
        gradW = arena.allocate((long) WIDTH * WIDTH * 4, 64);
        wideIn = random(arena, BATCH_ROWS * WIDTH, rng);
        wideW = random(arena, WIDE * WIDTH, rng);
        wideOut = arena.allocate((long) BATCH_ROWS * WIDE * 4, 64);
        counts = arena.allocate(WIDE * 4L, 64);
        for (int i = 0; i < WIDE; i++) counts.setAtIndex(ValueLayout.JAVA_FLOAT, i, rng.nextInt(3));
        a = random(arena, ROWS * WIDTH, rng);
        b = random(arena, WIDTH * WIDTH, rng);
        c = arena.allocate((long) ROWS * WIDTH * 4, 64);
        small1 = random(arena, LATENT * LATENT, rng);
        small2 = random(arena, LATENT * LATENT, rng);
        small3 = arena.allocate((long) LATENT * LATENT * 4, 64);
        be = Backends.create("cpu");
        Workspace ws = be.workspace();
        in = fill(ws.zeros(ROWS, WIDTH), rng, 1);
        weight = fill(ws.zeros(WIDTH, WIDTH), rng, 0.1);
        bias = fill(ws.zeros(WIDTH), rng, 0.1);
        out = ws.zeros(ROWS, WIDTH);
        Tensor aMat = ws.zeros(LATENT, LATENT), sigma0 = ws.zeros(LATENT, LATENT);
        for (int i = 0; i < LATENT; i++) {
            aMat.set((long) i * LATENT + i, 0.9f);
            sigma0.set((long) i * LATENT + i, 1f);
        }
        ldm = new LdmParams(aMat, fill(ws.zeros(LATENT, LATENT), rng, 0.9), ws.zeros(LATENT), ws.zeros(LATENT), ws.zeros(LATENT), sigma0);
        Tensor mask = ws.zeros(STEPS);
        mask.fill(1f);
        masks = new Tensor[] {mask};
        tracks = new CovarianceTrack[] {new CovarianceTrack(ws, STEPS, LATENT, LATENT, false)};
    }

    private static MemorySegment random(Arena arena, int n, SplittableRandom rng) {
        MemorySegment s = arena.allocate(n * 4L, 64);
        for (int i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }

    private static Tensor fill(Tensor t, SplittableRandom rng, double scale) {
        for (long i = 0; i < t.size(); i++) t.set(i, (float) (scale * rng.nextGaussian()));
        return t;
    }

    /** The batched MLP's product: [1600,128] x [128,128]. */
    @Benchmark
    @OperationsPerInvocation(2 * ROWS * WIDTH * WIDTH)
    public void gemmMlpSize() {
        Blas.mm(false, false, ROWS, WIDTH, WIDTH, 1f, a, 0, b, 0, 0f, c, 0);
    }

    /** The Kalman recursion's product: 64 x 64 x 64. */
    @Benchmark
    @OperationsPerInvocation(2 * LATENT * LATENT * LATENT)
    public void gemmKalmanSize() {
        Blas.mm(false, false, LATENT, LATENT, LATENT, 1f, small1, 0, small2, 0, 0f, small3, 0);
    }

    /** A streaming encoder's first layer at 800 channels: one row, [1,800] x W^T [800,128]. */
    @Benchmark
    @OperationsPerInvocation(2 * WIDE * WIDTH)
    public void gemmOneRow() {
        Blas.mm(false, false, 1, WIDTH, WIDE, 1f, wideIn, 0, wideW, 0, 0f, c, 0);
    }

    /** The same on a row of spike counts (0, 1 or 2, as the streaming benchmark's), its zeros skipped. */
    @Benchmark
    @OperationsPerInvocation(2 * WIDE * WIDTH)
    public void sparseRowOfCounts() {
        Blas.sparseRow(WIDTH, WIDE, counts, 0, wideW, 0, c, 0);
    }

    /** A batched layer's weight gradient at B = 32, T = 100: dPre^T [128,3200] x in [3200,128] (tall op(B)). */
    @Benchmark
    @OperationsPerInvocation(2 * BATCH_ROWS * WIDTH * WIDTH)
    public void gemmWeightGradient() {
        Blas.mm(true, false, WIDTH, WIDTH, BATCH_ROWS, 1f, gradOut, 0, gradIn, 0, 1f, gradW, 0);
    }

    /** An 800-channel decoder output layer at B = 32, T = 100: [3200,128] x W[800,128]^T (wide op(B)). */
    @Benchmark
    @OperationsPerInvocation(2 * BATCH_ROWS * WIDE * WIDTH)
    public void gemmWideOutput() {
        Blas.mm(false, true, BATCH_ROWS, WIDE, WIDTH, 1f, wideIn, 0, wideW, 0, 0f, wideOut, 0);
    }

    /** A hidden layer forward over 1600 rows: product, bias, tanh. */
    @Benchmark
    @OperationsPerInvocation(2 * ROWS * WIDTH * WIDTH)
    public void denseTanhLayer() {
        be.denseForward(in, weight, bias, true, out);
    }

    /** Kalman covariance recursion, 50 steps with a sample each, n_a = n_x = 64. */
    @Benchmark
    @OperationsPerInvocation(STEPS * KALMAN_STEP_FLOPS)
    public void kalmanCovarianceSteps() {
        be.kalmanCovarianceForward(ldm, masks, tracks, 1);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
        arena.close();
        tuning.close();
    }
}
