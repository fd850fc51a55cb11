package org.mrine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.mrine.backend.cuda.CudaBackend;
import org.mrine.backend.cuda.CudaDevice;
import org.mrine.backend.cuda.JCudaApi;
import org.mrine.io.Json;
import org.mrine.model.Batch;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;
import org.mrine.stream.LinearReadout;
import org.mrine.stream.StreamingDecoder;
import org.mrine.train.Adam;
import org.mrine.train.SplitMix64;

/**
 * The GPU benchmarks of bench/gpu-run.sh, each printing one JSON object (to --out):
 * <pre>
 * CudaBench train  [--small] [--out FILE]   the training step at the paper's size, T = 50 and 100 (B = 32),
 *                                           and with 800 + 800 channels (B = 64, T = 100); peak device
 *                                           memory; where the time goes (each kernel timed on its own)
 * CudaBench stream [--small] [--out FILE]   StreamingDecoder.push latency with the model on the GPU
 * </pre>
 * A training step is the trainer's: loss and every gradient with the training noise (dropout 0.1,
 * time dropout 0.3), the gradient clip, the one read of the step's sums, then the Adam update; its
 * time ends with a wait for the device, so it is the GPU's time, not the time to enqueue. --small
 * runs a few small sizes (the emulated run of bench/gpu-run.sh --emulate, whose entry point
 * passes its own backends to {@link #train} and {@link #stream}).
 */
