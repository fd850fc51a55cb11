package org.mrine.backend.cpu;

import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The short measurement behind {@link CpuTuning} ({@code mrine tune}; under a minute on 2 cores): the
 * machine's multiply-add peak on one core and on all, then each choice timed on the products a
 * training step spends its time in, and the thread count on the step itself. Every time is the best
 * of several repeats: on a machine shared with other processes the best repeat is the one least
 * disturbed, so the choice tracks the hardware rather than the neighbours' load at that moment. A
 * choice must win by a margin to replace the default.
 */
public final class CpuCalibration {
    private static final VectorSpecies<Float> SP = FloatVector.SPECIES_PREFERRED;
    /** What a challenger must gain over the incumbent choice to replace it. */
    private static final double MARGIN = 0.08;
    /**
     * What a native BLAS must gain: more, as it is the one choice that changes the last bits of the
     * results, and one that flips from calibration to calibration makes two runs of the same command
     * on one machine differ. On the 2-core Zen 4 its gain over the Java kernels was 0 to 13% with
     * 512-bit vectors (one run in five took it at 8%) and 47% or more with AVX2's 16 registers.
     */
    private static final double BLAS_MARGIN = 0.15;

    private CpuCalibration() {
    }

    /** The chosen tuning and what was measured to choose it. */
    public record Result(CpuTuning tuning, Map<String, Object> measured) {
    }

    /**
     * What to tell a user whose machine has narrow vectors and no native BLAS, or null: there it
     * matters most, as with AVX2's 16 registers the Java tiles reach about 60% of a core's peak and
     * a native BLAS's hand-written kernels nearly all of it.
     */
    public static String nativeBlasHint() {
        if (SP.vectorBitSize() >= 512 || NativeBlas.available("openblas") || NativeBlas.available("blis")) return null;
        return "no native BLAS: with " + SP.vectorBitSize() + "-bit vectors one took the training step from 16x to 22x the published "
                + "reference on the AMD EPYC of bench/README; install one (Debian: apt-get install libopenblas0-pthread) and run mrine tune again";
    }

    // ------------------------------------------------------------------ peak

    private static volatile float sink;

    /**
     * The multiply-add rate of {@code threads} threads running at once, in GFLOP/s (2 flops per
     * lane of each vector FMA): twelve independent chains of vector FMAs on registers, the most a
     * core can do. One thread gives one core's peak; all cores' threads show whether they share
     * FMA units (hyper-threads of one core reach little more than one).
     */
    public static double fmaPeakGflops(int threads, double seconds) {
        final int iters = 20_000;
        final double flopsPerCall = iters * 12.0 * 2 * SP.length();
        // one vector FMA per ns: any compiled run of these twelve chains does more, the interpreter
        // (before C2 has compiled the loop, seconds on a loaded machine) far less
        double compiledFloor = 2.0 * SP.length();
        long giveUp = System.nanoTime() + 15_000_000_000L;
        double one;
        do {
            one = measureInTurns(List.of(new Candidate("fma", CpuTuning.current(), () -> fmaLoop(iters), flopsPerCall)), 100).get("fma");
        } while (one < compiledFloor && System.nanoTime() < giveUp);
        if (threads == 1) return one;
        CountDownLatch start = new CountDownLatch(1);
        double[] rate = new double[threads];
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                long t0 = System.nanoTime(), end = t0 + (long) (seconds * 1e9), calls = 0;
                while (System.nanoTime() < end) {
                    fmaLoop(iters);
                    calls++;
                }
                rate[id] = calls * flopsPerCall / (System.nanoTime() - t0);
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        double gflops = 0;
        for (int t = 0; t < threads; t++) {
            try {
                ts.get(t).join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            gflops += rate[t];
        }
        return gflops;
    }

    private static void fmaLoop(int iterations) {
        FloatVector m = FloatVector.broadcast(SP, 0.999999f), c = FloatVector.broadcast(SP, 1e-6f);
        FloatVector a0 = FloatVector.broadcast(SP, 1f), a1 = a0.add(0.1f), a2 = a0.add(0.2f), a3 = a0.add(0.3f);
        FloatVector a4 = a0.add(0.4f), a5 = a0.add(0.5f), a6 = a0.add(0.6f), a7 = a0.add(0.7f);
        FloatVector a8 = a0.add(0.8f), a9 = a0.add(0.9f), a10 = a0.add(1.0f), a11 = a0.add(1.1f);
        for (int i = 0; i < iterations; i++) {
            a0 = a0.fma(m, c);
            a1 = a1.fma(m, c);
            a2 = a2.fma(m, c);
            a3 = a3.fma(m, c);
            a4 = a4.fma(m, c);
            a5 = a5.fma(m, c);
            a6 = a6.fma(m, c);
            a7 = a7.fma(m, c);
            a8 = a8.fma(m, c);
            a9 = a9.fma(m, c);
            a10 = a10.fma(m, c);
            a11 = a11.fma(m, c);
        }
        FloatVector s = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11);
        sink = s.lane(0);
    }

