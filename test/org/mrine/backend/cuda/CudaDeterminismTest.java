package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.mrine.data.Dataset;
import org.mrine.train.EpochStats;
import org.mrine.train.TrainConfig;
import org.mrine.train.Trainer;
import org.mrine.train.TrainingListener;

/**
 * Two GPU runs from one seed end bit for bit equal: every sum is reduced in a fixed order (no float
 * atomics), so the order in which blocks, warps and threads run cannot change a bit. Shown without
 * a GPU: the emulator runs the blocks of every launch, and between barriers the warps and lanes,
 * in orders shuffled from a seed (and on several OS threads at once), and training under different
 * seeds must give identical bits. That the shuffles would catch an order-dependent kernel is shown
 * on two test-only probe kernels (test/resources/emu/order_probe.cu): a float-atomic sum and a
 * missing barrier, whose results do change with the seed. On a device: two runs, the same bits.
 */
class CudaDeterminismTest {

    /** Each schedule seed's result of a probe, as raw bits. */
    static Set<String> probeResults(LongFunction<String> probe) {
        Set<String> results = new LinkedHashSet<>();
        for (long seed = 0; seed < 6; seed++) results.add(probe.apply(seed));
        return results;
    }

    @Test
    void shuffledSchedulesChangeTheResultsOfOrderDependentKernels() {
        CudaTargets.assumeEmulation();
        final int n = 4096;
        Set<String> sums = probeResults(seed -> {
            try (EmulatedApi api = new EmulatedApi(227 * 1024, seed, 2); Arena a = Arena.ofConfined()) {
                MemorySegment host = a.allocate(4L * n, 8);
                // magnitudes far apart: the rounding of each add depends on what came before it
                for (int e = 0; e < n; e++) host.setAtIndex(ValueLayout.JAVA_FLOAT, e, e % 7 == 0 ? 3.1e6f * (e % 5 + 1) : 0.37f * (e % 11) - 1.3f);
                long x = api.malloc(4L * n), out = api.malloc(8);
                api.uploadAsync(host, x, 4L * n);
                api.memset32Async(out, 0, 1);
                api.launch("probe_atomic_sum", 8, 1, 1, 256, 0, new KernelArgs().ptr(x).i64(n).ptr(out));
                api.download(out, host, 4);
                return Integer.toHexString(host.get(ValueLayout.JAVA_INT, 0));
            }
        });
        Set<String> reads = probeResults(seed -> {
            try (EmulatedApi api = new EmulatedApi(227 * 1024, seed, 2); Arena a = Arena.ofConfined()) {
                long out = api.malloc(4L * 4 * 256);
                api.launch("probe_missing_barrier", 4, 1, 1, 256, 0, new KernelArgs().ptr(out));
                MemorySegment host = a.allocate(4L * 4 * 256, 8);
                api.download(out, host, 4L * 4 * 256);
                return java.util.Arrays.toString(host.toArray(ValueLayout.JAVA_FLOAT));
            }
        });
        System.out.println("probe results over 6 schedules: atomic sum " + sums.size() + " distinct, missing barrier " + reads.size() + " distinct");
        assertTrue(sums.size() > 1, "a float-atomic sum gave the same bits under 6 schedules: the shuffles would not catch one: " + sums);
        assertTrue(reads.size() > 1, "a missing barrier gave the same values under 6 schedules: the shuffles would not catch one");
    }

    /** What a run leaves: every epoch's loss terms and every parameter and moment, as raw bits. */
    record Bits(List<Map<String, Long>> losses, Map<String, int[]> tensors) {
    }

    static Bits train(CudaBackend gpu, CudaTrainingTest.Case c) {
        Dataset data = CudaTrainingTest.data(c);
        TrainConfig cfg = CudaTrainingTest.config(c);
        int[] train = new int[c.trials()];
        for (int i = 0; i < c.trials(); i++) train[i] = i;
        Trainer t = new Trainer(Trainer.Run.prepare(cfg, data, train, new int[0], List.of("s", "y"), null), gpu);
        List<EpochStats> h = t.fit(null, TrainingListener.SILENT);
        List<Map<String, Long>> losses = new ArrayList<>();
        for (EpochStats e : h) {
            Map<String, Long> m = new java.util.TreeMap<>();
            e.train().forEach((k, v) -> m.put(k, Double.doubleToRawLongBits(v)));
            losses.add(m);
        }
        Map<String, int[]> tensors = new LinkedHashMap<>();
        for (String n : t.model().params.names()) {
            tensors.put("param." + n, bits(t.model().params.get(n).toArray()));
            tensors.put("grad." + n, bits(t.model().grads.get(n).toArray()));
        }
        // Adam's moments, through a checkpoint (the trainer keeps its optimizer to itself)
        var ck = t.checkpoint();
        ck.expAvg().forEach((k, v) -> tensors.put("exp_avg." + k, bits(v.data())));
        ck.expAvgSq().forEach((k, v) -> tensors.put("exp_avg_sq." + k, bits(v.data())));
        return new Bits(losses, tensors);
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToRawIntBits(v[i]);
        return b;
    }

    static void assertSameBits(Bits a, Bits b, String what) {
        assertEquals(a.losses, b.losses, what + ": loss terms");
        assertEquals(a.tensors.keySet(), b.tensors.keySet());
        for (String k : a.tensors.keySet()) assertArrayEquals(a.tensors.get(k), b.tensors.get(k), what + ": " + k);
    }

    /** Small widths, several epochs: in order, and under two shuffled schedules. */
    @Test
    void trainingGivesTheSameBitsUnderShuffledSchedules() {
        CudaTrainingTest.Case c = new CudaTrainingTest.Case(6, 8, 4, 12, 3);
        Bits inOrder;
        try (CudaBackend gpu = CudaTargets.emulatedShuffled(0)) {
            inOrder = train(gpu, c);
        }
        for (long seed : new long[] {11, 12345}) {
            try (CudaBackend gpu = CudaTargets.emulatedShuffled(seed)) {
                assertSameBits(inOrder, train(gpu, c), "schedule seed " + seed);
            }
        }
        System.out.println("training: the same bits in order and under 2 shuffled schedules (" + inOrder.tensors.size() + " tensors)");
    }

    /** The paper's widths (256-thread covariance blocks, split-K on an emulated H100's launch configurations). */
    @Test
    void paperSizeTrainingGivesTheSameBitsUnderShuffledSchedules() {
        CudaTrainingTest.Case c = new CudaTrainingTest.Case(20, 2, 2, 10, 2);
        Bits inOrder;
        try (CudaBackend gpu = CudaTargets.emulatedShuffled(0)) {
            inOrder = train(gpu, c);
        }
        try (CudaBackend gpu = CudaTargets.emulatedShuffled(777)) {
            assertSameBits(inOrder, train(gpu, c), "schedule seed 777, paper size");
        }
    }

    @Test
    void twoDeviceRunsGiveTheSameBits() {
        CudaTrainingTest.Case c = new CudaTrainingTest.Case(20, 16, 8, 50, 10);
        Bits first;
        try (CudaBackend gpu = CudaTargets.device()) {
            first = train(gpu, c);
        }
        try (CudaBackend gpu = CudaTargets.device()) {
            assertSameBits(first, train(gpu, c), "second device run");
        }
        System.out.println("device: two runs of " + c.trainingSteps() + " steps, the same bits (" + first.tensors.size() + " tensors)");
    }
}
