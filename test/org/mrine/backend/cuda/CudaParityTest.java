package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.Sums;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.io.Json;
import org.mrine.reference.ReferenceFixture;
import org.mrine.tensor.Tensor;

/**
 * Every {@link Backend} op of the CUDA backend against the CPU backend on the same seeded random
 * inputs, forward and backward: outputs, accumulated gradients, sums and the inputs an op modifies.
 * At three sizes: small (odd shapes, every edge of the launch configurations), the paper's (n_a =
 * n_x = 64, hidden 128, 20 channels: the covariance kernels' 256-thread blocks and their 150 KB
 * shared-memory workspaces), and 800 + 800 channels (the channel-wide layers and terms; its
 * filter and smoother are the paper's, n = 64). The paper and 800 + 800 runs emulate an H100's
 * launch configurations (132 multiprocessors: split-K products, split column sums).
 *
 * <p>The set of ops compared must equal the set the interface declares plus the defaults the CUDA
 * backend overrides (found by reflection), so an op added to the interface, or one a refactoring
 * stops reaching, fails here instead of going unchecked.
 *
 * <p>Tolerances: max |gpu - cpu| / max |cpu| per tensor, from {@link #TOLERANCES}, the one table
 * (bench/README.md prints the same table; {@link #theDocumentedTableIsThisTable} keeps them equal).
 */
class CudaParityTest {

    /** Tolerance classes, each with its reason. */
    enum Tolerance {
        /** Copies and selections: the same bits. */
        BITS(0),
        /** Elementwise ops with the same float operations in the same order. */
        EXACT(1e-6),
        /** Dot products and sums in another order (GEMM tiles, split-K, reductions). */
        SUMS(2e-5),
        /** Kalman and RTS recursions, where reordered sums pass through Cholesky solves step after step. */
        RECURSION(1e-4),
        /** Their adjoints, one more solve deep. */
        ADJOINT(5e-4);

        final double value;

        Tolerance(double value) {
            this.value = value;
        }
    }

    /** Per tensor (the name without its size tag): the one table of tolerances. */
    static final Map<String, Tolerance> TOLERANCES = new TreeMap<>(Map.ofEntries(
            Map.entry("dense.out", Tolerance.SUMS), Map.entry("dense.dPre", Tolerance.SUMS), Map.entry("dense.dW", Tolerance.SUMS),
            Map.entry("dense.dB", Tolerance.SUMS), Map.entry("dense.dIn", Tolerance.SUMS), Map.entry("denseRow.out", Tolerance.SUMS),
            Map.entry("track.prior", Tolerance.RECURSION), Map.entry("track.filt", Tolerance.RECURSION),
            Map.entry("track.gain", Tolerance.RECURSION), Map.entry("track.cholS", Tolerance.RECURSION),
            Map.entry("track.mask", Tolerance.BITS), Map.entry("track.smootherGain", Tolerance.RECURSION),
            Map.entry("track.cholNext", Tolerance.RECURSION), Map.entry("track.smooth", Tolerance.RECURSION),
            Map.entry("filtMean", Tolerance.RECURSION), Map.entry("predMean", Tolerance.RECURSION),
            Map.entry("smoothMean", Tolerance.RECURSION),
            Map.entry("dFiltMean", Tolerance.ADJOINT), Map.entry("dPredMean", Tolerance.ADJOINT), Map.entry("dObs", Tolerance.ADJOINT),
            Map.entry("dSmoothMean", Tolerance.ADJOINT), Map.entry("track.dGain", Tolerance.ADJOINT),
            Map.entry("track.dSmootherGain", Tolerance.ADJOINT), Map.entry("track.dSmooth", Tolerance.ADJOINT),
            Map.entry("track.dFilt", Tolerance.ADJOINT), Map.entry("track.dNextPrior", Tolerance.ADJOINT),
            Map.entry("grad.A", Tolerance.ADJOINT), Map.entry("grad.C", Tolerance.ADJOINT),
            Map.entry("grad.Q", Tolerance.ADJOINT), Map.entry("grad.R", Tolerance.ADJOINT),
            Map.entry("latentSmoothness.sum", Tolerance.SUMS), Map.entry("latentSmoothness.dMean", Tolerance.SUMS),
            Map.entry("latentSmoothness.dSmooth", Tolerance.SUMS),
            Map.entry("poissonLL.sum", Tolerance.SUMS), Map.entry("poissonLL.d", Tolerance.EXACT),
            Map.entry("gaussianLL.sum", Tolerance.SUMS), Map.entry("gaussianLL.d", Tolerance.EXACT),
            Map.entry("poissonSmoothness.sum", Tolerance.SUMS), Map.entry("poissonSmoothness.d", Tolerance.SUMS),
            Map.entry("gaussianSmoothness.sum", Tolerance.SUMS), Map.entry("gaussianSmoothness.d", Tolerance.SUMS),
            Map.entry("maskRows", Tolerance.BITS), Map.entry("copyColumns", Tolerance.BITS), Map.entry("sliceColumns", Tolerance.BITS),
            Map.entry("multiply", Tolerance.EXACT), Map.entry("axpy", Tolerance.EXACT), Map.entry("scale", Tolerance.BITS),
            Map.entry("sumSquares", Tolerance.SUMS),
            Map.entry("l2Penalty.sum", Tolerance.SUMS), Map.entry("l2Penalty.grad", Tolerance.SUMS),
            Map.entry("clipGradNorm.norm", Tolerance.SUMS), Map.entry("clipGradNorm.grads", Tolerance.SUMS),
            Map.entry("adam.params", Tolerance.EXACT), Map.entry("adam.m", Tolerance.EXACT), Map.entry("adam.v", Tolerance.EXACT)));

