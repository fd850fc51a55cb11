package org.mrine.serve;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.mrine.io.Json;
import org.mrine.model.Likelihood;
import org.mrine.model.ModalitySpec;
import org.mrine.stream.StreamingDecoder;

/**
 * The node: inputs (one per modality, each with its reader thread) are aligned on the model's bin
 * grid by a {@link BinAligner}, each bin is pushed through a {@link StreamingDecoder} as soon as it
 * is complete (or at its deadline), and the output goes to every sink and to the recorder. All
 * of that runs on the thread that calls {@link #run}; in steady state it allocates nothing per
 * bin (the sinks' transports aside: Jedis builds each command on the heap).
 *
 * <p>A stalled input is logged once ("no sample for ... s") and then only counted (bins pushed
 * without it); its next sample is logged ("back") and binned as usual. {@link #stop} (SIGTERM)
 * ends the loop: the bins that hold samples are pushed, outputs and the recording flushed, and
 * the node's state stream says "done".
 */
public final class ServeNode implements AutoCloseable {

    /**
     * @param origin     the grid's origin (seconds), NaN: half a bin before the first sample
     * @param maxBins    stop after this many bins (0: no limit)
     * @param durationS  stop after this many seconds (0: no limit)
     * @param warmupSteps decoder steps on synthetic samples before going live, so that the JIT has compiled the step
     * @param cpu        the CPU the decoding thread is pinned to (negative: not pinned; {@link RealtimeThread})
     * @param realtimePriority SCHED_FIFO priority of the decoding thread (0: ordinary scheduling)
     */
    public record Options(double binMs, double latenessMs, double stallMs, double origin, long maxBins, double durationS,
                          String name, int warmupSteps, int cpu, int realtimePriority) {
        /** Not pinned, ordinary scheduling. */
        public Options(double binMs, double latenessMs, double stallMs, double origin, long maxBins, double durationS,
                       String name, int warmupSteps) {
            this(binMs, latenessMs, stallMs, origin, maxBins, durationS, name, warmupSteps, -1, 0);
        }

        public static Options defaults() {
            return new Options(10, 20, 500, Double.NaN, 0, 0, "mrine", 20_000);
        }
    }

    private final ServeModel model;
    private final Source[] inputs;      // [M], null where a modality has no input
    private final List<Sink> sinks;
    private final Recorder recorder;
    private final Options opt;
    private final Consumer<String> log;
    private final BinAligner aligner;
    private final int M, X;
    private final double[] knownRate;
    private final long[] binned, late, ahead, negative, stalls, stalledBins;
    private final float[][] samples, buffers;
    private final float[] cov;
    private final Output out;
    private final LatencyHistogram latency = new LatencyHistogram(), decoderTime = new LatencyHistogram();
    private volatile boolean stopRequested, resetRequested;
    private final java.util.concurrent.CountDownLatch live = new java.util.concurrent.CountDownLatch(1);
    private volatile Thread thread;
    private volatile long bins;
    private long newestBin = Long.MIN_VALUE;
    private StreamingDecoder decoder;

    public ServeNode(ServeModel model, Source[] inputs, List<Sink> sinks, Path record, Options opt, Consumer<String> log) {
        this.model = model;
        this.inputs = inputs.clone();
        this.sinks = List.copyOf(sinks);
        this.opt = opt;
        this.log = log;
        List<ModalitySpec> mods = model.modalities();
        M = mods.size();
        X = model.config().latentDim();
        if (inputs.length != M) throw new IllegalArgumentException("one input slot per modality: " + M + " expected, got " + inputs.length);
        Likelihood[] lik = new Likelihood[M];
        int[] channels = new int[M];
        boolean[] has = new boolean[M];
        for (int m = 0; m < M; m++) {
            lik[m] = mods.get(m).likelihood();
            channels[m] = mods.get(m).channels();
            has[m] = inputs[m] != null;
        }
        aligner = new BinAligner(lik, channels, has, opt.binMs() / 1e3, opt.latenessMs() / 1e3, opt.origin(), opt.stallMs() / 1e3);
        knownRate = new double[M];
        binned = new long[M];
        late = new long[M];
        ahead = new long[M];
        negative = new long[M];
        stalls = new long[M];
        stalledBins = new long[M];
        samples = new float[M][];
        buffers = new float[M][];
        for (int m = 0; m < M; m++) buffers[m] = new float[channels[m]];
        cov = new float[X * X];
        out = new Output(M, X, model.behaviorDim());
        recorder = record == null ? null : new Recorder(record, header(record));
    }

