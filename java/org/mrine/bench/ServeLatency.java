package org.mrine.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.serve.Lsl;
import org.mrine.serve.SampleCodec;
import org.mrine.serve.ServeModel;
import org.mrine.serve.ServeNode;
import org.mrine.serve.ServeUri;
import org.mrine.serve.Sink;
import org.mrine.serve.Source;
import org.mrine.stream.LinearReadout;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.params.XReadParams;
import redis.clients.jedis.resps.StreamEntryBinary;

/**
 * End-to-end latency of {@code mrine serve} over loopback, in one process: a publisher sends a
 * time-stamped sample of every modality due in bin k (spikes every bin, the field every
 * {@code fieldEvery}th), then waits as a subscriber for bin k's output; the time from just before
 * the sample that completes the bin is handed to the transport (XADD, lsl_push_sample) to the
 * output being read back. One sample in flight at a time, so the figure is latency, not queueing.
 * The node runs as {@code mrine serve} does (reader threads, the node's thread, the sinks); its own
 * share (the bin complete at the node -> output handed to the sink) is read from each output's
 * latency field, the decoder's (StreamingDecoder.push) from the node. Also reported: bytes
 * allocated per step by the node's thread and by the reader threads, and every GC pause during
 * the measured steps.
 */
public final class ServeLatency {
    private ServeLatency() {
    }

    public static Map<String, Object> measure(String transport, ModelConfig cfg, int fieldEvery, int warmup, int steps, long seed) {
        Backend be = Backends.create("cpu");
        MrineModel model = new MrineModel(cfg, be);
        model.initialize(new SplittableRandom(seed));
        int X = cfg.latentDim(), M = cfg.modalities().size();
        try (ServeModel sm = ServeModel.of(model, be, new LinearReadout(X, 2, new float[X * 2], new float[2]), true, "bench")) {
            int ns = cfg.modalities().get(0).channels(), ny = cfg.modalities().get(1).channels();
            SplittableRandom rng = new SplittableRandom(seed + 1);
            float[][] s = new float[1000][ns], y = new float[1000][ny];
            for (float[] r : s) for (int c = 0; c < ns; c++) r[c] = rng.nextInt(3);
            for (float[] r : y) for (int c = 0; c < ny; c++) r[c] = (float) rng.nextGaussian();
            return switch (transport) {
                case "redis" -> redis(sm, s, y, fieldEvery, warmup, steps, M, X);
                case "lsl" -> lsl(sm, s, y, fieldEvery, warmup, steps, M, X);
                default -> throw new IllegalArgumentException("transport " + transport);
            };
        }
    }

    /** What one measured step needs from a transport. */
    private interface Loop {
        /** Sends bin k's samples; returns the instant just before the last send (System.nanoTime). */
        long send(int k);

        /** Blocks until bin k's output is readable; returns the node's own latency for it (ns). */
        long receive(int k);
    }

    private static Map<String, Object> redis(ServeModel sm, float[][] s, float[][] y, int fieldEvery, int warmup, int steps, int M, int X) {
        try (LocalRedis redis = LocalRedis.launch(); Jedis pub = new Jedis("127.0.0.1", redis.port()); Jedis sub = new Jedis("127.0.0.1", redis.port())) {
            String[] in = {redis.url("bench_s") + "?ts=ts&rate=100", redis.url("bench_y") + "?ts=ts&rate=" + (100.0 / fieldEvery)};
            double[] t0 = new double[1];
            byte[] ks = b("bench_s"), ky = b("bench_y"), kout = b("bench_out"), samples = b("samples"), ts = b("ts"), latency = b("latency_us");
            XReadParams block = XReadParams.xReadParams().block(10_000).count(1);
            StreamEntryID[] last = {new StreamEntryID(0, 0)};
            Map<byte[], byte[]> fs = new LinkedHashMap<>(), fy = new LinkedHashMap<>();
            Loop loop = new Loop() {
                @Override
                public long send(int k) {
                    // time stamps 5 s ahead of the first send, then 10 ms per bin: the closed loop
                    // runs faster than real time (its cold first steps included), so no bin reaches
                    // its deadline and every bin is pushed when its last sample completes it
                    if (k == 0) t0[0] = Lsl.seconds(System.nanoTime()) + 5;
                    double t = t0[0] + k * 0.010;
                    long sent;
                    if (k % fieldEvery == 0) {
                        fy.put(samples, SampleCodec.float32(y[k % y.length]));
                        fy.put(ts, SampleCodec.float64(t));
                        pub.xadd(ky, XAddParams.xAddParams(), fy);
                    }
                    fs.put(samples, SampleCodec.float32(s[k % s.length]));
                    fs.put(ts, SampleCodec.float64(t));
                    sent = System.nanoTime();
                    pub.xadd(ks, XAddParams.xAddParams(), fs);
                    return sent;
                }

                @Override
                public long receive(int k) {
                    while (true) {
                        var got = sub.xreadBinary(block, Map.of(kout, last[0]));
                        if (got == null) throw new IllegalStateException("no output for bin " + k + " within 10 s");
                        for (StreamEntryBinary e : got.get(0).getValue()) {
                            last[0] = e.getID();
                            for (var f : e.getFields().entrySet()) {
                                if (Arrays.equals(f.getKey(), latency)) return Math.round(SampleCodec.getFloat64(f.getValue(), 0) * 1e3);
                            }
                        }
                    }
                }
            };
            return run(sm, in, redis.url("bench_out"), loop, warmup, steps, M);
        }
    }