    /** The sizes one run compares at; filter null: the run leaves the filter and smoother to another size. */
    record Sizes(String name, int[][] dense, int[] split, int[] filter, int[] terms, int rows, int params, int[][] weights) {
    }

    /** dense: {rows, in, out, tanh, bias, dIn}; split: the same for a long weight gradient; filter: {X, A, T, B}; terms: {B, T, N}. */
    static final Sizes SMALL = new Sizes("small",
            new int[][] {{37, 19, 23, 1, 1, 1}, {37, 19, 23, 0, 0, 0}, {5, 3, 70, 1, 1, 1}},
            new int[] {3000, 20, 30, 0, 1, 1}, new int[] {5, 4, 9, 3}, new int[] {3, 10, 7}, 29, 1234,
            new int[][] {{8, 5}, {3, 8}, {7}});

    static final Sizes PAPER = new Sizes("paper",
            new int[][] {{60, 20, 128, 1, 1, 1}, {60, 128, 128, 1, 1, 1}, {60, 128, 64, 0, 1, 1}, {60, 64, 128, 1, 1, 1},
                    {60, 128, 20, 0, 1, 1}, {60, 128, 64, 0, 0, 1}},
            new int[] {3200, 128, 128, 1, 1, 1}, new int[] {64, 64, 20, 3}, new int[] {3, 20, 20}, 600, 180_000,
            new int[][] {{128, 20}, {128, 128}, {128, 128}, {64, 128}, {128, 128}, {64, 128}, {128, 64}, {20, 128}});

    static final Sizes HIGH_CHANNEL = new Sizes("800+800",
            new int[][] {{60, 800, 128, 1, 1, 1}, {60, 128, 800, 0, 1, 1}},
            new int[] {3200, 800, 128, 1, 1, 1}, null, new int[] {2, 20, 800}, 1600, 800_000,
            new int[][] {{128, 800}, {128, 128}, {800, 128}});

