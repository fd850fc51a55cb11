package org.mrine.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.backend.cpu.CpuCalibration;
import org.mrine.backend.cpu.CpuTuning;
import org.mrine.bench.BenchSetups;
import org.mrine.bench.MachineInfo;
import org.mrine.bench.ServeLatency;
import org.mrine.bench.Stats;
import org.mrine.bench.StreamLatency;
import org.mrine.bench.TrainStep;
import org.mrine.bench.TrainStepProcess;
import org.mrine.io.Json;
import org.mrine.serve.RealtimeThread;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine bench}: training-step and streaming speed, as one JSON object. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measures one fwd+bwd training step at the paper's size (B = 32, T = 50 and 100),",
                "at 800 + 800 and at 10,000 channels (T = 100, each in its own JVM, with its peak memory),",
                "and the per-step latency of streaming inference (paper size, and 800 + 800 channels, also at a",
                "recorded firing rate):",
                "each figure the median and spread over repeats, beside the machine's measured FMA peak.",
                "Prints JSON."})
final class BenchCommand implements Callable<Integer> {
    /** Mean spikes per channel and 10 ms bin in MC_Maze trial 748 (../shared/data/mc_maze_trial748.csv: 182 units, 2.8 Hz). */
    static final double RECORDED_SPIKES_PER_BIN = 0.028;

    @Option(names = "--json", description = "print only the JSON object")
    boolean json;

    @Option(names = "--backend", defaultValue = "cpu", description = "backend for the training step (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--quick", description = "fewer repetitions (a smoke run, not a measurement)")
    boolean quick;

    @Option(names = "--serve", description = "only the live-serving part (mrine serve over Redis and LSL), at the paper's size and 800 + 800 channels")
    boolean serveOnly;

    @Option(names = "--serve-steps", defaultValue = "100000", description = "measured steps per serve figure (default: ${DEFAULT-VALUE})")
    int serveSteps;

    @Option(names = "--cpu", paramLabel = "CHOICE=VALUE", split = ",",
            description = "CPU backend choices for this run (as mrine tune --set): threads, gemm.tile, gemm.block_kb, parallel.work, spin.us, blas, blas.work")
    List<String> cpuChoices = List.of();

    @Option(names = "--no-serve", description = "skip the live-serving part (serve.redis, serve.lsl)")
    boolean noServe;

    @Option(names = "--stream", description = "only the streaming figures (StreamingDecoder.push, the paper's size and 800 + 800 channels)")
    boolean streamOnly;

    @Option(names = "--pin-cpu", paramLabel = "N", defaultValue = "-1",
            description = "time the streaming figures on a thread pinned to CPU N (as mrine serve --pin-cpu)")
    int streamPinCpu;

    @Option(names = "--realtime", paramLabel = "PRIORITY", arity = "0..1", fallbackValue = "50", defaultValue = "0",
            description = "time the streaming figures under SCHED_FIFO (as mrine serve --realtime; default priority 50)")
    int streamRealtime;

    @Option(names = "--no-scale", description = "skip the high-channel training steps (train.high_channel, train.calcium_10k)")
    boolean noScale;