    // ------------------------------------------------------------------ products

    /** A product to time: C [m,n] = op(A) op(B), as the backend calls it. */
    record Shape(String name, boolean transA, boolean transB, int m, int n, int k) {
        long work() {
            return (long) m * n * k;
        }
    }

    /** The Kalman recursions' product. */
    static final Shape KALMAN = new Shape("64x64x64", false, false, 64, 64, 64);
    /** A batched hidden layer forward at B = 32, T = 100: [3200,128] x W[128,128]^T. */
    static final Shape LAYER = new Shape("3200x128x128 (layer, W^T)", false, true, 3200, 128, 128);
    /** Its weight gradient: dPre^T [128,3200] x in [3200,128]. */
    static final Shape LAYER_GRAD = new Shape("128x128x3200 (weight gradient)", true, false, 128, 128, 3200);
    /** An 800-channel encoder input layer: [3200,800] x W[128,800]^T. */
    static final Shape WIDE_IN = new Shape("3200x128x800 (800 channels in, W^T)", false, true, 3200, 128, 800);
    /** The weight gradient of an 800-channel encoder input layer: dPre^T [128,3200] x in [3200,800]. */
    static final Shape WIDE_GRAD = new Shape("128x800x3200 (800 channels in, weight gradient)", true, false, 128, 800, 3200);
    /** An 800-channel decoder output layer: [3200,128] x W[800,128]^T. */
    static final Shape WIDE_OUT = new Shape("3200x800x128 (800 channels out, W^T)", false, true, 3200, 800, 128);

    /** Operands for a shape, filled with seeded values. */
    private static final class Operands {
        final MemorySegment a, b, c;

        Operands(Arena arena, Shape s, SplittableRandom rng) {
            a = random(arena, (long) s.m * s.k, rng);
            b = random(arena, (long) s.k * s.n, rng);
            c = arena.allocate((long) s.m * s.n * 4, 64);
        }

        void run(Shape s) {
            Blas.gemm(s.transA, s.transB, s.m, s.n, s.k, 1f, a, 0, s.transA ? s.m : s.k, b, 0, s.transB ? s.k : s.n, 0f, c, 0, s.n);
        }
    }