    @Test
    void emulatedDeviceMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            new Run(gpu, SMALL).all();
        }
    }

    @Test
    void emulatedDeviceWithWorkspacesInGlobalMemoryMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.emulatedWithoutSharedWorkspaces()) {
            new Run(gpu, SMALL).all();
        }
    }

    /** The paper's size on an emulated H100: 256-thread covariance blocks, 150 KB shared workspaces, split-K. */
    @Test
    void emulatedDeviceMatchesTheCpuAtThePapersSize() {
        try (CudaBackend gpu = CudaTargets.emulatedH100()) {
            new Run(gpu, PAPER).all();
        }
    }

    @Test
    void emulatedDeviceMatchesTheCpuAt800And800Channels() {
        try (CudaBackend gpu = CudaTargets.emulatedH100()) {
            new Run(gpu, HIGH_CHANNEL).all();
        }
    }

    /** With cuBLAS for the dense layers (required with -Dmrine.require=cublas). */
    @Test
    void deviceWithCublasMatchesTheCpu() {
        for (Sizes sizes : List.of(SMALL, PAPER, HIGH_CHANNEL)) {
            try (CudaBackend gpu = CudaTargets.deviceWithCublas()) {
                System.out.println("dense products on " + gpu.deviceName() + ": " + gpu.gemmEngine());
                new Run(gpu, sizes).all();
            }
        }
    }

    @Test
    void deviceWithTheSgemmKernelMatchesTheCpu() {
        for (Sizes sizes : List.of(SMALL, PAPER, HIGH_CHANNEL)) {
            try (CudaBackend gpu = CudaTargets.deviceWithoutCublas()) {
                new Run(gpu, sizes).all();
            }
        }
    }

    /** bench/README.md's tolerance table lists exactly {@link #TOLERANCES}. */
    @Test
    void theDocumentedTableIsThisTable() throws IOException {
        String doc = Files.readString(Path.of("bench", "README.md"));
        Map<String, Double> documented = new TreeMap<>();
        Matcher m = Pattern.compile("(?m)^\\| `([\\w.]+)` \\| ([0-9.e-]+) \\|").matcher(doc);
        while (m.find()) documented.put(m.group(1), Double.parseDouble(m.group(2)));
        Map<String, Double> table = new TreeMap<>();
        TOLERANCES.forEach((k, v) -> table.put(k, v.value));
        assertEquals(table, documented, "the tolerance table in bench/README.md (| `tensor` | tolerance |) vs CudaParityTest.TOLERANCES");
    }

    /** Keys for ops: name and parameter count (the Sums overloads are ops of their own). */
    static String key(Method m) {
        return m.getName() + "/" + m.getParameterCount();
    }

    /** The ops Backend declares (everything but name, workspace, close and sums), and the defaults the CUDA backend overrides. */
    static Set<String> declaredOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (java.lang.reflect.Modifier.isStatic(m.getModifiers())) continue;
            if (Set.of("name", "workspace", "close", "sums").contains(m.getName())) continue;
            if (m.isDefault()) {
                try {
                    if (CudaBackend.class.getMethod(m.getName(), m.getParameterTypes()).getDeclaringClass() != CudaBackend.class) continue;
                } catch (NoSuchMethodException e) {
                    continue;
                }
            }
            ops.add(key(m));
        }
        return ops;
    }

    /** One comparison run: a CPU backend beside the GPU one, tensors in pairs. */
    static final class Run {
        final Backend gpu;
        final Sizes sizes;
        final CpuBackend cpu = new CpuBackend();
        final SplittableRandom rng = new SplittableRandom(42);
        final Set<String> compared = new TreeSet<>();
        final Map<String, Double> errors = new LinkedHashMap<>();

        Run(Backend gpu, Sizes sizes) {
            this.gpu = gpu;
            this.sizes = sizes;
        }

        /** A tensor on each backend with equal values. */
        record Pair(Tensor c, Tensor g) {
            Pair slice(int first, int count) {
                return new Pair(c.slice(first, count), g.slice(first, count));
            }

            Pair view(int... shape) {
                return new Pair(c.view(shape), g.view(shape));
            }
        }

        Pair of(float[] values, int... shape) {
            Tensor c = cpu.workspace().zeros(shape), g = gpu.workspace().zeros(shape);
            c.copyFrom(values);
            g.copyFrom(values);
            return new Pair(c, g);
        }

        float[] gaussian(int n, double scale) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) (scale * rng.nextGaussian());
            return v;
        }

        Pair randn(double scale, int... shape) {
            return of(gaussian(size(shape), scale), shape);
        }

        Pair zeros(int... shape) {
            return new Pair(cpu.workspace().zeros(shape), gpu.workspace().zeros(shape));
        }

        static int size(int[] shape) {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        /** The tolerance of a tensor: its table entry, by its name without the [size] tag and the track number. */
        static double tolerance(String what) {
            String base = what.replaceAll("\\[[^]]*]", "").replaceAll("track\\d", "track").replaceAll("\\([^)]*\\)", "")
                    .replaceFirst("^(smoothing|filter)\\.", "").replaceFirst("^(mean|rts|cov)\\.", "");
            Tolerance t = TOLERANCES.get(base);
            assertNotNull(t, "no tolerance for " + what + " (" + base + ") in CudaParityTest.TOLERANCES");
            return t.value;
        }

        void same(String what, Pair p) {
            same(what, p.c, p.g);
        }

        void same(String what, Tensor c, Tensor g) {
            double tol = tolerance(what);
            double err = ReferenceFixture.relativeError(g.toArray(), c.toArray());
            errors.merge(what, err, Math::max);
            assertTrue(err <= tol, () -> sizes.name + ": " + what + ": relative error " + err + " > " + tol
                    + "\n cpu " + Arrays.toString(Arrays.copyOf(c.toArray(), 8)) + "\n gpu " + Arrays.toString(Arrays.copyOf(g.toArray(), 8)));
        }

        void sameValue(String what, double c, double g) {
            double tol = tolerance(what);
            double err = Math.abs(c - g) / Math.max(1e-30, Math.abs(c));
            errors.merge(what, err, Math::max);
            assertTrue(err <= tol, () -> sizes.name + ": " + what + ": cpu " + c + ", gpu " + g + " (relative error " + err + " > " + tol + ")");
        }

        /** Both backends' sums of one slot, read. */
        record SumPair(Sums c, Sums g) {
        }

        SumPair sums() {
            return new SumPair(cpu.sums(2), gpu.sums(2));
        }

        void sameSums(String what, SumPair s) {
            sameValue(what, s.c.read()[1], s.g.read()[1]);
        }

        void all() {
            long start = System.nanoTime();
            dense();
            if (sizes.filter != null) {
                filterAndSmoother(true);
                filterAndSmoother(false);
            }
            likelihoods();
            smallOps();
            optimizer();
            String worst = errors.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(5)
                    .map(e -> String.format("%s %.1e", e.getKey(), e.getValue())).collect(java.util.stream.Collectors.joining(", "));
            System.out.printf("[%s vs cpu, %s] ops compared: %d, tensors: %d, %.1f s; worst relative errors: %s%n", gpu.name(), sizes.name,
                    compared.size(), errors.size(), (System.nanoTime() - start) / 1e9, worst);
            writeReport();
            Set<String> expected = declaredOps();
            if (sizes.filter == null) expected.removeIf(op -> op.startsWith("kalman") || op.startsWith("rts") || op.startsWith("latent"));
            assertEquals(expected, compared, "every Backend op must be compared on the GPU");
        }

        /** -Dmrine.parity.report=DIR: the per-tensor errors of this run as DIR/parity-<sizes>.json (the device run keeps them). */
        void writeReport() {
            String dir = System.getProperty("mrine.parity.report");
            if (dir == null) return;
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sizes", sizes.name);
            out.put("device", gpu instanceof CudaBackend be ? be.deviceName() : gpu.name());
            out.put("dense_products", gpu instanceof CudaBackend be ? be.gemmEngine() : "");
            Map<String, Object> errs = new LinkedHashMap<>();
            errors.forEach((k, v) -> errs.put(k, Map.of("error", v, "tolerance", tolerance(k))));
            out.put("relative_errors", errs);
            try {
                Files.createDirectories(Path.of(dir));
                String tag = (gpu instanceof CudaBackend be && be.usesCublas() ? "cublas-" : "") + sizes.name.replace('+', '-');
                Files.writeString(Path.of(dir, "parity-" + tag + ".json"), Json.write(out) + "\n");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        // ---------------------------------------------------------------- dense

        void dense() {
            for (int[] d : sizes.dense) denseCase(d);
            // many rows in the weight gradient: the split-K path (and split column sums) on a device's launch configuration
            denseCase(sizes.split);
            int[] first = sizes.dense[0];
            denseRow(first[1], first[2], true);
            denseRow(first[2], first[1], false);
        }

        /** One row through frozen weights (streaming), against the same row through denseForward on the CPU too. */
        void denseRow(int nIn, int nOut, boolean tanh) {
            String tag = "denseRow[" + nIn + "->" + nOut + (tanh ? ",tanh" : "") + "].out";
            Pair in = randn(1, 1, nIn), w = randn(0.4 / Math.sqrt(nIn / 20.0), nOut, nIn), b = randn(0.3, nOut), out = zeros(1, nOut),
                    batch = zeros(1, nOut);
            cpu.denseForwardRow(in.c, cpu.frozenDenseWeight(w.c), b.c, tanh, out.c);
            gpu.denseForwardRow(in.g, gpu.frozenDenseWeight(w.g), b.g, tanh, out.g);
            same(tag, out);
            cpu.denseForward(in.c, w.c, b.c, tanh, batch.c);
            double worst = 0, scale = 0;
            for (long i = 0; i < nOut; i++) {
                worst = Math.max(worst, Math.abs(out.c.get(i) - batch.c.get(i)));
                scale = Math.max(scale, Math.abs(batch.c.get(i)));
            }
            assertTrue(worst <= tolerance(tag) * scale, tag + ": frozen one-row forward differs from denseForward by " + worst / scale);
            compared.add("frozenDenseWeight/1");
            compared.add("denseForwardRow/5");
        }

        /** {rows, in, out, tanh, bias, dIn}. */
        void denseCase(int[] d) {
            final int rows = d[0], nIn = d[1], nOut = d[2];
            final boolean tanh = d[3] != 0, bias = d[4] != 0, withDIn = d[5] != 0;
            String tag = "dense[" + rows + "x" + nIn + "->" + nOut + (tanh ? ",tanh" : "") + "]";
            double ws = 0.4 / Math.sqrt(Math.max(1, nIn / 20.0));
            Pair in = randn(1, rows, nIn), w = randn(ws, nOut, nIn), b = bias ? randn(0.3, nOut) : null, out = zeros(rows, nOut);
            cpu.denseForward(in.c, w.c, b == null ? null : b.c, tanh, out.c);
            gpu.denseForward(in.g, w.g, b == null ? null : b.g, tanh, out.g);
            same(tag + ".out", out);
            compared.add("denseForward/5");
            Pair dOut = randn(1, rows, nOut), dIn = withDIn ? randn(1, rows, nIn) : null, dW = randn(1, nOut, nIn), dB = bias ? randn(1, nOut) : null;
            cpu.denseBackward(in.c, w.c, out.c, tanh, dOut.c, dIn == null ? null : dIn.c, dW.c, dB == null ? null : dB.c);
            gpu.denseBackward(in.g, w.g, out.g, tanh, dOut.g, dIn == null ? null : dIn.g, dW.g, dB == null ? null : dB.g);
            same(tag + ".dPre", dOut);
            same(tag + ".dW", dW);
            if (dB != null) same(tag + ".dB", dB);
            if (dIn != null) same(tag + ".dIn", dIn);
            compared.add("denseBackward/8");
        }

        // ---------------------------------------------------------------- Kalman filter and RTS smoother

        record Ldm(LdmParams c, LdmParams g, Pair a, Pair cm, Pair q, Pair r) {
        }

        Ldm ldm(int x, int a, boolean gradient) {
            float[] av = gaussian(x * x, 0.05 / Math.sqrt(x / 5.0));
            for (int i = 0; i < x; i++) av[i * x + i] += 0.9f;
            Pair pa = of(av, x, x), pc = randn(0.6 / Math.sqrt(x / 5.0), a, x), pq = of(shift(gaussian(x, 0.2), (float) Math.log(0.5)), x),
                    pr = of(gaussian(a, 0.2), a);
            if (gradient) {
                return new Ldm(new LdmParams(pa.c, pc.c, pq.c, pr.c, null, null), new LdmParams(pa.g, pc.g, pq.g, pr.g, null, null),
                        pa, pc, pq, pr);
            }
            float[] s0 = new float[x * x];
            for (int i = 0; i < x; i++) s0[i * x + i] = 1f;
            Pair px0 = randn(0.3, x), ps0 = of(s0, x, x);
            return new Ldm(new LdmParams(pa.c, pc.c, pq.c, pr.c, px0.c, ps0.c), new LdmParams(pa.g, pc.g, pq.g, pr.g, px0.g, ps0.g),
                    pa, pc, pq, pr);
        }

        static float[] shift(float[] v, float by) {
            for (int i = 0; i < v.length; i++) v[i] += by;
            return v;
        }

        void fill(Tensor c, Tensor g, float[] values) {
            c.copyFrom(values);
            g.copyFrom(values);
        }

        /** The covariance and mean passes of B trials on two mask patterns (trial 1 has its own, the others share one). */
        void filterAndSmoother(boolean smoothing) {
            final int X = sizes.filter[0], A = sizes.filter[1], T = sizes.filter[2], B = sizes.filter[3];
            String tag = smoothing ? "smoothing" : "filter";
            Ldm p = ldm(X, A, false);
            Ldm grad = ldm(X, A, true);   // random initial gradients: the ops accumulate
            float[] m = new float[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) m[b * T + t] = (b == 1 ? t % 3 != 1 : t != 2 && t != 5) ? 1f : 0f;
            }
            Pair mask = of(m, B, T), obs = randn(1, B, T, A);
            int[] trackOf = new int[B];
            for (int b = 0; b < B; b++) trackOf[b] = b == 1 ? 1 : 0;
            CovarianceTrack[] tc = new CovarianceTrack[2], tg = new CovarianceTrack[2];
            for (int i = 0; i < 2; i++) {
                tc[i] = new CovarianceTrack(cpu.workspace(), T, X, A, smoothing);
                tg[i] = new CovarianceTrack(gpu.workspace(), T, X, A, smoothing);
            }
            Tensor[] mc = {mask.c.slice(0, 1).view(T), mask.c.slice(1, 1).view(T)};
            Tensor[] mg = {mask.g.slice(0, 1).view(T), mask.g.slice(1, 1).view(T)};
            cpu.kalmanCovarianceForward(p.c, mc, tc, 2);
            gpu.kalmanCovarianceForward(p.g, mg, tg, 2);
            for (int i = 0; i < 2; i++) {
                String k = tag + ".track" + i;
                same(k + ".prior", tc[i].prior, tg[i].prior);
                same(k + ".filt", tc[i].filt, tg[i].filt);
                same(k + ".gain", tc[i].gain, tg[i].gain);
                same(k + ".cholS", tc[i].cholS, tg[i].cholS);
                same(k + ".mask", tc[i].mask, tg[i].mask);
            }
            compared.add("kalmanCovarianceForward/4");
            if (smoothing) {
                cpu.rtsCovarianceForward(p.c, tc, 2);
                gpu.rtsCovarianceForward(p.g, tg, 2);
                for (int i = 0; i < 2; i++) {
                    String k = tag + ".track" + i;
                    same(k + ".smootherGain", tc[i].smootherGain, tg[i].smootherGain);
                    same(k + ".cholNext", tc[i].cholNext, tg[i].cholNext);
                    same(k + ".smooth", tc[i].smooth, tg[i].smooth);
                }
                compared.add("rtsCovarianceForward/3");
            }
            Pair filt = zeros(B, T, X), pred = zeros(B, T, X), smooth = zeros(smoothing ? B : 0, T, X);
            // the batched mean recursions (trials of one track together), as the model calls them
            CovarianceTrack[] tcOf = new CovarianceTrack[B], tgOf = new CovarianceTrack[B];
            for (int b = 0; b < B; b++) {
                tcOf[b] = tc[trackOf[b]];
                tgOf[b] = tg[trackOf[b]];
            }
            cpu.kalmanMeanForward(p.c, tcOf, obs.c, mask.c, filt.c, pred.c);
            gpu.kalmanMeanForward(p.g, tgOf, obs.g, mask.g, filt.g, pred.g);
            for (int b = 0; b < B && smoothing; b++) {
                Pair fb = filt.slice(b, 1).view(T, X), pb = pred.slice(b, 1).view(T, X), sb = smooth.slice(b, 1).view(T, X);
                cpu.rtsMeanForward(tc[trackOf[b]], fb.c, pb.c, sb.c);
                gpu.rtsMeanForward(tg[trackOf[b]], fb.g, pb.g, sb.g);
            }
            same(tag + ".filtMean", filt);
            same(tag + ".predMean", pred);
            compared.add("kalmanMeanForward/6");
            if (smoothing) {
                same(tag + ".smoothMean", smooth);
                compared.add("rtsMeanForward/4");
                latentSmoothness(tc, tg, smooth, trackOf);
            }

            // adjoints: what the loss would have left (nothing on dGain: the batched mean backward sets it,
            // at the steps with a sample; zeros here because what each backend leaves elsewhere differs)
            for (int i = 0; i < 2; i++) {
                fill(tc[i].dGain, tg[i].dGain, new float[(int) tc[i].dGain.size()]);
                if (smoothing) {
                    fill(tc[i].dSmootherGain, tg[i].dSmootherGain, gaussian((int) tc[i].dSmootherGain.size(), 0.5));
                    fill(tc[i].dSmooth, tg[i].dSmooth, symmetric(T, X, 0.5));
                    fill(tc[i].dFilt, tg[i].dFilt, new float[(int) tc[i].dFilt.size()]);
                    fill(tc[i].dNextPrior, tg[i].dNextPrior, new float[(int) tc[i].dNextPrior.size()]);
                }
            }
            Pair dFilt = randn(1, B, T, X), dPred = randn(1, B, T, X), dSmooth = randn(1, smoothing ? B : 0, T, X), dObs = randn(1, B, T, A);
            for (int b = 0; b < B && smoothing; b++) {
                Pair fb = filt.slice(b, 1).view(T, X), pb = pred.slice(b, 1).view(T, X);
                Pair dfb = dFilt.slice(b, 1).view(T, X), dpb = dPred.slice(b, 1).view(T, X);
                Pair sb = smooth.slice(b, 1).view(T, X), dsb = dSmooth.slice(b, 1).view(T, X);
                cpu.rtsMeanBackward(tc[trackOf[b]], fb.c, pb.c, sb.c, dsb.c, dfb.c, dpb.c);
                gpu.rtsMeanBackward(tg[trackOf[b]], fb.g, pb.g, sb.g, dsb.g, dfb.g, dpb.g);
            }
            cpu.kalmanMeanBackward(p.c, tcOf, obs.c, mask.c, filt.c, pred.c, dFilt.c, dPred.c, dObs.c, grad.c);
            gpu.kalmanMeanBackward(p.g, tgOf, obs.g, mask.g, filt.g, pred.g, dFilt.g, dPred.g, dObs.g, grad.g);
            same(tag + ".dFiltMean", dFilt);
            same(tag + ".dPredMean", dPred);
            same(tag + ".dObs", dObs);
            for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dGain", tc[i].dGain, tg[i].dGain);
            same(tag + ".mean.grad.A", grad.a);
            same(tag + ".mean.grad.C", grad.cm);
            compared.add("kalmanMeanBackward/10");
            if (smoothing) {
                same(tag + ".dSmoothMean", dSmooth);
                for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dSmootherGain(mean)", tc[i].dSmootherGain, tg[i].dSmootherGain);
                compared.add("rtsMeanBackward/7");
                cpu.rtsCovarianceBackward(p.c, tc, 2, grad.c);
                gpu.rtsCovarianceBackward(p.g, tg, 2, grad.g);
                for (int i = 0; i < 2; i++) {
                    String k = tag + ".track" + i;
                    same(k + ".dSmooth", tc[i].dSmooth, tg[i].dSmooth);
                    same(k + ".dSmootherGain", tc[i].dSmootherGain, tg[i].dSmootherGain);
                    same(k + ".dFilt(rts)", tc[i].dFilt, tg[i].dFilt);
                    same(k + ".dNextPrior", tc[i].dNextPrior, tg[i].dNextPrior);
                }
                same(tag + ".rts.grad.A", grad.a);
                compared.add("rtsCovarianceBackward/4");
            }
            cpu.kalmanCovarianceBackward(p.c, tc, 2, grad.c);
            gpu.kalmanCovarianceBackward(p.g, tg, 2, grad.g);
            same(tag + ".cov.grad.A", grad.a);
            same(tag + ".cov.grad.C", grad.cm);
            same(tag + ".cov.grad.Q", grad.q);
            same(tag + ".cov.grad.R", grad.r);
            if (smoothing) for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dFilt(kalman)", tc[i].dFilt, tg[i].dFilt);
            compared.add("kalmanCovarianceBackward/4");
        }

        /** T symmetric [X,X] matrices. */
        float[] symmetric(int T, int X, double scale) {
            float[] v = new float[T * X * X];
            for (int t = 0; t < T; t++) {
                for (int i = 0; i < X; i++) {
                    for (int j = 0; j <= i; j++) {
                        float s = (float) (scale * rng.nextGaussian());
                        v[t * X * X + i * X + j] = s;
                        v[t * X * X + j * X + i] = s;
                    }
                }
            }
            return v;
        }

        /** Per trial (the single-trial op), then the whole batch at once into sums (the model's call). */
        void latentSmoothness(CovarianceTrack[] tc, CovarianceTrack[] tg, Pair smooth, int[] trackOf) {
            int B = trackOf.length, T = smooth.c.dim(1), X = smooth.c.dim(2), dims = Math.max(1, X / 2);
            Pair d = randn(1, T, X);
            for (int b = 0; b < B; b++) {
                Pair xs = smooth.slice(b, 1).view(T, X);
                double c = cpu.latentSmoothness(xs.c, tc[trackOf[b]], dims, 0.7f, d.c);
                double g = gpu.latentSmoothness(xs.g, tg[trackOf[b]], dims, 0.7f, d.g);
                sameValue("latentSmoothness.sum", c, g);
            }
            same("latentSmoothness.dMean", d);
            compared.add("latentSmoothness/5");
            CovarianceTrack[] cOf = new CovarianceTrack[B], gOf = new CovarianceTrack[B];
            for (int b = 0; b < B; b++) {
                cOf[b] = tc[trackOf[b]];
                gOf[b] = tg[trackOf[b]];
            }
            Pair dAll = randn(1, B, T, X);
            SumPair s = sums();
            cpu.latentSmoothness(smooth.c, cOf, dims, 0.3f, dAll.c, s.c, 1);
            gpu.latentSmoothness(smooth.g, gOf, dims, 0.3f, dAll.g, s.g, 1);
            sameSums("latentSmoothness.sum[batch]", s);
            same("latentSmoothness.dMean[batch]", dAll);
            for (int i = 0; i < tc.length; i++) same("latentSmoothness.dSmooth[track" + i + "]", tc[i].dSmooth, tg[i].dSmooth);
            compared.add("latentSmoothness/7");
        }

        // ---------------------------------------------------------------- likelihoods and smoothness

        void likelihoods() {
            final int B = sizes.terms[0], T = sizes.terms[1], N = sizes.terms[2];
            float[] z = gaussian(B * T * N, 3), counts = new float[B * T * N], m = new float[B * T];
            for (int i = 0; i < counts.length; i++) counts[i] = rng.nextInt(5);
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < 0.7 ? 1f : 0f;
            Pair logRate = of(z, B, T, N), s = of(counts, B, T, N), mask = of(m, B, T), y = randn(1, B, T, N);
            for (int shift : new int[] {0, 2}) {
                Pair d = randn(1, B, T, N);
                sameValue("poissonLL.sum", cpu.poissonLogLikelihood(logRate.c, s.c, mask.c, shift, 0.3f, d.c),
                        gpu.poissonLogLikelihood(logRate.g, s.g, mask.g, shift, 0.3f, d.g));
                same("poissonLL.d", d);
                Pair e = randn(1, B, T, N);
                sameValue("gaussianLL.sum", cpu.gaussianLogLikelihood(logRate.c, y.c, mask.c, shift, 1.7f, 0.3f, e.c),
                        gpu.gaussianLogLikelihood(logRate.g, y.g, mask.g, shift, 1.7f, 0.3f, e.g));
                same("gaussianLL.d", e);
                // the same into sums, twice into one slot (the ops add)
                SumPair sp = sums(), sg = sums();
                for (int rep = 0; rep < 2; rep++) {
                    cpu.poissonLogLikelihood(logRate.c, s.c, mask.c, shift, 0.3f, d.c, sp.c, 1);
                    gpu.poissonLogLikelihood(logRate.g, s.g, mask.g, shift, 0.3f, d.g, sp.g, 1);
                    cpu.gaussianLogLikelihood(logRate.c, y.c, mask.c, shift, 1.7f, 0.3f, e.c, sg.c, 1);
                    gpu.gaussianLogLikelihood(logRate.g, y.g, mask.g, shift, 1.7f, 0.3f, e.g, sg.g, 1);
                }
                sameSums("poissonLL.sum[sums]", sp);
                sameSums("gaussianLL.sum[sums]", sg);
                same("poissonLL.d[sums]", d);
                same("gaussianLL.d[sums]", e);
            }
            compared.add("poissonLogLikelihood/6");
            compared.add("gaussianLogLikelihood/7");
            compared.add("poissonLogLikelihood/8");
            compared.add("gaussianLogLikelihood/9");
            Pair d = randn(1, B, T, N), e = randn(1, B, T, N);
            for (int b = 0; b < B; b++) {
                Pair zb = logRate.slice(b, 1).view(T, N), mb = mask.slice(b, 1).view(T);
                sameValue("poissonSmoothness.sum", cpu.poissonSmoothness(zb.c, mb.c, 0.4f, d.slice(b, 1).view(T, N).c),
                        gpu.poissonSmoothness(zb.g, mb.g, 0.4f, d.slice(b, 1).view(T, N).g));
                sameValue("gaussianSmoothness.sum", cpu.gaussianSmoothness(zb.c, mb.c, 1.3f, 0.4f, e.slice(b, 1).view(T, N).c),
                        gpu.gaussianSmoothness(zb.g, mb.g, 1.3f, 0.4f, e.slice(b, 1).view(T, N).g));
            }
            same("poissonSmoothness.d", d);
            same("gaussianSmoothness.d", e);
            compared.add("poissonSmoothness/4");
            compared.add("gaussianSmoothness/5");
            // the batch at once, per-trial scales and divisors, one trial left out (divisor 0)
            float[] scale = new float[B];
            double[] divisor = new double[B];
            for (int b = 0; b < B; b++) {
                scale[b] = 0.1f * (b + 1);
                divisor[b] = b == B - 1 && B > 1 ? 0 : 3.0 + b;
            }
            SumPair sp = sums(), sg = sums();
            cpu.poissonSmoothness(logRate.c, mask.c, scale, divisor, d.c, sp.c, 1);
            gpu.poissonSmoothness(logRate.g, mask.g, scale, divisor, d.g, sp.g, 1);
            cpu.gaussianSmoothness(logRate.c, mask.c, 1.3f, scale, divisor, e.c, sg.c, 1);
            gpu.gaussianSmoothness(logRate.g, mask.g, 1.3f, scale, divisor, e.g, sg.g, 1);
            sameSums("poissonSmoothness.sum[batch]", sp);
            sameSums("gaussianSmoothness.sum[batch]", sg);
            same("poissonSmoothness.d[batch]", d);
            same("gaussianSmoothness.d[batch]", e);
            compared.add("poissonSmoothness/7");
            compared.add("gaussianSmoothness/8");
        }

        // ---------------------------------------------------------------- small ops

        void smallOps() {
            final int R = sizes.rows, N = 6;
            float[] m = new float[R];
            for (int i = 0; i < R; i++) m[i] = rng.nextDouble() < 0.6 ? 1f : 0f;
            Pair in = randn(1, R, N), mask = of(m, R), out = randn(1, R, N);
            cpu.maskRows(in.c, mask.c, out.c);
            gpu.maskRows(in.g, mask.g, out.g);
            same("maskRows", out);
            compared.add("maskRows/3");

            Pair src = randn(1, R, 3), wide = randn(1, R, 8), narrow = randn(1, R, 3);
            cpu.copyColumns(src.c, wide.c, 2);
            gpu.copyColumns(src.g, wide.g, 2);
            same("copyColumns", wide);
            compared.add("copyColumns/3");
            cpu.sliceColumns(wide.c, 4, narrow.c);
            gpu.sliceColumns(wide.g, 4, narrow.g);
            same("sliceColumns", narrow);
            compared.add("sliceColumns/3");

            Pair x = randn(1, R, N), f = randn(1, R, N), prod = zeros(R, N);
            cpu.multiply(x.c, f.c, prod.c);
            gpu.multiply(x.g, f.g, prod.g);
            same("multiply", prod);
            cpu.multiply(x.c, f.c, x.c);
            gpu.multiply(x.g, f.g, x.g);
            same("multiply(in place)", x);
            compared.add("multiply/3");

            Pair y = randn(1, R, N);
            cpu.axpy(0.37f, f.c, y.c);
            gpu.axpy(0.37f, f.g, y.g);
            same("axpy", y);
            compared.add("axpy/3");

            Pair big = randn(2, sizes.params);
            sameValue("sumSquares", cpu.sumSquares(big.c), gpu.sumSquares(big.g));
            compared.add("sumSquares/1");

            cpu.scale(big.c, -0.25f);
            gpu.scale(big.g, -0.25f);
            same("scale", big);
            compared.add("scale/2");
        }

        void optimizer() {
            final int P = sizes.params;
            Pair params = randn(1, P), grads = randn(0.1, P), m = randn(0.01, P), v = of(abs(gaussian(P, 0.001)), P);
            // a zero gradient on zero moments must leave a parameter unchanged bit for bit
            for (Pair t : new Pair[] {grads, m, v}) {
                t.c.set(5, 0f);
                t.g.set(5, 0f);
            }
            for (int step = 1; step <= 3; step++) {
                cpu.adamStep(params.c, grads.c, m.c, v.c, 1e-3, 0.9, 0.999, 1e-8, step);
                gpu.adamStep(params.g, grads.g, m.g, v.g, 1e-3, 0.9, 0.999, 1e-8, step);
            }
            same("adam.params", params);
            same("adam.m", m);
            same("adam.v", v);
            assertEquals(params.c.get(5), params.g.get(5), 0f, "untouched parameter");
            compared.add("adamStep/9");

            // the L2 penalty over weights shaped like the model's, one of them zero (no gradient, norm 0)
            int W = sizes.weights.length;
            Pair[] w = new Pair[W], g = new Pair[W];
            for (int i = 0; i < W; i++) {
                w[i] = i == W - 1 ? zeros(sizes.weights[i]) : randn(0.2, sizes.weights[i]);
                g[i] = randn(0.01, sizes.weights[i]);
            }
            SumPair s = sums();
            cpu.l2Penalty(Arrays.stream(w).map(Pair::c).toArray(Tensor[]::new), Arrays.stream(g).map(Pair::c).toArray(Tensor[]::new), 1e-3, s.c, 1);
            gpu.l2Penalty(Arrays.stream(w).map(Pair::g).toArray(Tensor[]::new), Arrays.stream(g).map(Pair::g).toArray(Tensor[]::new), 1e-3, s.g, 1);
            sameSums("l2Penalty.sum", s);
            for (int i = 0; i < W; i++) same("l2Penalty.grad[" + i + "]", g[i]);
            compared.add("l2Penalty/5");

            // the clip: once below the limit (untouched), once above (scaled)
            for (double max : new double[] {1e9, 0.5}) {
                Pair gr = randn(0.1, P);
                SumPair c = sums();
                cpu.clipGradNorm(gr.c, max, c.c, 1);
                gpu.clipGradNorm(gr.g, max, c.g, 1);
                sameSums("clipGradNorm.norm", c);
                same("clipGradNorm.grads", gr);
            }
            compared.add("clipGradNorm/4");
        }

        static float[] abs(float[] v) {
            for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
            return v;
        }
    }
}