    private String header(Path record) {
        Map<String, Object> h = new LinkedHashMap<>();
        List<Object> mods = new ArrayList<>();
        for (ModalitySpec m : model.modalities()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", m.name());
            o.put("likelihood", m.likelihood().key);
            o.put("channels", (long) m.channels());
            mods.add(o);
        }
        h.put("modalities", mods);
        h.put("latent_dim", (long) X);
        h.put("behavior_dim", (long) model.behaviorDim());
        h.put("behavior_names", new ArrayList<Object>(model.behaviorNames()));
        h.put("bin_ms", opt.binMs());
        h.put("lateness_ms", opt.latenessMs());
        h.put("shortcut", model.shortcut());
        h.put("fingerprint", Long.toHexString(model.fingerprint()));
        h.put("checkpoint", model.source());
        List<Object> in = new ArrayList<>();
        for (Source s : inputs) in.add(s == null ? null : s.uri().toString());
        h.put("inputs", in);
        h.put("started", Instant.now().toString());
        return Json.write(h);
    }

    /** Ends {@link #run} from any thread (a signal handler): pending bins are pushed and everything flushed. */
    public void stop() {
        stopRequested = true;
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);
    }

    /**
     * Runs until {@link #stop}, or the bin or time limit of the options, on the calling thread:
     * pinned and under SCHED_FIFO once live where the options ask ({@link RealtimeThread}). The
     * warm-up, the decoder and the input readers are made before that, so no thread the node
     * starts inherits the decoding thread's CPU or priority.
     */
    public void run() {
        warmUp();
        decoder = model.newDecoder();
        thread = Thread.currentThread();
        for (Source s : inputs) {
            if (s == null) continue;
            s.ring().wakes(thread);
            s.start();
        }
        if (opt.cpu() < 0 && opt.realtimePriority() == 0) {
            serve();
            return;
        }
        try (RealtimeThread.Placement before = RealtimeThread.place(opt.cpu(), opt.realtimePriority())) {
            log.accept("decoding thread" + (opt.cpu() >= 0 ? " on CPU " + opt.cpu() : "")
                    + (opt.realtimePriority() > 0 ? " under SCHED_FIFO at priority " + opt.realtimePriority() : "")
                    + " (was: CPUs " + before.cpus() + ", policy " + before.policy() + ")");
            serve();
        }
    }

    /** The live loop: bins pushed as they complete, until stopped; then the flush. */
    private void serve() {
        for (Sink s : sinks) s.state("running", null);
        live.countDown();
        long start = System.nanoTime(), limitNanos = opt.durationS() > 0 ? Math.round(opt.durationS() * 1e9) : Long.MAX_VALUE;
        while (!stopRequested) {
            long newest = drain();
            long now = System.nanoTime();
            for (int m; (m = aligner.checkStalls(now)) >= 0; ) stalled(m, now);
            pushReady(newest);
            if ((opt.maxBins() > 0 && bins >= opt.maxBins()) || now - start >= limitNanos) break;
            if (anyWaiting()) continue;
            long wait = 50_000_000L;
            if (aligner.started()) wait = Math.min(wait, (long) (aligner.deadline(aligner.next()) * 1e9) - System.nanoTime());
            if (wait > 0) LockSupport.parkNanos(wait);
        }
        // flush: what arrived goes into an output (bins up to the newest sample), then the state says done
        drain();
        while (aligner.started() && aligner.next() <= newestBin && (opt.maxBins() == 0 || bins < opt.maxBins())) {
            pushBin(System.nanoTime());
        }
    }

    private boolean anyWaiting() {
        for (Source s : inputs) if (s != null && s.ring().available() > 0) return true;
        return false;
    }

    /** Moves every waiting sample onto the grid; returns the latest arrival among them (0: none). */
    private long drain() {
        long newest = 0;
        for (int m = 0; m < M; m++) {
            Source s = inputs[m];
            if (s == null) continue;
            double hz = s.rateHz();
            if (hz != knownRate[m]) {
                knownRate[m] = hz;
                aligner.setPeriod(m, hz > 0 ? 1 / hz : 0);
            }
            SampleRing ring = s.ring();
            for (int n = ring.available(); n > 0; n--) {
                int slot = ring.peek();
                double ts = ring.ts(slot);
                long arrival = ring.arrival(slot);
                float[] v = ring.values(slot);
                boolean wasStarted = aligner.started();
                BinAligner.Status st = aligner.add(m, ts, arrival, v);
                if (!wasStarted && recorder != null) recorder.origin(aligner.origin());
                switch (st) {
                    case BINNED -> {
                        binned[m]++;
                        newestBin = Math.max(newestBin, aligner.lastBin());
                    }
                    case LATE -> late[m]++;
                    case AHEAD -> ahead[m]++;
                    case REJECTED -> negative[m]++;
                }
                if (aligner.returnedFromStall()) {
                    log.accept("input " + model.modalities().get(m).name() + ": back after " + stalledBins[m] + " bins without it in all");
                    for (Sink k : sinks) k.state("running", "input " + model.modalities().get(m).name() + " back");
                }
                if (recorder != null) recorder.input(m, st, aligner.lastBin(), ts, arrival, v);
                ring.release();
                newest = Math.max(newest, arrival);
            }
        }
        return newest;
    }

    private void stalled(int m, long now) {
        stalls[m]++;
        String name = model.modalities().get(m).name();
        log.accept(String.format(Locale.ROOT, "input %s (%s): no sample for %.2f s; decoding on without it (bins without it are counted)",
                name, inputs[m].uri(), opt.stallMs() / 1e3));
        for (Sink k : sinks) k.state("running", "input " + name + " stalled");
    }

    private void pushReady(long newestArrival) {
        while (aligner.started()) {
            boolean complete = aligner.nextComplete();
            if (!complete && !aligner.nextDue(System.nanoTime() * 1e-9)) return;
            long due = complete ? (newestArrival > 0 ? newestArrival : System.nanoTime()) : (long) (aligner.deadline(aligner.next()) * 1e9);
            pushBin(due);
            if (opt.maxBins() > 0 && bins >= opt.maxBins()) return;
        }
    }

    private void pushBin(long due) {
        long k = aligner.next();
        aligner.pushNext(samples, buffers);
        for (int m = 0; m < M; m++) {
            out.present[m] = (byte) (samples[m] != null ? 1 : 0);
            if (inputs[m] != null && aligner.stalled(m)) stalledBins[m]++;
        }
        long t0 = System.nanoTime();
        decoder.push(samples);
        long t1 = System.nanoTime();
        System.arraycopy(decoder.latent(), 0, out.latent, 0, X);
        decoder.covariance(cov);
        for (int i = 0; i < X; i++) out.covDiag[i] = cov[i * X + i];
        System.arraycopy(decoder.behavior(), 0, out.behavior, 0, out.behavior.length);
        out.bin = k;
        out.ts = aligner.centre(k);
        out.dueNanos = due;
        out.latencyNanos = Math.max(0, System.nanoTime() - due);
        for (int i = 0; i < sinks.size(); i++) sinks.get(i).write(out);
        if (recorder != null) recorder.output(out);
        if (resetRequested) {
            resetRequested = false;
            latency.reset();
            decoderTime.reset();
        }
        latency.add(out.latencyNanos);
        decoderTime.add(t1 - t0);
        bins = bins + 1;
    }

    /** JIT warm-up on a throwaway decoder: every subset of modalities, seeded synthetic samples. */
    private void warmUp() {
        if (opt.warmupSteps() <= 0) return;
        StreamingDecoder d = model.newDecoder();
        SplittableRandom rng = new SplittableRandom(1);
        float[][] in = new float[M][];
        for (int t = 0; t < opt.warmupSteps(); t++) {
            for (int m = 0; m < M; m++) {
                boolean present = m == 0 ? t % 7 != 3 : (t + m) % 5 == 0;
                if (!present) {
                    in[m] = null;
                    continue;
                }
                float[] v = buffers[m];
                boolean poisson = model.modalities().get(m).likelihood() == Likelihood.POISSON;
                for (int c = 0; c < v.length; c++) v[c] = poisson ? rng.nextInt(3) : (float) rng.nextGaussian();
                in[m] = v;
            }
            d.push(in);
            d.covariance(cov);
        }
    }

    public long bins() {
        return bins;
    }

    /** Per modality: samples binned, late, ahead of the window, rejected (by the node: negative counts; by the source: malformed). */
    public long binned(int m) {
        return binned[m];
    }

    public long late(int m) {
        return late[m];
    }

    public long rejected(int m) {
        return negative[m] + (inputs[m] == null ? 0 : inputs[m].rejected());
    }

    public long stalls(int m) {
        return stalls[m];
    }

    public long stalledBins(int m) {
        return stalledBins[m];
    }

    public long reconnects(int m) {
        return inputs[m] == null ? 0 : inputs[m].reconnects();
    }

    public long outputsDropped() {
        long n = 0;
        for (Sink s : sinks) n += s.dropped();
        return n;
    }

    /** Waits until the node has warmed up and its readers run; false after timeout seconds. */
    public boolean awaitLive(double timeoutS) {
        try {
            return live.await(Math.round(timeoutS * 1e3), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Clears the latency histograms from the next bin on (benchmarks: after their warm-up). */
    public void resetLatencies() {
        resetRequested = true;
    }

    /** The node's latency per bin (complete -> handed to the sinks); read it once the node has stopped. */
    public LatencyHistogram latency() {
        return latency;
    }

    /** StreamingDecoder.push alone, per bin. */
    public LatencyHistogram decoderTime() {
        return decoderTime;
    }

    /** One line per input and one for the outputs. */
    public List<String> summary() {
        List<String> lines = new ArrayList<>();
        lines.add(String.format(Locale.ROOT, "%d bins of %s ms pushed; node latency (bin complete -> outputs handed over) %s; decoder push %s",
                bins, trim(opt.binMs()), latency.summary(), decoderTime.summary()));
        for (int m = 0; m < M; m++) {
            String name = model.modalities().get(m).name();
            if (inputs[m] == null) {
                lines.add("input " + name + ": none (always missing)");
                continue;
            }
            lines.add(String.format(Locale.ROOT, "input %s (%s): %d samples binned, %d late, %d ahead, %d rejected, %d dropped (queue full), %d stalls (%d bins without it), %d reconnects",
                    name, inputs[m].uri(), binned[m], late[m], ahead[m], rejected(m), inputs[m].ring().overflow(), stalls[m], stalledBins[m], reconnects(m)));
        }
        lines.add("outputs not delivered (connection down): " + outputsDropped());
        return lines;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    /** Stops the readers, tells the state stream "done", closes the sinks and the recording. */
    @Override
    public void close() {
        for (Source s : inputs) if (s != null) s.close();
        String counters = String.join("; ", summary());
        RuntimeException failure = null;
        for (Sink s : sinks) {
            try {
                s.state("done", counters);
                s.close();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (recorder != null) recorder.close();
        if (failure != null) throw failure;
    }
}