    @Override
    @SuppressWarnings("unchecked")
    public Integer call() {
        RealtimeThread.checkGranted(streamPinCpu, streamRealtime, "--pin-cpu", "--realtime");
        if (serveOnly) return printAlone("serve", serve(true));
        int warmup = quick ? 1 : 2, pushes = quick ? 2000 : 20000;
        if (streamOnly) return printAlone("stream", stream(pushes));
        double warmupSeconds = quick ? 0 : 10;
        // the backend that actually runs the training step ("auto" resolved once), named beside every figure
        String trainBackend;
        try (Backend be = Backends.create(backend)) {
            trainBackend = be.name();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        CpuTuning.calibrateOnFirstUse();
        CpuTuning tuning = CpuTuning.current();
        String tuningSource = CpuTuning.source();
        for (String kv : cpuChoices) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--cpu " + kv + ": expected CHOICE=VALUE");
            tuning = tuning.with(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        CpuTuning.use(tuning);
        if (!json) System.err.println("machine peak ...");
        // the yardstick: one core's multiply-add rate, and all cores' (which shows shared FMA units)
        double peak1 = CpuCalibration.fmaPeakGflops(1, 0.3);
        double peakAll = CpuCalibration.fmaPeakGflops(Runtime.getRuntime().availableProcessors(), 0.3);
        Map<String, Object> peak = new LinkedHashMap<>();
        peak.put("fma_gflops_one_core", Stats.round(peak1, 1));
        peak.put("fma_gflops_all_cores", Stats.round(peakAll, 1));
        peak.put("load_average_at_start", MachineInfo.loadAverage());
        // T = 100 runs first, so the resident peak read right after it is that of a B = 32, T = 100
        // training step (plus the JVM), not of the streaming models measured later.
        int trainRepeats = quick ? 2 : 9;
        Map<String, Object> t100 = trainStep(trainBackend, 100, warmup, warmupSeconds, trainRepeats, peak1, tuning.threads());
        double trainPeakMb = MachineInfo.peakResidentMb();
        Map<String, Object> train = new LinkedHashMap<>();
        train.put("T50", trainStep(trainBackend, 50, warmup, warmupSeconds, trainRepeats, peak1, tuning.threads()));
        train.put("T100", t100);
        if (!noScale && trainBackend.equals("cpu")) {
            // each in a fresh JVM: peak_memory_mb is then that set-up's own
            if (!json) System.err.println("training step, 800 + 800 channels, B = 32, T = 100 (own JVM) ...");
            train.put("high_channel", TrainStepProcess.run("high_channel", 32, 100, quick ? 0 : 10, quick ? 1 : 5, peak1, tuning));
            if (!json) System.err.println("training step, 10,000 calcium channels, B = 32, T = 100 (own JVM) ...");
            train.put("calcium_10k", TrainStepProcess.run("calcium_10k", 32, 100, quick ? 0 : 10, quick ? 1 : 3, peak1, tuning));
        }
        out.put("train", train);
        out.put("stream", stream(pushes));
        if (!noServe) out.put("serve", serve(false));
        out.put("peak_memory_mb", trainPeakMb);
        out.put("peak_memory_of", "resident set (VmHWM) of this process after the B = 32, T = 100 training step, JVM included");
        out.put("process_peak_memory_mb", MachineInfo.peakResidentMb());
        out.put("backend", trainBackend);
        out.put("machine_peak", peak);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("choices", tuning.toJson());
        cpu.put("source", cpuChoices.isEmpty() ? tuningSource : "--cpu " + String.join(",", cpuChoices) + " over " + tuningSource);
        cpu.put("gemm_tiles_c2_only", org.mrine.backend.cpu.VectorJit.outcome());
        cpu.put("loop_strip_mining", org.mrine.backend.cpu.VectorJit.loopStripMining());
        // the training step the stored calibration timed at each thread count (mrine tune), where it did
        Object stepByThreads = CpuTuning.storedMeasurement("step_ms_per_sample_step_by_threads");
        if (stepByThreads != null) cpu.put("calibration_step_ms_by_threads", stepByThreads);
        // the library picks its kernels from the CPU, not from the JVM's width (-XX:UseAVX=2)
        cpu.put("blas_kernels", CpuTuning.nativeBlasKernels());
        out.put("cpu_tuning", cpu);
        out.put("machine", MachineInfo.describe());
        out.put("commit", MachineInfo.commit());
        out.put("date", java.time.LocalDate.now().toString());
        System.out.println(Json.write(out));
        return 0;
    }

    /**
     * End-to-end latency of mrine serve over loopback (Redis, LSL) at the paper's size, and with
     * highChannel also at 800 + 800 channels. A transport that cannot run here (no redis-server,
     * no liblsl) gets {"error": why} instead of figures.
     */
    private Map<String, Object> serve(boolean highChannel) {
        int steps = quick ? 2000 : serveSteps, warmup = quick ? 2000 : 20_000;
        Map<String, Object> serve = new LinkedHashMap<>();
        for (String transport : new String[] {"redis", "lsl"}) {
            if (!json) System.err.println("serve over " + transport + ", paper size ...");
            serve.put(transport, serveFigure(transport, BenchSetups.paper(), 5, warmup, steps));
            if (highChannel) {
                if (!json) System.err.println("serve over " + transport + ", 800 + 800 channels ...");
                serve.put(transport + "_high_channel", serveFigure(transport, BenchSetups.highChannel(), 4, warmup, steps));
            }
        }
        return serve;
    }

    private static Map<String, Object> serveFigure(String transport, org.mrine.model.ModelConfig cfg, int fieldEvery, int warmup, int steps) {
        try {
            return ServeLatency.measure(transport, cfg, fieldEvery, warmup, steps, 1);
        } catch (IllegalStateException e) {
            Map<String, Object> err = new LinkedHashMap<>();
            err.put("error", e.getMessage());
            return err;
        }
    }

    /**
     * One training-step measurement at the paper's size, B = 32, as its JSON object, named with the
     * backend that ran it. On a GPU the step's time includes the wait for the device: the step ends
     * by reading its loss terms.
     */
    private Map<String, Object> trainStep(String trainBackend, int steps, int warmup, double warmupSeconds, int repeats, double peak1,
                                          int threads) {
        if (!json) System.err.printf("training step, B = 32, T = %d ...%n", steps);
        Map<String, Object> t = TrainStep.measure(trainBackend, BenchSetups.paper(), 32, steps, BenchSetups.FIELD_EVERY, warmup, warmupSeconds,
                repeats).toJson(32, steps, peak1, threads);
        t.put("backend", trainBackend);
        return t;
    }

    /** One part's figures alone (--serve, --stream), with the machine, commit and date. */
    private static int printAlone(String part, Map<String, Object> figures) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put(part, figures);
        out.put("machine", MachineInfo.describe());
        out.put("commit", MachineInfo.commit());
        out.put("date", java.time.LocalDate.now().toString());
        System.out.println(Json.write(out));
        return 0;
    }

    /** The streaming figures, their timed pushes placed as --pin-cpu and --realtime ask, each named with its backend. */
    @SuppressWarnings("unchecked")
    private Map<String, Object> stream(int pushes) {
        Map<String, Object> stream = new LinkedHashMap<>();
        streamFigures(stream, pushes);
        // the streaming figures are the CPU's (the embeddable decoder's; CudaBench stream measures it on a GPU)
        stream.replaceAll((name, figure) -> {
            Map<String, Object> named = new LinkedHashMap<>((Map<String, Object>) figure);
            named.put("backend", "cpu");
            return named;
        });
        if (streamPinCpu >= 0) stream.put("thread_cpu", streamPinCpu);
        if (streamRealtime != 0) stream.put("thread_sched_fifo_priority", streamRealtime);
        return stream;
    }

    /** The streaming figures, timed on the calling thread (placed by --pin-cpu and --realtime after each warm-up). */
    private void streamFigures(Map<String, Object> stream, int pushes) {
        if (!json) System.err.println("streaming, paper size ...");
        // 100,000 warm-up pushes: the covariances converge within a few hundred, but the JIT needs
        // more before the whole push path runs C2-compiled (the field's path runs on every 5th push
        // only, and a compilation during the measurement shows in p99)
        int streamWarmup = quick ? 3000 : 100_000;
        int rounds = quick ? 1 : 5;
        stream.put("paper", StreamLatency.measure(BenchSetups.paper(), 5, true, streamWarmup, pushes, rounds, 1, Double.NaN,
                streamPinCpu, streamRealtime));
        stream.put("paper_full_update", StreamLatency.measure(BenchSetups.paper(), 5, false, 20, quick ? 50 : 500, 1, 1, Double.NaN,
                streamPinCpu, streamRealtime));
        if (!json) System.err.println("streaming, 800 + 800 channels ...");
        stream.put("high_channel", StreamLatency.measure(BenchSetups.highChannel(), 4, true, streamWarmup, pushes, rounds, 2, Double.NaN,
                streamPinCpu, streamRealtime));
        // the same at a recorded firing rate: MC_Maze's 182 units (../shared/data) fire 2.8 Hz on
        // average, 2.7% of their 10 ms bins hold a spike (the figure above has 67%)
        Map<String, Object> recordedRate = StreamLatency.measure(BenchSetups.highChannel(), 4, true, streamWarmup, pushes, rounds, 2,
                RECORDED_SPIKES_PER_BIN, streamPinCpu, streamRealtime);
        recordedRate.put("spikes_per_bin", RECORDED_SPIKES_PER_BIN);
        stream.put("high_channel_recorded_rate", recordedRate);
    }
}