    private static Map<String, Object> lsl(ServeModel sm, float[][] s, float[][] y, int fieldEvery, int warmup, int steps, int M, int X) {
        String id = Long.toString(ProcessHandle.current().pid()) + "-" + System.nanoTime();
        String sn = "bench-s-" + id, yn = "bench-y-" + id, out = "bench-out-" + id;
        try (Lsl.Outlet so = new Lsl.Outlet(sn, "EEG", s[0].length, 100, sn); Lsl.Outlet yo = new Lsl.Outlet(yn, "EEG", y[0].length, 100.0 / fieldEvery, yn)) {
            double[] t0 = new double[1];
            int D = 2;
            float[] output = new float[2 * X + D + M + 1];
            Lsl.Inlet[] subscriber = new Lsl.Inlet[1];
            Loop loop = new Loop() {
                @Override
                public long send(int k) {
                    if (k == 0) t0[0] = Lsl.seconds(System.nanoTime()) + 5;
                    double t = t0[0] + k * 0.010;
                    if (k % fieldEvery == 0) yo.push(y[k % y.length], t);
                    long sent = System.nanoTime();
                    so.push(s[k % s.length], t);
                    return sent;
                }

                @Override
                public long receive(int k) {
                    if (subscriber[0].pull(output, 10) == 0) throw new IllegalStateException("no output for bin " + k + " within 10 s");
                    return Math.round(output[output.length - 1] * 1e3);
                }
            };
            return run(sm, new String[] {"lsl:" + sn, "lsl:" + yn}, "lsl:" + out, loop, warmup, steps, M, () -> {
                subscriber[0] = Lsl.resolve("name", out, 10);
                if (subscriber[0] == null || !subscriber[0].open(10)) throw new IllegalStateException("the node's outlet " + out + " was not found");
                // the node's inlets are open once the outlets have consumers; its first clock-offset estimate follows
                if (!so.waitForConsumers(10) || !yo.waitForConsumers(10)) throw new IllegalStateException("the node did not connect to the bench's outlets");
                try {
                    Thread.sleep(2000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, () -> subscriber[0].close());
        }
    }

    private static Map<String, Object> run(ServeModel sm, String[] inputs, String output, Loop loop, int warmup, int steps, int M) {
        return run(sm, inputs, output, loop, warmup, steps, M, () -> {
        }, () -> {
        });
    }

    private static Map<String, Object> run(ServeModel sm, String[] inputs, String output, Loop loop, int warmup, int steps, int M,
                                           Runnable connect, Runnable disconnect) {
        List<String> log = new ArrayList<>();
        Source[] sources = new Source[M];
        for (int m = 0; m < M; m++) {
            sources[m] = Source.open(ServeUri.parse("--input", inputs[m]), sm.modalities().get(m).name(), sm.modalities().get(m).channels(), log::add);
        }
        Sink sink = Sink.open(ServeUri.parse("--output", output), "bench", M, sm.config().latentDim(), sm.behaviorDim(), 10, log::add);
        // stall time 60 s: the closed loop may pause (GC, JIT) without the node deciding an input died
        ServeNode node = new ServeNode(sm, sources, List.of(sink), null, new ServeNode.Options(10, 20, 60_000, Double.NaN, 0, 0, "bench", 20_000), log::add);
        Thread t = Thread.ofPlatform().name("mrine-serve-node").start(node::run);
        try {
            if (!node.awaitLive(120)) throw new IllegalStateException("the node did not go live within 120 s (JIT warm-up)");
            connect.run();
            for (int k = 0; k < warmup; k++) {
                loop.send(k);
                loop.receive(k);
            }
            node.resetLatencies();
            var threads = ManagementFactory.getThreadMXBean();
            com.sun.management.ThreadMXBean tm = (com.sun.management.ThreadMXBean) threads;
            long[] nodeThread = {t.threadId()};
            long[] readers = readerThreads();
            long nodeBytes0 = tm.getThreadAllocatedBytes(nodeThread)[0], readerBytes0 = sum(tm.getThreadAllocatedBytes(readers));
            long dropped0 = droppedSamples(node);
            GcPauses gc = GcPauses.start();
            long[] e2e = new long[steps], nodeShare = new long[steps];
            for (int i = 0; i < steps; i++) {
                int k = warmup + i;
                long sent = loop.send(k);
                nodeShare[i] = loop.receive(k);
                e2e[i] = System.nanoTime() - sent;
            }
            gc.stop();
            long dropped = droppedSamples(node) - dropped0;
            long nodeBytes = tm.getThreadAllocatedBytes(nodeThread)[0] - nodeBytes0, readerBytes = sum(tm.getThreadAllocatedBytes(readers)) - readerBytes0;
            node.stop();
            t.join();
            disconnect.run();
            Arrays.sort(e2e);
            Arrays.sort(nodeShare);
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("p50_us", Stats.sortedUs(e2e, 0.5));
            o.put("p99_us", Stats.sortedUs(e2e, 0.99));
            o.put("p999_us", Stats.sortedUs(e2e, 0.999));
            o.put("max_us", Stats.sortedUs(e2e, 1));
            o.put("steps", steps);
            o.put("node_p50_us", Stats.sortedUs(nodeShare, 0.5));
            o.put("node_p99_us", Stats.sortedUs(nodeShare, 0.99));
            o.put("node_max_us", Stats.sortedUs(nodeShare, 1));
            o.put("decoder_p50_us", node.decoderTime().quantileUs(0.5));
            o.put("decoder_p99_us", node.decoderTime().quantileUs(0.99));
            o.put("node_thread_bytes_per_step", (double) nodeBytes / steps);
            o.put("reader_threads_bytes_per_step", (double) readerBytes / steps);
            o.put("gc", gc.collector());
            o.put("gc_pauses", gc.count());
            o.put("gc_max_pause_ms", gc.maxMs());
            // the JVM's GC notifications time a pause by its start and end in whole milliseconds:
            // a 0.2 ms pause that crosses a millisecond boundary reads 1 (-Xlog:gc gives the exact figure)
            o.put("gc_pause_resolution_ms", 1);
            o.put("late_or_rejected", dropped);
            for (String line : node.summary()) System.err.println("  " + line);
            for (String line : log) System.err.println("  log: " + line);
            return o;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            node.stop();
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            node.close();
        }
    }

    /** Samples the node did not bin (late, rejected): 0 in a sound measurement, where every bin is complete when pushed. */
    private static long droppedSamples(ServeNode node) {
        return node.late(0) + node.late(1) + node.rejected(0) + node.rejected(1);
    }

    private static long[] readerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(th -> th.getName().startsWith("mrine-serve-") && !th.getName().equals("mrine-serve-node"))
                .mapToLong(Thread::threadId).toArray();
    }

    private static long sum(long[] v) {
        long n = 0;
        for (long x : v) n += Math.max(0, x);
        return n;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** GC pauses reported by the collectors' notifications between start and stop (for ZGC its "Pauses" beans only: its cycles run concurrently). */
    static final class GcPauses {
        private final List<NotificationEmitter> emitters = new ArrayList<>();
        private final NotificationListener listener;
        private volatile long count;
        private volatile double maxMs;
        private final String collector;

        private GcPauses() {
            List<String> names = new ArrayList<>();
            for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) names.add(b.getName());
            collector = String.join(" + ", names);
            listener = (n, hb) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                String name = info.getGcName();
                boolean concurrent = (name.startsWith("ZGC") || name.startsWith("Shenandoah")) && !name.contains("Pauses");
                if (concurrent || name.equals("G1 Concurrent GC")) return;
                synchronized (this) {
                    count++;
                    maxMs = Math.max(maxMs, info.getGcInfo().getDuration());
                }
            };
        }

        static GcPauses start() {
            GcPauses g = new GcPauses();
            for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (b instanceof NotificationEmitter e) {
                    e.addNotificationListener(g.listener, null, null);
                    g.emitters.add(e);
                }
            }
            return g;
        }

        void stop() {
            for (NotificationEmitter e : emitters) {
                try {
                    e.removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException ex) {
                    // already gone
                }
            }
        }

        long count() {
            return count;
        }

        double maxMs() {
            return maxMs;
        }

        String collector() {
            return collector;
        }
    }
}
