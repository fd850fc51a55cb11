package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.DoubleSupplier;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.reference.ReferenceFixture;
import org.mrine.tensor.Tensor;

/**
 * Every {@link Backend} op of the CUDA backend against the CPU backend on the same seeded random
 * inputs: outputs, accumulated gradients and the inputs an op modifies. The set of ops compared
 * must equal the set of ops the interface declares (found by reflection), so an op added to the
 * interface, or one a refactoring stops reaching, fails here instead of going unchecked.
 *
 * <p>Tolerances (relative, max |gpu - cpu| / max |cpu| per tensor), each with its reason:
 * <ul>
 * <li>{@value #EXACT}: elementwise ops with the same float operations in the same order;</li>
 * <li>{@value #SUMS}: dot products and sums in another order (GEMM tiles, split-K, reductions);</li>
 * <li>{@value #RECURSION}: Kalman and RTS recursions, where reordered sums pass through Cholesky
 *     solves step after step;</li>
 * <li>{@value #ADJOINT}: their adjoints, one more solve deep.</li>
 * </ul>
 */
class CudaParityTest {
    static final double EXACT = 1e-6;
    static final double SUMS = 2e-5;
    static final double RECURSION = 1e-4;
    static final double ADJOINT = 5e-4;

    @Test
    void emulatedDeviceMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.emulated()) {
            new Run(gpu).all();
        }
    }

    @Test
    void emulatedDeviceWithWorkspacesInGlobalMemoryMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.emulatedWithoutSharedWorkspaces()) {
            new Run(gpu).all();
        }
    }

    /** With cuBLAS for the dense layers where a libcublas loads (the default). */
    @Test
    void deviceMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.device()) {
            System.out.println("dense products on " + gpu.deviceName() + ": " + gpu.gemmEngine());
            new Run(gpu).all();
        }
    }

    @Test
    void deviceWithTheSgemmKernelMatchesTheCpu() {
        try (CudaBackend gpu = CudaTargets.deviceWithoutCublas()) {
            new Run(gpu).all();
        }
    }

    /** The ops Backend declares (everything but name, workspace and close). */
    static Set<String> declaredOps() {
        Set<String> ops = new TreeSet<>();
        for (Method m : Backend.class.getMethods()) {
            if (m.isDefault() || java.lang.reflect.Modifier.isStatic(m.getModifiers())) continue;
            if (Set.of("name", "workspace", "close").contains(m.getName())) continue;
            ops.add(m.getName());
        }
        return ops;
    }

    /** One comparison run: a CPU backend beside the GPU one, tensors in pairs. */
    static final class Run {
        final Backend gpu;
        final CpuBackend cpu = new CpuBackend();
        final SplittableRandom rng = new SplittableRandom(42);
        final Set<String> compared = new TreeSet<>();
        final Map<String, Double> errors = new LinkedHashMap<>();

        Run(Backend gpu) {
            this.gpu = gpu;
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

        void same(String what, Pair p, double tol) {
            same(what, p.c, p.g, tol);
        }

        void same(String what, Tensor c, Tensor g, double tol) {
            double err = ReferenceFixture.relativeError(g.toArray(), c.toArray());
            errors.merge(what, err, Math::max);
            assertTrue(err <= tol, () -> what + ": relative error " + err + " > " + tol
                    + "\n cpu " + Arrays.toString(Arrays.copyOf(c.toArray(), 8)) + "\n gpu " + Arrays.toString(Arrays.copyOf(g.toArray(), 8)));
        }

        void sameValue(String what, double c, double g, double tol) {
            double err = Math.abs(c - g) / Math.max(1e-30, Math.abs(c));
            errors.merge(what, err, Math::max);
            assertTrue(err <= tol, () -> what + ": cpu " + c + ", gpu " + g + " (relative error " + err + " > " + tol + ")");
        }

        double value(DoubleSupplier f) {
            return f.getAsDouble();
        }

        void all() {
            dense();
            filterAndSmoother(true);
            filterAndSmoother(false);
            likelihoods();
            smallOps();
            optimizer();
            String worst = errors.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(5)
                    .map(e -> String.format("%s %.1e", e.getKey(), e.getValue())).collect(java.util.stream.Collectors.joining(", "));
            System.out.println("[" + gpu.name() + " vs cpu] ops compared: " + compared.size() + ", tensors: " + errors.size()
                    + "; worst relative errors: " + worst);
            assertEquals(declaredOps(), compared, "every Backend op must be compared on the GPU");
        }

        // ---------------------------------------------------------------- dense

        void dense() {
            denseCase(37, 19, 23, true, true, true);
            denseCase(37, 19, 23, false, false, false);
            denseCase(5, 3, 70, true, true, true);
            // K = 3000 rows in the weight gradient: the split-K path
            denseCase(3000, 20, 30, false, true, true);
            denseRow(20, 128, true);
            denseRow(128, 70, false);
        }

        /** One row through frozen weights (streaming), against the same row through denseForward on the CPU too. */
        void denseRow(int nIn, int nOut, boolean tanh) {
            String tag = "denseRow[" + nIn + "->" + nOut + (tanh ? ",tanh" : "") + "]";
            Pair in = randn(1, 1, nIn), w = randn(0.4, nOut, nIn), b = randn(0.3, nOut), out = zeros(1, nOut), batch = zeros(1, nOut);
            cpu.denseForwardRow(in.c, cpu.frozenDenseWeight(w.c), b.c, tanh, out.c);
            gpu.denseForwardRow(in.g, gpu.frozenDenseWeight(w.g), b.g, tanh, out.g);
            same(tag + ".out", out, SUMS);
            cpu.denseForward(in.c, w.c, b.c, tanh, batch.c);
            double worst = 0, scale = 0;
            for (long i = 0; i < nOut; i++) {
                worst = Math.max(worst, Math.abs(out.c.get(i) - batch.c.get(i)));
                scale = Math.max(scale, Math.abs(batch.c.get(i)));
            }
            assertTrue(worst <= SUMS * scale, tag + ": frozen one-row forward differs from denseForward by " + worst / scale);
            compared.add("frozenDenseWeight");
            compared.add("denseForwardRow");
        }

        void denseCase(int rows, int nIn, int nOut, boolean tanh, boolean bias, boolean withDIn) {
            String tag = "dense[" + rows + "x" + nIn + "->" + nOut + (tanh ? ",tanh" : "") + "]";
            Pair in = randn(1, rows, nIn), w = randn(0.4, nOut, nIn), b = bias ? randn(0.3, nOut) : null, out = zeros(rows, nOut);
            cpu.denseForward(in.c, w.c, b == null ? null : b.c, tanh, out.c);
            gpu.denseForward(in.g, w.g, b == null ? null : b.g, tanh, out.g);
            same(tag + ".out", out, SUMS);
            compared.add("denseForward");
            Pair dOut = randn(1, rows, nOut), dIn = withDIn ? randn(1, rows, nIn) : null, dW = randn(1, nOut, nIn), dB = bias ? randn(1, nOut) : null;
            cpu.denseBackward(in.c, w.c, out.c, tanh, dOut.c, dIn == null ? null : dIn.c, dW.c, dB == null ? null : dB.c);
            gpu.denseBackward(in.g, w.g, out.g, tanh, dOut.g, dIn == null ? null : dIn.g, dW.g, dB == null ? null : dB.g);
            same(tag + ".dPre", dOut, SUMS);
            same(tag + ".dW", dW, SUMS);
            if (dB != null) same(tag + ".dB", dB, SUMS);
            if (dIn != null) same(tag + ".dIn", dIn, SUMS);
            compared.add("denseBackward");
        }

        // ---------------------------------------------------------------- Kalman filter and RTS smoother

        record Ldm(LdmParams c, LdmParams g, Pair a, Pair cm, Pair q, Pair r, Pair x0, Pair sigma0) {
        }

        Ldm ldm(int x, int a, boolean gradient) {
            float[] av = gaussian(x * x, 0.05);
            for (int i = 0; i < x; i++) av[i * x + i] += 0.9f;
            Pair pa = of(av, x, x), pc = randn(0.6, a, x), pq = of(shift(gaussian(x, 0.2), (float) Math.log(0.5)), x),
                    pr = of(gaussian(a, 0.2), a);
            if (gradient) {
                return new Ldm(new LdmParams(pa.c, pc.c, pq.c, pr.c, null, null), new LdmParams(pa.g, pc.g, pq.g, pr.g, null, null),
                        pa, pc, pq, pr, null, null);
            }
            float[] s0 = new float[x * x];
            for (int i = 0; i < x; i++) s0[i * x + i] = 1f;
            Pair px0 = randn(0.3, x), ps0 = of(s0, x, x);
            return new Ldm(new LdmParams(pa.c, pc.c, pq.c, pr.c, px0.c, ps0.c), new LdmParams(pa.g, pc.g, pq.g, pr.g, px0.g, ps0.g),
                    pa, pc, pq, pr, px0, ps0);
        }

        static float[] shift(float[] v, float by) {
            for (int i = 0; i < v.length; i++) v[i] += by;
            return v;
        }

        void fill(Tensor c, Tensor g, float[] values) {
            c.copyFrom(values);
            g.copyFrom(values);
        }

        /** The covariance and mean passes of three trials on two mask patterns (trials 0 and 2 share one). */
        void filterAndSmoother(boolean smoothing) {
            final int X = 5, A = 4, T = 9, B = 3;
            String tag = smoothing ? "smoothing" : "filter";
            Ldm p = ldm(X, A, false);
            Ldm grad = ldm(X, A, true);   // random initial gradients: the ops accumulate
            float[] m = new float[B * T];
            for (int b = 0; b < B; b++) {
                for (int t = 0; t < T; t++) m[b * T + t] = (b == 1 ? t % 3 != 1 : t != 2 && t != 5) ? 1f : 0f;
            }
            Pair mask = of(m, B, T), obs = randn(1, B, T, A);
            int[] trackOf = {0, 1, 0};
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
                same(k + ".prior", tc[i].prior, tg[i].prior, RECURSION);
                same(k + ".filt", tc[i].filt, tg[i].filt, RECURSION);
                same(k + ".gain", tc[i].gain, tg[i].gain, RECURSION);
                same(k + ".cholS", tc[i].cholS, tg[i].cholS, RECURSION);
                same(k + ".mask", tc[i].mask, tg[i].mask, 0);
            }
            compared.add("kalmanCovarianceForward");
            if (smoothing) {
                cpu.rtsCovarianceForward(p.c, tc, 2);
                gpu.rtsCovarianceForward(p.g, tg, 2);
                for (int i = 0; i < 2; i++) {
                    String k = tag + ".track" + i;
                    same(k + ".smootherGain", tc[i].smootherGain, tg[i].smootherGain, RECURSION);
                    same(k + ".cholNext", tc[i].cholNext, tg[i].cholNext, RECURSION);
                    same(k + ".smooth", tc[i].smooth, tg[i].smooth, RECURSION);
                }
                compared.add("rtsCovarianceForward");
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
            same(tag + ".filtMean", filt, RECURSION);
            same(tag + ".predMean", pred, RECURSION);
            compared.add("kalmanMeanForward");
            if (smoothing) {
                same(tag + ".smoothMean", smooth, RECURSION);
                compared.add("rtsMeanForward");
                latentSmoothness(tc, tg, smooth, trackOf);
            }

            // adjoints: what the loss would have left
            for (int i = 0; i < 2; i++) {
                fill(tc[i].dGain, tg[i].dGain, gaussian((int) tc[i].dGain.size(), 0.5));
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
            same(tag + ".dFiltMean", dFilt, ADJOINT);
            same(tag + ".dPredMean", dPred, ADJOINT);
            same(tag + ".dObs", dObs, ADJOINT);
            for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dGain", tc[i].dGain, tg[i].dGain, ADJOINT);
            same(tag + ".mean.gradA", grad.a, ADJOINT);
            same(tag + ".mean.gradC", grad.cm, ADJOINT);
            compared.add("kalmanMeanBackward");
            if (smoothing) {
                same(tag + ".dSmoothMean", dSmooth, ADJOINT);
                for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dSmootherGain(mean)", tc[i].dSmootherGain, tg[i].dSmootherGain, ADJOINT);
                compared.add("rtsMeanBackward");
                cpu.rtsCovarianceBackward(p.c, tc, 2, grad.c);
                gpu.rtsCovarianceBackward(p.g, tg, 2, grad.g);
                for (int i = 0; i < 2; i++) {
                    String k = tag + ".track" + i;
                    same(k + ".dSmooth", tc[i].dSmooth, tg[i].dSmooth, ADJOINT);
                    same(k + ".dSmootherGain", tc[i].dSmootherGain, tg[i].dSmootherGain, ADJOINT);
                    same(k + ".dFilt(rts)", tc[i].dFilt, tg[i].dFilt, ADJOINT);
                    same(k + ".dNextPrior", tc[i].dNextPrior, tg[i].dNextPrior, ADJOINT);
                }
                same(tag + ".rts.gradA", grad.a, ADJOINT);
                compared.add("rtsCovarianceBackward");
            }
            cpu.kalmanCovarianceBackward(p.c, tc, 2, grad.c);
            gpu.kalmanCovarianceBackward(p.g, tg, 2, grad.g);
            same(tag + ".cov.gradA", grad.a, ADJOINT);
            same(tag + ".cov.gradC", grad.cm, ADJOINT);
            same(tag + ".cov.gradQ", grad.q, ADJOINT);
            same(tag + ".cov.gradR", grad.r, ADJOINT);
            if (smoothing) for (int i = 0; i < 2; i++) same(tag + ".track" + i + ".dFilt(kalman)", tc[i].dFilt, tg[i].dFilt, ADJOINT);
            compared.add("kalmanCovarianceBackward");
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

        void latentSmoothness(CovarianceTrack[] tc, CovarianceTrack[] tg, Pair smooth, int[] trackOf) {
            int T = smooth.c.dim(1), X = smooth.c.dim(2);
            Pair d = randn(1, T, X);
            for (int b = 0; b < trackOf.length; b++) {
                Pair xs = smooth.slice(b, 1).view(T, X);
                final int bb = b;
                double c = cpu.latentSmoothness(xs.c, tc[trackOf[bb]], 3, 0.7f, d.c);
                double g = gpu.latentSmoothness(xs.g, tg[trackOf[bb]], 3, 0.7f, d.g);
                sameValue("latentSmoothness.sum", c, g, SUMS);
            }
            same("latentSmoothness.dMean", d, SUMS);
            for (int i = 0; i < tc.length; i++) same("latentSmoothness.dSmooth" + i, tc[i].dSmooth, tg[i].dSmooth, SUMS);
            compared.add("latentSmoothness");
        }

        // ---------------------------------------------------------------- likelihoods and smoothness

        void likelihoods() {
            final int B = 3, T = 10, N = 7;
            float[] z = gaussian(B * T * N, 3), counts = new float[B * T * N], m = new float[B * T];
            for (int i = 0; i < counts.length; i++) counts[i] = rng.nextInt(5);
            for (int i = 0; i < m.length; i++) m[i] = rng.nextDouble() < 0.7 ? 1f : 0f;
            Pair logRate = of(z, B, T, N), s = of(counts, B, T, N), mask = of(m, B, T), y = randn(1, B, T, N);
            for (int shift : new int[] {0, 2}) {
                Pair d = randn(1, B, T, N);
                sameValue("poissonLL.sum", cpu.poissonLogLikelihood(logRate.c, s.c, mask.c, shift, 0.3f, d.c),
                        gpu.poissonLogLikelihood(logRate.g, s.g, mask.g, shift, 0.3f, d.g), SUMS);
                same("poissonLL.d", d, EXACT);
                Pair e = randn(1, B, T, N);
                sameValue("gaussianLL.sum", cpu.gaussianLogLikelihood(logRate.c, y.c, mask.c, shift, 1.7f, 0.3f, e.c),
                        gpu.gaussianLogLikelihood(logRate.g, y.g, mask.g, shift, 1.7f, 0.3f, e.g), SUMS);
                same("gaussianLL.d", e, EXACT);
            }
            compared.add("poissonLogLikelihood");
            compared.add("gaussianLogLikelihood");
            Pair d = randn(1, B, T, N), e = randn(1, B, T, N);
            for (int b = 0; b < B; b++) {
                Pair zb = logRate.slice(b, 1).view(T, N), mb = mask.slice(b, 1).view(T);
                sameValue("poissonSmoothness.sum", cpu.poissonSmoothness(zb.c, mb.c, 0.4f, d.slice(b, 1).view(T, N).c),
                        gpu.poissonSmoothness(zb.g, mb.g, 0.4f, d.slice(b, 1).view(T, N).g), SUMS);
                sameValue("gaussianSmoothness.sum", cpu.gaussianSmoothness(zb.c, mb.c, 1.3f, 0.4f, e.slice(b, 1).view(T, N).c),
                        gpu.gaussianSmoothness(zb.g, mb.g, 1.3f, 0.4f, e.slice(b, 1).view(T, N).g), SUMS);
            }
            same("poissonSmoothness.d", d, SUMS);
            same("gaussianSmoothness.d", e, SUMS);
            compared.add("poissonSmoothness");
            compared.add("gaussianSmoothness");
        }

        // ---------------------------------------------------------------- small ops

        void smallOps() {
            final int R = 29, N = 6;
            float[] m = new float[R];
            for (int i = 0; i < R; i++) m[i] = rng.nextDouble() < 0.6 ? 1f : 0f;
            Pair in = randn(1, R, N), mask = of(m, R), out = randn(1, R, N);
            cpu.maskRows(in.c, mask.c, out.c);
            gpu.maskRows(in.g, mask.g, out.g);
            same("maskRows", out, 0);
            compared.add("maskRows");

            Pair src = randn(1, R, 3), wide = randn(1, R, 8), narrow = randn(1, R, 3);
            cpu.copyColumns(src.c, wide.c, 2);
            gpu.copyColumns(src.g, wide.g, 2);
            same("copyColumns", wide, 0);
            compared.add("copyColumns");
            cpu.sliceColumns(wide.c, 4, narrow.c);
            gpu.sliceColumns(wide.g, 4, narrow.g);
            same("sliceColumns", narrow, 0);
            compared.add("sliceColumns");

            Pair x = randn(1, R, N), f = randn(1, R, N), prod = zeros(R, N);
            cpu.multiply(x.c, f.c, prod.c);
            gpu.multiply(x.g, f.g, prod.g);
            same("multiply", prod, EXACT);
            cpu.multiply(x.c, f.c, x.c);
            gpu.multiply(x.g, f.g, x.g);
            same("multiply(in place)", x, EXACT);
            compared.add("multiply");

            Pair y = randn(1, R, N);
            cpu.axpy(0.37f, f.c, y.c);
            gpu.axpy(0.37f, f.g, y.g);
            same("axpy", y, EXACT);
            compared.add("axpy");

            Pair big = randn(2, 1000, 7);
            sameValue("sumSquares", cpu.sumSquares(big.c), gpu.sumSquares(big.g), 1e-12);
            compared.add("sumSquares");

            cpu.scale(big.c, -0.25f);
            gpu.scale(big.g, -0.25f);
            same("scale", big, 0);
            compared.add("scale");
        }

        void optimizer() {
            final int P = 1234;
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
            same("adam.params", params, EXACT);
            same("adam.m", m, EXACT);
            same("adam.v", v, EXACT);
            assertEquals(params.c.get(5), params.g.get(5), 0f, "untouched parameter");
            compared.add("adamStep");
        }

        static float[] abs(float[] v) {
            for (int i = 0; i < v.length; i++) v[i] = Math.abs(v[i]);
            return v;
        }
    }
}