    private static MemorySegment random(Arena arena, long n, SplittableRandom rng) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }

    /** One contender: an operation, the tuning it runs under, and its flops per call. */
    record Candidate(String key, CpuTuning tuning, Runnable op, double flops) {
    }

    static Candidate product(String key, Shape s, Operands ops, CpuTuning t) {
        return new Candidate(key, t, () -> ops.run(s), 2.0 * s.work());
    }

    /** Independent 64^3 product chains on the threads: how the covariance tracks of a step share the cores. */
    static Candidate tracks(String key, Operands[] perItem, CpuTuning t) {
        int items = perItem.length;
        Runnable section = () -> CpuThreads.forEach(items, (w, i) -> {
            for (int r = 0; r < 8; r++) perItem[i].run(KALMAN);
        });
        return new Candidate(key, t, section, 2.0 * KALMAN.work() * 8 * items);
    }

    private static final java.lang.management.CompilationMXBean JIT = java.lang.management.ManagementFactory.getCompilationMXBean();

    /**
     * Whether a candidate runs at less than a fifth of the best one doing the same work: not yet
     * compiled by C2 (no tile or thread choice is five times slower once compiled).
     */
    private static boolean lagging(List<Candidate> candidates, double[] best) {
        for (int i = 0; i < candidates.size(); i++) {
            for (int j = 0; j < candidates.size(); j++) {
                if (candidates.get(i).flops() == candidates.get(j).flops() && best[i] > 5 * best[j]) return true;
            }
        }
        return false;
    }

    /**
     * GFLOP/s of each candidate, measured in turns: every round gives each candidate about
     * {@code roundMillis} of calls timed in slices of about 10 ms, and keeps its best slice. Rounds
     * go on until one changes no best by more than 2% and the JIT has finished no compilation
     * during it, and none runs five times slower than another doing the same work (at least three
     * rounds, at most twelve; the first gives each candidate at least 300 ms). Turns rather than one candidate after the
     * other: a Vector API kernel runs ten times slower until C2 has compiled it, which can take
     * seconds on a loaded machine, and a burst of load then hits all candidates alike. The best
     * slice is the one the neighbours disturbed least.
     */
    static Map<String, Double> measureInTurns(List<Candidate> candidates, double roundMillis) {
        double[] best = bestNanos(candidates, roundMillis, true);
        Map<String, Double> out = new LinkedHashMap<>();
        for (int i = 0; i < candidates.size(); i++) out.put(candidates.get(i).key(), round(candidates.get(i).flops() / best[i]));
        return out;
    }

    /**
     * The best time of one call of each candidate, in ns, measured in turns as {@link #measureInTurns}
     * says; {@code sameSpeed}: candidates doing the same work differ by less than five times once
     * compiled (tile and library choices), so a wider gap means the JIT has not finished.
     */
    static double[] bestNanos(List<Candidate> candidates, double roundMillis, boolean sameSpeed) {
        double[] best = new double[candidates.size()];
        java.util.Arrays.fill(best, Double.MAX_VALUE);
        for (int round = 0; round < 12; round++) {
            long compiled = JIT.getTotalCompilationTime();
            boolean changed = false;
            for (int i = 0; i < candidates.size(); i++) {
                Candidate c = candidates.get(i);
                try (CpuTuning.Scope scope = CpuTuning.use(c.tuning())) {
                    // the first round is the JIT's: long enough for C2 to see the kernel as hot
                    long end = System.nanoTime() + (long) ((round == 0 ? Math.max(roundMillis, 300) : roundMillis) * 1e6);
                    int batch = 1;
                    do {
                        long t0 = System.nanoTime();
                        for (int b = 0; b < batch; b++) c.op().run();
                        double perCall = (System.nanoTime() - t0) / (double) batch;
                        if (perCall < best[i] * 0.98) {
                            changed |= best[i] != Double.MAX_VALUE || round > 0;
                            best[i] = perCall;
                        }
                        batch = Math.max(1, (int) Math.min(1_000_000, 10e6 / best[i]));
                    } while (System.nanoTime() < end);
                }
            }
            if (round >= 2 && !changed && JIT.getTotalCompilationTime() == compiled && !(sameSpeed && lagging(candidates, best))) break;
        }
        return best;
    }

    // ------------------------------------------------------------------ calibration

    /** Measures and chooses; log gets one line per decision (null: quiet). Nothing is stored. */
    public static Result calibrate(PrintStream log) {
        running = true;
        final int cores = CpuTuning.cores();
        final double roundMillis = 80;
        Map<String, Object> measured = new LinkedHashMap<>();
        SplittableRandom rng = new SplittableRandom(7);
        try (Arena arena = Arena.ofShared()) {
            double peak1 = fmaPeakGflops(1, 0.25), peakAll = cores > 1 ? fmaPeakGflops(cores, 0.25) : peak1;
            measured.put("fma_peak_gflops_1_thread", round(peak1));
            measured.put("fma_peak_gflops_all_threads", round(peakAll));
            say(log, "FMA peak: %.1f GFLOP/s on one thread, %.1f on %d", peak1, peakAll, cores);
            double load = loadAverage();
            measured.put("load_average", load);
            // the kernels' speed depends on it (VectorJit): a calibration says under which loops it measured
            Object stripMined = VectorJit.loopStripMining().get("in_force");
            if (stripMined != null) measured.put("loop_strip_mining", stripMined);
            if (load > cores) say(log, "the machine is busy (load average %.1f on %d cores): the figures show it; run mrine tune again when it is quiet", load, cores);

            Operands kalman = new Operands(arena, KALMAN, rng), layer = new Operands(arena, LAYER, rng);
            Operands layerGrad = new Operands(arena, LAYER_GRAD, rng);

            // tile: one thread, the Kalman product weighted as the step weighs it (about 70%)
            CpuTuning base = CpuTuning.defaults().withThreads(1);
            List<Candidate> tileRuns = new ArrayList<>();
            for (String tile : CpuTuning.TILES) {
                CpuTuning t = base.withTile(tile);
                tileRuns.add(product(tile + " kalman_64", KALMAN, kalman, t));
                tileRuns.add(product(tile + " layer", LAYER, layer, t));
                tileRuns.add(product(tile + " layer_grad", LAYER_GRAD, layerGrad, t));
            }
            Map<String, Double> tileGflops = measureInTurns(tileRuns, roundMillis / 3);
            Map<String, Object> tiles = new LinkedHashMap<>();
            Map<String, Double> tileScores = new LinkedHashMap<>();
            for (String tile : CpuTuning.TILES) {
                double k = tileGflops.get(tile + " kalman_64"), l = tileGflops.get(tile + " layer"), g = tileGflops.get(tile + " layer_grad");
                double score = 1 / (0.7 / k + 0.15 / l + 0.15 / g);
                tiles.put(tile, Map.of("kalman_64", k, "layer", l, "layer_grad", g, "score", round(score)));
                tileScores.put(tile, score);
                say(log, "tile %s: 64^3 %.1f, layer %.1f, weight gradient %.1f GFLOP/s (one thread)", tile, k, l, g);
            }
            measured.put("gemm_gflops_by_tile", tiles);
            CpuTuning chosen = CpuTuning.defaults().withTile(choose(tileScores, base.tile()));

            // cache block: the wide products (an 800-channel decoder layer and its input's weight gradient)
            Operands wideOut = new Operands(arena, WIDE_OUT, rng), wideGrad = new Operands(arena, WIDE_GRAD, rng);
            List<Candidate> blockRuns = new ArrayList<>();
            int[] blocks = {128, 256, 512, 1024, 4096};
            for (int kb : blocks) {
                CpuTuning t = chosen.withThreads(1).withBlockKb(kb);
                blockRuns.add(product(kb + " wide_out", WIDE_OUT, wideOut, t));
                blockRuns.add(product(kb + " wide_grad", WIDE_GRAD, wideGrad, t));
            }
            Map<String, Double> blockGflops = measureInTurns(blockRuns, roundMillis / 2);
            measured.put("gemm_gflops_by_block_kb", blockGflops);
            Map<Integer, Double> blockScores = new LinkedHashMap<>();
            for (int kb : blocks) {
                blockScores.put(kb, 1 / (1 / blockGflops.get(kb + " wide_out") + 1 / blockGflops.get(kb + " wide_grad")));
                say(log, "block %d KiB: 800-wide layer %.1f, its weight gradient %.1f GFLOP/s (one thread)", kb,
                        blockGflops.get(kb + " wide_out"), blockGflops.get(kb + " wide_grad"));
            }
            chosen = chosen.withBlockKb(choose(blockScores, chosen.blockKb()));

            // threads: the covariance tracks (independent items) and a batched layer, 1 thread against all
            int threads = 1;
            if (cores > 1) {
                Operands[] items = new Operands[4 * cores];
                for (int i = 0; i < items.length; i++) items[i] = new Operands(arena, KALMAN, rng);
                Map<String, Double> r = measureInTurns(List.of(
                        tracks("tracks 1", items, chosen.withThreads(1)), tracks("tracks " + cores, items, chosen.withThreads(cores)),
                        product("layer 1", LAYER, layer, chosen.withThreads(1)), product("layer " + cores, LAYER, layer, chosen.withThreads(cores))),
                        roundMillis);
                double one = r.get("tracks 1"), all = r.get("tracks " + cores), l1 = r.get("layer 1"), lAll = r.get("layer " + cores);
                measured.put("threads_gflops", r);
                say(log, "threads: tracks %.1f -> %.1f GFLOP/s, layer %.1f -> %.1f GFLOP/s (1 -> %d threads)", one, all, l1, lAll, cores);
                // all cores unless they clearly lose on both: a thread that is not running costs the
                // others at most the item it holds (CpuThreads), and a busy moment during the
                // calibration must not leave a quiet machine on one core for good
                threads = all < one * (1 - MARGIN) && lAll < l1 * (1 - MARGIN) ? 1 : cores;
            }
            chosen = chosen.withThreads(threads);

            // parallel.work: the smallest layer product that gains from the threads
            chosen = parallelWork(chosen, arena, rng, roundMillis, measured, log);

            // native BLAS: on the batched products, against the Java kernels with the same threads
            Operands wideIn = new Operands(arena, WIDE_IN, rng);
            Shape[] batched = {LAYER, LAYER_GRAD, WIDE_IN, WIDE_OUT};
            Operands[] batchedOps = {layer, layerGrad, wideIn, wideOut};
            List<String> libs = new ArrayList<>(List.of("java"));
            Map<String, Object> nativeResults = new LinkedHashMap<>();
            for (String lib : new String[] {"openblas", "blis"}) {
                if (NativeBlas.available(lib)) {
                    libs.add(lib);
                } else {
                    nativeResults.put(lib, "not available: " + NativeBlas.problem(lib));
                    say(log, "%s", NativeBlas.problem(lib));
                }
            }
            String hint = nativeBlasHint();
            if (hint != null) say(log, "%s", hint);
            List<Candidate> runs = new ArrayList<>();
            for (String lib : libs) {
                for (int i = 0; i < batched.length; i++) runs.add(product(lib + " " + batched[i].name(), batched[i], batchedOps[i], chosen.withBlas(lib, 1)));
            }
            Map<String, Double> r = measureInTurns(runs, roundMillis / 2);
            String bestLib = "java";
            long bestWork = chosen.blasWork();
            double bestGain = 0;
            for (String lib : libs) {
                Map<String, Object> byShape = new LinkedHashMap<>();
                double small = 0, large = 0;
                for (int i = 0; i < batched.length; i++) {
                    double g = r.get(lib + " " + batched[i].name()), java = r.get("java " + batched[i].name());
                    byShape.put(batched[i].name(), g);
                    if (!lib.equals("java")) say(log, "%s %s: %.1f GFLOP/s, java %.1f", lib, batched[i].name(), g, java);
                    if (i < 2) small += (g / java - 1) / 2; else large += (g / java - 1) / 2;
                }
                nativeResults.put(lib, byShape);
                if (lib.equals("java")) continue;
                // the paper-size layers (3200 x 128 x 128) too, or only the high-channel ones
                if (small > BLAS_MARGIN && Math.min(small, large) > bestGain) {
                    bestGain = Math.min(small, large);
                    bestLib = lib;
                    bestWork = LAYER.work() / 2;
                } else if (large > BLAS_MARGIN && large > bestGain) {
                    bestGain = large;
                    bestLib = lib;
                    bestWork = WIDE_IN.work() / 2;
                }
            }
            measured.put("batched_products_gflops", nativeResults);
            if (!bestLib.equals("java")) {
                // the library that wins the batched products may win the Kalman products too (where
                // the Java tile is far from the machine's peak, as with 16 vector registers): then it
                // takes every product from 64^3 up; measured as the step runs them, tracks on the threads
                Operands[] items = new Operands[4 * chosen.threads()];
                for (int i = 0; i < items.length; i++) items[i] = new Operands(arena, KALMAN, rng);
                Map<String, Double> k = measureInTurns(List.of(tracks("java", items, chosen.withBlas("java", 1)),
                        tracks(bestLib, items, chosen.withBlas(bestLib, 1))), roundMillis / 2);
                double java = k.get("java"), lib = k.get(bestLib);
                measured.put("kalman_products_gflops", k);
                say(log, "%s 64x64x64 (tracks on %d threads): %.1f GFLOP/s, java %.1f", bestLib, chosen.threads(), lib, java);
                if (lib > java * (1 + BLAS_MARGIN)) bestWork = KALMAN.work();
            }
            chosen = chosen.withBlas(bestLib, bestWork);
            say(log, "products: %s%s", bestLib, bestLib.equals("java") ? "" : " from " + bestWork + " multiply-adds");
            int kernelThreads = chosen.threads();
            chosen = threadsByStep(chosen, measured, log);
            // the split was measured for the kernels' count: again for the step's
            if (chosen.threads() != kernelThreads) chosen = parallelWork(chosen, arena, rng, roundMillis, measured, log);
            return new Result(chosen, measured);
        } finally {
            running = false;
        }
    }

    /**
     * From what size a product splits its rows over {@code chosen.threads()}: the smallest layer
     * product (m x 128 x 128, m from 512 down) that gains more than {@link #MARGIN} from the split.
     */
    private static CpuTuning parallelWork(CpuTuning chosen, Arena arena, SplittableRandom rng, double roundMillis,
                                          Map<String, Object> measured, PrintStream log) {
        int threads = chosen.threads();
        if (threads <= 1) return chosen;
        List<Candidate> runs = new ArrayList<>();
        int[] sizes = {512, 256, 128, 64, 32};
        for (int m : sizes) {
            Shape s = new Shape(m + "x128x128", false, false, m, 128, 128);
            Operands ops = new Operands(arena, s, rng);
            runs.add(product(s.name() + " 1", s, ops, chosen.withParallelWork(Long.MAX_VALUE)));
            runs.add(product(s.name() + " " + threads, s, ops, chosen.withParallelWork(1)));
        }
        Map<String, Double> r = measureInTurns(runs, roundMillis / 4);
        measured.put("parallel_split_gflops", r);
        long work = Long.MAX_VALUE;
        for (int m : sizes) {
            if (r.get(m + "x128x128 " + threads) > r.get(m + "x128x128 1") * (1 + MARGIN)) work = (long) m * 128 * 128; else break;
        }
        if (work == Long.MAX_VALUE) work = 1L << 24;
        say(log, "products of at least %d multiply-adds split over %d threads", work, threads);
        return chosen.withParallelWork(work);
    }

    // ------------------------------------------------------------------ the step itself

    private static volatile Supplier<StepProbe> stepProbe;
    private static volatile boolean running;

    /** Makes the calibration time the training step that {@code probe} builds when it chooses the thread count. */
    public static void timeStepsWith(Supplier<StepProbe> probe) {
        stepProbe = probe;
    }

    /** Whether a calibration is under way in this JVM (a backend its step builds must not start another). */
    static boolean running() {
        return running;
    }

    /** 1, 2, 4, ... below cores, and cores. */
    static List<Integer> threadCounts(int cores) {
        List<Integer> counts = new ArrayList<>();
        for (int c = 1; c < cores; c *= 2) counts.add(c);
        counts.add(cores);
        return counts;
    }

    /**
     * The thread count from the training step itself, where the layers above the backend supply one
     * ({@link #timeStepsWith}; {@code mrine tune} and the launcher's first use do): the step timed in
     * turns at 1, 2, 4, ... threads and at every core, best of several. The kernels above scale with
     * as many independent items as there are threads; a step hands out only as many as it has trials,
     * covariance tracks and row chunks, meets at the end of every section, and on cores that share
     * their units (two hyper-threads of one core) it may run fastest below every core. Another count
     * replaces the kernels' choice only on a lead of more than {@link #MARGIN}, as every choice does;
     * the bits do not depend on it.
     */
    private static CpuTuning threadsByStep(CpuTuning chosen, Map<String, Object> measured, PrintStream log) {
        Supplier<StepProbe> probe = stepProbe;
        int cores = CpuTuning.cores();
        if (probe == null || cores < 2) return chosen;
        try (CpuTuning.Scope scope = CpuTuning.use(chosen); StepProbe step = probe.get()) {
            List<Integer> counts = threadCounts(cores);
            List<Candidate> runs = new ArrayList<>();
            for (int c : counts) runs.add(new Candidate(c + " threads", chosen.withThreads(c), step::step, 0));
            double[] ns = bestNanos(runs, 100, false);
            Map<Integer, Double> speed = new LinkedHashMap<>();
            Map<String, Object> ms = new LinkedHashMap<>();
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < counts.size(); i++) {
                double perSampleStep = ns[i] / 1e6 / step.sampleSteps();
                speed.put(counts.get(i), 1 / perSampleStep);
                ms.put(Integer.toString(counts.get(i)), Math.round(perSampleStep * 1e5) / 1e5);
                line.append(i == 0 ? "" : ", ").append(counts.get(i)).append(": ").append(String.format("%.4f", perSampleStep));
            }
            measured.put("step_ms_per_sample_step_by_threads", ms);
            int threads = choose(speed, chosen.threads());
            say(log, "training step, ms per sample-step by threads: %s; %d threads", line, threads);
            return chosen.withThreads(threads);
        } catch (RuntimeException | OutOfMemoryError e) {
            // the kernels' choice stands: a step that cannot run here must not cost the rest of the calibration
            measured.put("step_ms_per_sample_step_by_threads", "not measured: " + e);
            say(log, "training step not timed (%s); threads from the kernels: %d", e, chosen.threads());
            return chosen;
        }
    }

    /**
     * The incumbent (the default), unless the best of the others scores more than {@link #MARGIN}
     * above it. Each challenger is held to the incumbent, not to the challengers before it in the
     * list: that way (before 2026-12-03) 4x4 replaced the 6x4 default on a 5% lead (88.8 against 84.5),
     * having beaten 4x2 by more than the margin first.
     */
    static <K> K choose(Map<K, Double> scores, K incumbent) {
        K best = incumbent;
        double bar = scores.get(incumbent) * (1 + MARGIN);
        for (Map.Entry<K, Double> e : scores.entrySet()) {
            if (!e.getKey().equals(incumbent) && e.getValue() > bar) {
                best = e.getKey();
                bar = e.getValue();
            }
        }
        return best;
    }

    /** The 1-minute load average (Linux), or -1. */
    static double loadAverage() {
        try {
            return Double.parseDouble(java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (java.io.IOException | RuntimeException e) {
            return -1;
        }
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static void say(PrintStream log, String format, Object... args) {
        if (log != null) log.println("mrine tune: " + String.format(format, args));
    }
}
