package org.mrine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.bench.Stats;
import org.mrine.data.Dataset;
import org.mrine.data.Datasets;
import org.mrine.data.ModalityData;
import org.mrine.eval.Pearson;
import org.mrine.io.Outputs;
import org.mrine.io.SafeTensors;
import org.mrine.model.ModalitySpec;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.stream.Readouts;
import org.mrine.stream.StreamingDecoder;
import org.mrine.tensor.HostTensor;
import org.mrine.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine stream}: replays a recording through the real-time decoder, step by step. */
@Command(name = "stream", mixinStandardHelpOptions = true,
        description = {"Replays a recording through the streaming decoder one time step at a time (as a closed-loop",
                "system would), writes the decoded series and prints the per-step latency histogram."})
final class StreamCommand implements Callable<Integer> {

    @Option(names = "--checkpoint", required = true, description = "a training checkpoint (mrine train)")
    Path checkpoint;

    @Option(names = "--input", required = true, description = "recording: a mrine dataset or any importable file")
    Path input;

    @Option(names = "--readout", description = "behavior readout (default: readout.safetensors beside the checkpoint, if any)")
    Path readoutFile;

    @Option(names = "--rate", defaultValue = "max", description = "realtime (one step per bin) or max (as fast as possible); default ${DEFAULT-VALUE}")
    String rate;

    @Option(names = "--out", description = "decoded series (safetensors: latent [B,T,X], behavior [B,T,D])")
    Path out;

    @Option(names = "--full-update", description = "run the full covariance update every step (no steady-state shortcut)")
    boolean fullUpdate;

    @Option(names = "--backend", defaultValue = "cpu", description = "backend (default: ${DEFAULT-VALUE})")
    String backend;

    @Option(names = "--warmup-trials", defaultValue = "1",
            description = "trials replayed untimed first, as a deployed decoder warms up before its loop closes (default: ${DEFAULT-VALUE})")
    int warmupTrials;

    @Option(names = "--force", description = "replace --out even when it is not decoded output of mrine stream (never an input)")
    boolean force;