public final class CudaBench {
    private CudaBench() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0 || !List.of("train", "stream").contains(args[0])) {
            throw new IllegalArgumentException("usage: CudaBench train|stream [--small] [--out FILE]");
        }
        boolean small = false;
        Path out = null;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--small" -> small = true;
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        CudaDevice.Probe probe = CudaDevice.probe();
        if (!probe.available()) throw new IllegalStateException("no CUDA device: " + probe.reason());
        Function<CudaBackend.Options, CudaBackend> open = options -> new CudaBackend(JCudaApi.open(0), options);
        Map<String, Object> result = args[0].equals("train")
                ? train(open, small, "cuda", probe.driverRelease())
                : stream(open, small, "cuda");
        write(result, out);
    }

    public static void write(Map<String, Object> result, Path out) throws IOException {
        String json = Json.write(result);
        if (out != null) Files.writeString(out, json + "\n");
        System.out.println(json);
    }

    /** The sizes measured: {name, model, trials, steps}. */
    record Size(String name, ModelConfig config, int trials, int steps) {
    }

    static List<Size> sizes(boolean small) {
        if (small) {
            return List.of(new Size("paper_B2_T10", BenchSetups.paper(), 2, 10), new Size("high_channel_B2_T10", BenchSetups.highChannel(), 2, 10));
        }
        return List.of(new Size("T50", BenchSetups.paper(), 32, 50), new Size("T100", BenchSetups.paper(), 32, 100),
                new Size("high_channel_B64_T100", BenchSetups.highChannel(), 64, 100));
    }

    /** The training benchmark: {"backend", "device", "dense_products", "driver", "cuda_train_step": {size: {...}}}. */
    public static Map<String, Object> train(Function<CudaBackend.Options, CudaBackend> open, boolean small, String backendName, String driver) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("backend", backendName);
        try (CudaBackend be = open.apply(CudaBackend.Options.DEFAULT)) {
            result.put("device", be.deviceName());
            result.put("dense_products", be.gemmEngine());
        }
        result.put("driver_cuda", driver);
        int warmup = small ? 1 : 5, repeats = small ? 2 : 15;
        Map<String, Object> train = new LinkedHashMap<>();
        for (Size s : sizes(small)) train.put(s.name, trainStep(open, s, warmup, repeats, backendName));
        result.put("cuda_train_step", train);
        result.put("goal", "<= 10 ms per training step at B = 32, T = 100 (paper size)");
        result.put("machine", MachineInfo.describe());
        result.put("commit", MachineInfo.commit());
        result.put("date", java.time.LocalDate.now().toString());
        return result;
    }

    /** Median, min and max of {@code repeats} timed training steps after {@code warmup}, then one profiled step. */
    static Map<String, Object> trainStep(Function<CudaBackend.Options, CudaBackend> open, Size size, int warmup, int repeats,
                                         String backendName) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("backend", backendName);
        m.put("trials", size.trials);
        m.put("steps", size.steps);
        m.put("channels", size.config.modalities().stream().mapToInt(x -> x.channels()).sum());
        try (CudaBackend be = open.apply(CudaBackend.Options.DEFAULT)) {
            MrineModel model = new MrineModel(size.config, be);
            model.initialize(new SplittableRandom(1));
            Adam adam = new Adam(be, model.params, model.grads, 0.9, 0.999, 1e-8);
            Batch batch = BenchSetups.batch(size.config, size.trials, size.steps, 5, 2);
            SplitMix64 noise = new SplitMix64(3);  // the training's stream, so the dropout factors take its path
            double[] forward = new double[repeats], step = new double[repeats];
            for (int i = 0; i < warmup + repeats; i++) {
                long t0 = System.nanoTime();
                model.loss(batch);                       // ends with the read of its sums
                long t1 = System.nanoTime();
                trainingStep(be, model, adam, batch, new TrainingNoise(0.1, 0.3, noise));
                long t2 = System.nanoTime();
                if (i >= warmup) {
                    forward[i - warmup] = (t1 - t0) / 1e6;
                    step[i - warmup] = (t2 - t1) / 1e6;
                }
            }
            m.put("ms_forward_and_loss", median(forward));
            m.put("ms_training_step", median(step));
            m.put("ms_training_step_min", Arrays.stream(step).min().orElse(0));
            m.put("ms_training_step_max", Arrays.stream(step).max().orElse(0));
            m.put("ms_per_sample_step", median(step) / ((double) size.trials * size.steps));
            m.put("sample_steps_per_s", size.trials * size.steps / (median(step) / 1e3));
            m.put("repeats", repeats);
            m.put("device_memory_allocated_mb", be.deviceBytes() / 1048576.0);
            m.put("device_memory_in_use_mb", be.deviceBytesInUse() / 1048576.0);
        }
        m.put("profile", profile(open, size));
        return m;
    }

    /** One training step as the trainer takes it: enqueue everything, one read, the update, and a wait for it. */
    static void trainingStep(CudaBackend be, MrineModel model, Adam adam, Batch batch, TrainingNoise noise) {
        MrineModel.PendingLoss pending = model.startLossAndGradient(batch, noise);
        be.clipGradNorm(model.grads.flat(), 0.1, pending.sums(), pending.auxSlot());
        double total = pending.terms().get("total_loss");
        if (!Double.isFinite(total)) throw new IllegalStateException("the benchmark's loss is " + total);
        adam.step(1e-3);
        be.synchronize();
    }

    /**
     * Where a training step's time goes: one step (after one unprofiled) with every launch timed on
     * its own (a wait before and after each, so launch latencies count in full): milliseconds and
     * launches per kernel, largest first, and their sum.
     */
    static Map<String, Object> profile(Function<CudaBackend.Options, CudaBackend> open, Size size) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (CudaBackend be = open.apply(CudaBackend.Options.DEFAULT.profiling())) {
            MrineModel model = new MrineModel(size.config, be);
            model.initialize(new SplittableRandom(1));
            Adam adam = new Adam(be, model.params, model.grads, 0.9, 0.999, 1e-8);
            Batch batch = BenchSetups.batch(size.config, size.trials, size.steps, 5, 2);
            SplitMix64 noise = new SplitMix64(3);  // the training's stream, so the dropout factors take its path
            trainingStep(be, model, adam, batch, new TrainingNoise(0.1, 0.3, noise));
            be.clearLaunchProfile();
            long t0 = System.nanoTime();
            trainingStep(be, model, adam, batch, new TrainingNoise(0.1, 0.3, noise));
            double wall = (System.nanoTime() - t0) / 1e6;
            double sum = 0;
            long launches = 0;
            Map<String, Object> kernels = new LinkedHashMap<>();
            List<Map.Entry<String, long[]>> byTime = be.launchProfile().entrySet().stream()
                    .sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).toList();
            for (Map.Entry<String, long[]> e : byTime) {
                kernels.put(e.getKey(), Map.of("ms", e.getValue()[1] / 1e6, "launches", e.getValue()[0]));
                sum += e.getValue()[1] / 1e6;
                launches += e.getValue()[0];
            }
            out.put("what", "one training step with every launch timed on its own (a wait before and after each): launch latency included");
            out.put("ms_step_profiled", wall);
            out.put("ms_in_launches", sum);
            out.put("launches", launches);
            out.put("kernels", kernels);
        }
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** StreamingDecoder.push with the model on the GPU: paper size (and 800 + 800 channels unless small). */
    public static Map<String, Object> stream(Function<CudaBackend.Options, CudaBackend> open, boolean small, String backendName) {
        Map<String, Object> result = new LinkedHashMap<>();
        Map<String, Object> stream = new LinkedHashMap<>();
        int warmup = small ? 20 : 2000, pushes = small ? 50 : 5000;
        stream.put("paper", push(open, BenchSetups.paper(), 5, warmup, pushes, backendName));
        if (!small) stream.put("high_channel", push(open, BenchSetups.highChannel(), 4, warmup, pushes, backendName));
        result.put("stream_device", stream);
        return result;
    }

    static Map<String, Object> push(Function<CudaBackend.Options, CudaBackend> open, ModelConfig cfg, int fieldEvery, int warmup, int pushes, String backendName) {
        try (CudaBackend be = open.apply(CudaBackend.Options.DEFAULT)) {
            MrineModel model = new MrineModel(cfg, be);
            model.initialize(new SplittableRandom(1));
            int X = cfg.latentDim();
            StreamingDecoder dec = new StreamingDecoder(model, be, new LinearReadout(X, 2, new float[X * 2], new float[2]), true);
            int ns = cfg.modalities().get(0).channels(), ny = cfg.modalities().get(1).channels();
            SplittableRandom rng = new SplittableRandom(2);
            float[][][] samples = new float[100][][];
            for (int t = 0; t < samples.length; t++) {
                float[] s = new float[ns], y = new float[ny];
                for (int c = 0; c < ns; c++) s[c] = rng.nextInt(3);
                for (int c = 0; c < ny; c++) y[c] = (float) rng.nextGaussian();
                samples[t] = new float[][] {s, y};
            }
            for (int t = 0; t < warmup; t++) dec.push(step(samples, t, fieldEvery));
            long[] nanos = new long[pushes];
            for (int t = 0; t < pushes; t++) {
                float[][] in = step(samples, warmup + t, fieldEvery);
                long t0 = System.nanoTime();
                dec.push(in);
                dec.latent();
                nanos[t] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("backend", backendName);
            out.put("p50_us", Stats.sortedUs(nanos, 0.5));
            out.put("p99_us", Stats.sortedUs(nanos, 0.99));
            out.put("max_us", Stats.sortedUs(nanos, 1));
            out.put("pushes", pushes);
            return out;
        }
    }

    private static float[][] step(float[][][] samples, int t, int fieldEvery) {
        float[][] s = samples[t % samples.length];
        return t % fieldEvery == 0 ? s : new float[][] {s[0], null};
    }
}