    @Override
    public Integer call() {
        if (out != null) {
            new Outputs("stream", force).input(checkpoint, "--checkpoint").input(input, "--input")
                    .input(readoutFile != null ? readoutFile : checkpoint.toAbsolutePath().resolveSibling("readout.safetensors"), "readout")
                    .file(out, "--out", OutputKinds.DECODED, OutputKinds::of);
        }
        if (!rate.equals("max") && !rate.equals("realtime")) throw new IllegalArgumentException("--rate must be realtime or max, got " + rate);
        if (org.mrine.serve.Recording.is(input)) return RecordingReplay.run(checkpoint, input, readoutFile, backend, !fullUpdate, out);
        Checkpoint ck = Checkpoint.load(checkpoint);
        ModelConfig cfg = ck.modelConfig();
        Dataset data = Datasets.open(input);
        Path defaultReadout = checkpoint.toAbsolutePath().getParent().resolve("readout.safetensors");
        Readouts.Named readout = readoutFile != null ? Readouts.load(readoutFile)
                : Files.exists(defaultReadout) ? Readouts.load(defaultReadout) : null;
        List<ModalityData> mods = new ArrayList<>();
        for (ModalitySpec m : cfg.modalities()) {
            ModalityData d = data.modality(m.name());
            if (d.channels() != m.channels()) {
                throw new IllegalArgumentException(input + ": modality " + m.name() + " has " + d.channels()
                        + " channels, the checkpoint's model takes " + m.channels());
            }
            mods.add(d);
        }
        final int B = data.trials(), T = data.steps(), X = cfg.latentDim(), M = mods.size();
        final int D = readout == null ? 0 : readout.readout().outputs();
        float[] latents = new float[B * T * X], decoded = new float[B * T * D];
        long[] nanos = new long[B * T];
        long periodNanos = Math.round(data.binMs() * 1e6);
        try (Backend be = Backends.create(backend)) {
            MrineModel model = new MrineModel(cfg, be);
            ck.restoreParameters(model, checkpoint.toString());
            StreamingDecoder dec = new StreamingDecoder(model, be, readout == null ? null : readout.readout(), !fullUpdate);
            for (int i = 0; i < M; i++) {
                double[] mean = ck.normalization().mean().get(cfg.modalities().get(i).name());
                double[] std = ck.normalization().std().get(cfg.modalities().get(i).name());
                if (mean != null) dec.setNormalization(i, toFloat(mean), toFloat(std));
            }
            float[][] samples = new float[M][];
            float[][] buffers = new float[M][];
            for (int i = 0; i < M; i++) buffers[i] = new float[mods.get(i).channels()];
            // warm-up: the JIT compiles the step; the covariance graph learns the transient
            for (int w = 0; w < Math.min(warmupTrials, B); w++) {
                dec.reset();
                for (int t = 0; t < T; t++) dec.push(stepSamples(mods, w * T + t, samples, buffers));
            }
            long start = System.nanoTime();
            for (int b = 0; b < B; b++) {
                dec.reset();
                for (int t = 0; t < T; t++) {
                    int cell = b * T + t;
                    stepSamples(mods, cell, samples, buffers);
                    if (rate.equals("realtime")) {
                        long due = start + cell * periodNanos;
                        while (System.nanoTime() < due) LockSupport.parkNanos(Math.max(1000, due - System.nanoTime() - 50_000));
                    }
                    long t0 = System.nanoTime();
                    dec.push(samples);
                    nanos[cell] = System.nanoTime() - t0;
                    System.arraycopy(dec.latent(), 0, latents, cell * X, X);
                    if (D > 0) System.arraycopy(dec.behavior(), 0, decoded, cell * D, D);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (out != null) {
                Map<String, HostTensor> t = new LinkedHashMap<>();
                t.put("latent", new HostTensor(new int[] {B, T, X}, latents));
                if (D > 0) t.put("behavior", new HostTensor(new int[] {B, T, D}, decoded));
                SafeTensors.write(out, t, Map.of("source", input.toString(), "checkpoint", checkpoint.toString()));
            }
            printSummary(nanos, seconds, dec, data, decoded, D);
        }
        return 0;
    }

    private void printSummary(long[] nanos, double seconds, StreamingDecoder dec, Dataset data, float[] decoded, int D) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        System.out.printf(Locale.ROOT, "%d steps in %.2f s (%.0f steps/s, rate %s); per-step latency: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us%n",
                n, seconds, n / seconds, rate, Stats.sortedUs(sorted, 0.5), Stats.sortedUs(sorted, 0.99),
                Stats.sortedUs(sorted, 0.999), Stats.sortedUs(sorted, 1));
        System.out.println("latency histogram (us):");
        double[] edges = {5, 10, 20, 50, 100, 200, 500, 1000, 5000, Double.POSITIVE_INFINITY};
        int lo = 0;
        for (double edge : edges) {
            int hi = lo;
            while (hi < n && sorted[hi] / 1e3 < edge) hi++;
            String label = Double.isInfinite(edge) ? ">= 5000" : String.format(Locale.ROOT, "< %5.0f", edge);
            int bar = (int) Math.round(50.0 * (hi - lo) / n);
            System.out.printf(Locale.ROOT, "  %-8s %7d %s%n", label, hi - lo, "#".repeat(bar));
            lo = hi;
        }
        System.out.printf(Locale.ROOT, "covariance updates: %d full, %d from converged gains; %d samples with NaN/Inf treated as missing%n",
                dec.fullCovarianceUpdates(), dec.shortcutCovarianceSteps(), dec.nonFiniteSamples());
        if (D > 0 && data.behaviorDim() == D) {
            StringBuilder cc = new StringBuilder("decoded vs recorded behavior, CC per dimension:");
            for (int d = 0; d < D; d++) {
                float[] a = new float[n], b = new float[n];
                int k = 0;
                for (int r = 0; r < n; r++) {
                    float truth = data.behavior()[r * D + d];
                    if (!Float.isFinite(truth)) continue;
                    a[k] = decoded[r * D + d];
                    b[k++] = truth;
                }
                cc.append(String.format(Locale.ROOT, " %s %.3f", data.behaviorNames().get(d), Pearson.column(Arrays.copyOf(a, k), Arrays.copyOf(b, k), 1, 0)));
            }
            System.out.println(cc);
        }
    }

    /** The samples of one (trial, step) cell: a modality's channel values, or null where its mask is 0. */
    private static float[][] stepSamples(List<ModalityData> mods, int cell, float[][] samples, float[][] buffers) {
        for (int i = 0; i < mods.size(); i++) {
            ModalityData m = mods.get(i);
            if (m.mask()[cell] == 0f) {
                samples[i] = null;
            } else {
                System.arraycopy(m.values(), cell * m.channels(), buffers[i], 0, m.channels());
                samples[i] = buffers[i];
            }
        }
        return samples;
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
