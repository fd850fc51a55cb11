package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.bench.LocalRedis;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.XAddParams;

/**
 * mrine serve against a real redis-server on a loopback port: BRAND-style input streams (spike
 * counts as int16 every 10 ms, a field as float32 every 50 ms, each entry time-stamped), outputs
 * read back from the node's output stream as a subscriber reads them.
 */
class ServeRedisTest {
    static LocalRedis redis;
    static ServeModel model;
    static float[][] spikes, field;   // [T][N], null where the recording has no sample
    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        redis = LocalRedis.launch();
        model = org.mrine.cli.ServeModels.load(ServeFixtures.checkpoint(), null, "cpu", true);
        spikes = ServeFixtures.series("s", 2);
        field = ServeFixtures.series("y", 2);
    }

    @AfterAll
    static void tearDown() {
        if (model != null) model.close();
        if (redis != null) redis.close();
    }

    /** Publishes bins [from, to) paced at 10 ms: spikes (int16) and, where present and wanted, the field; returns nothing sent twice. */
    static final class Publisher {
        final Jedis j;
        final String s, y;
        final double t0;
        final long start;

        Publisher(String s, String y, double headStartS) {
            this(new Jedis("127.0.0.1", redis.port()), s, y, headStartS);
        }

        Publisher(Jedis j, String s, String y, double headStartS) {
            this.j = j;
            this.s = s;
            this.y = y;
            this.start = System.nanoTime();
            this.t0 = Lsl.seconds(start) + headStartS;
        }

        double ts(int k) {
            return t0 + k * 0.010;
        }

        void paceTo(int k) {
            ServeHarness.sleepUntil(start + k * 10_000_000L);
        }

        void spikes(int k, float[] counts) {
            byte[] b = new byte[2 * counts.length];
            for (int c = 0; c < counts.length; c++) {
                short v = (short) counts[c];
                b[2 * c] = (byte) v;
                b[2 * c + 1] = (byte) (v >> 8);
            }
            xadd(s, b, ts(k));
        }

        void field(int k, float[] values) {
            xadd(y, SampleCodec.float32(values), ts(k));
        }

        void xadd(String stream, byte[] samples, double ts) {
            Map<byte[], byte[]> f = new LinkedHashMap<>();
            f.put("samples".getBytes(StandardCharsets.UTF_8), samples);
            f.put("ts".getBytes(StandardCharsets.UTF_8), SampleCodec.float64(ts));
            j.xadd(stream.getBytes(StandardCharsets.UTF_8), XAddParams.xAddParams(), f);
        }

        void raw(String stream, Map<String, String> fields) {
            j.xadd(stream, XAddParams.xAddParams(), fields);
        }
    }

    private static String[] inputs(String s, String y) {
        return new String[] {redis.url(s) + "?dtype=int16&ts=ts&rate=100", redis.url(y) + "?ts=ts&rate=20"};
    }

    @Test
    void multiRateInputsDecodeAsTheOfflineDecoderAndTheRecordingReplays() {
        ServeHarness h = decodeAsTheOfflineDecoder("mr", ServeHarness.options(120), () -> { });
        assertEquals(0, h.lines("decoding thread"), "not placed unless asked");
    }

    /**
     * mrine serve --pin-cpu N --realtime P: the same outputs, bit for bit, from a decoding thread on
     * one CPU under SCHED_FIFO (pinned only where this process may not use SCHED_FIFO).
     */
    @Test
    void placedOnOneCpuUnderSchedFifoTheNodeDecodesTheSame() throws IOException {
        List<Integer> cpus = RealtimeThread.affinity();
        int cpu = cpus.get(cpus.size() - 1), priority = RealtimeThreadTest.maySchedFifo() ? 20 : 0;
        ServeNode.Options o = ServeHarness.options(120);
        String all = java.nio.file.Files.readAllLines(Path.of("/proc/thread-self/status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow().substring(18).trim();
        // while live, read back from the kernel: only the node's thread is placed (the input readers and the JVM's own threads are not)
        Runnable readBack = () -> {
            int placed = 0;
            for (String[] task : tasks()) {
                boolean node = task[0].equals("serve-under-tes"); // comm holds 15 characters
                assertEquals(node ? "" + cpu : all, task[1], task[0] + "'s CPUs");
                assertEquals(node && priority > 0 ? RealtimeThread.SCHED_FIFO : 0, Integer.parseInt(task[2]), task[0] + "'s policy");
                if (node) placed++;
            }
            assertEquals(1, placed);
        };
        ServeHarness h = decodeAsTheOfflineDecoder("rt", new ServeNode.Options(o.binMs(), o.latenessMs(), o.stallMs(), o.origin(), o.maxBins(),
                o.durationS(), o.name(), o.warmupSteps(), cpu, priority), readBack);
        assertEquals(1, h.lines("decoding thread on CPU " + cpu + (priority > 0 ? " under SCHED_FIFO at priority 20" : "")
                + " (was: CPUs " + cpus + ", policy 0)"), String.join("\n", h.log));
    }

    /** Every thread of this process as the kernel sees it: name, Cpus_allowed_list, scheduling policy. */
    private static List<String[]> tasks() {
        List<String[]> out = new ArrayList<>();
        try (var dirs = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path t : dirs.toList()) {
                try {
                    String comm = java.nio.file.Files.readString(t.resolve("comm")).trim(), cpus = null, policy = null;
                    for (String line : java.nio.file.Files.readAllLines(t.resolve("status"))) {
                        if (line.startsWith("Cpus_allowed_list:")) cpus = line.substring(18).trim();
                    }
                    for (String line : java.nio.file.Files.readAllLines(t.resolve("sched"))) {
                        if (line.startsWith("policy")) policy = line.substring(line.indexOf(':') + 1).trim();
                    }
                    out.add(new String[] {comm, cpus, policy});
                } catch (java.nio.file.NoSuchFileException ended) {
                    // a thread that ended while listed
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }

    private ServeHarness decodeAsTheOfflineDecoder(String prefix, ServeNode.Options options, Runnable whileLive) {
        int bins = (int) options.maxBins();
        Path rec = dir.resolve(prefix + ".rec");
        String out = prefix + "_out";
        // two field samples are never sent: those bins have no field (missing, not interpolated)
        List<Integer> fieldDropped = List.of(35, 80);
        float[][][] grid = new float[bins][2][];
        ServeHarness h = new ServeHarness(model, inputs(prefix + "_s", prefix + "_y"), List.of(redis.url(out)), rec, options);
        try (h) {
            Publisher p = new Publisher(prefix + "_s", prefix + "_y", 1.0);
            for (int k = 0; k < bins; k++) {
                p.paceTo(k);
                if (k == bins / 2) whileLive.run();
                p.spikes(k, spikes[k]);
                grid[k][0] = spikes[k];
                if (field[k] != null && !fieldDropped.contains(k)) {
                    p.field(k, field[k]);
                    grid[k][1] = field[k];
                }
            }
            h.finish();
        }
        assertEquals(bins, h.node.bins());
        assertEquals(bins, h.node.binned(0));
        assertEquals(0, h.node.late(0) + h.node.late(1) + h.node.rejected(0) + h.node.rejected(1), String.join("\n", h.node.summary()));
        List<RedisOutputs> outs = RedisOutputs.read(redis.port(), out, model.config().latentDim(), model.behaviorDim());
        float[][] expected = ServeHarness.offline(model, grid);
        assertEquals(bins, outs.size());
        for (int k = 0; k < bins; k++) {
            RedisOutputs o = outs.get(k);
            assertEquals(k, o.bin());
            assertArrayEquals(new byte[] {1, (byte) (grid[k][1] != null ? 1 : 0)}, o.present(), "bin " + k);
            ServeHarness.assertBitsEqual(expected[k], o.values(), "bin " + k);
            assertTrue(o.latencyUs() >= 0);
        }
        assertEquals(0.0, outs.get(7).ts() - (outs.get(0).ts() + 0.07), 1e-9, "bin time stamps on the 10 ms grid");
        ServeHarness.assertReplays(ServeFixtures.checkpoint(), rec, bins);
        // BRAND: the node's state stream says it ran and is done
        try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
            var states = j.xrange("mrine_test_state", "-", "+");
            assertEquals("running", states.get(0).getFields().get("status"));
            assertEquals("done", states.get(states.size() - 1).getFields().get("status"));
            j.del("mrine_test_state");
        }
        return h;
    }

    @Test
    void malformedEntriesAreRejectedAndCountedWhileTheRestDecodes() {
        int bins = 60;
        float[][][] grid = new float[bins][2][];
        // the field as text (what redis-cli XADD writes), so that a non-numeric value can be sent
        String[] in = {redis.url("bad_s") + "?dtype=int16&ts=ts&rate=100", redis.url("bad_y") + "?dtype=text&ts=ts&rate=20"};
        ServeHarness h = new ServeHarness(model, in, List.of(redis.url("bad_out")), null, ServeHarness.options(bins));
        try (h) {
            Publisher p = new Publisher("bad_s", "bad_y", 1.0);
            for (int k = 0; k < bins; k++) {
                p.paceTo(k);
                if (k == 10) p.xadd("bad_s", new byte[6], p.ts(k));                       // 3 channels, not 20
                if (k == 12) p.raw("bad_s", Map.of("other", "1"));                       // no samples field
                if (k == 14) p.spikes(k, negative(spikes[k]));                           // a negative count
                if (k == 16) p.raw("bad_s", Map.of("samples", "x", "ts", "not a time")); // neither bytes nor time
                p.spikes(k, spikes[k]);
                grid[k][0] = spikes[k];
                if (field[k] != null) {
                    if (k == 20) p.raw("bad_y", Map.of("samples", "1.5 abc" + " 0".repeat(18), "ts", Double.toString(p.ts(k))));
                    p.raw("bad_y", Map.of("samples", text(field[k]), "ts", Double.toString(p.ts(k))));
                    grid[k][1] = field[k];
                }
            }
            h.finish();
        }
        assertEquals(4, h.node.rejected(0), String.join("\n", h.node.summary()));
        assertEquals(1, h.node.rejected(1), String.join("\n", h.node.summary()));
        assertEquals(1, h.lines("input y (" + in[1] + "): rejected an entry: field is not 20 numbers"), String.join("\n", h.log));
        assertEquals(1, h.lines("input s (" + in[0] + "): rejected an entry"), "one line, then a counter: " + h.log);
        List<RedisOutputs> outs = RedisOutputs.read(redis.port(), "bad_out", model.config().latentDim(), model.behaviorDim());
        float[][] expected = ServeHarness.offline(model, grid);
        assertEquals(bins, outs.size());
        for (int k = 0; k < bins; k++) ServeHarness.assertBitsEqual(expected[k], outs.get(k).values(), "bin " + k);
    }

    private static float[] negative(float[] v) {
        float[] n = v.clone();
        n[3] = -1;
        return n;
    }

    private static String text(float[] v) {
        StringBuilder b = new StringBuilder();
        for (float x : v) b.append(b.isEmpty() ? "" : " ").append(x);  // Float.toString round-trips exactly
        return b.toString();
    }

    @Test
    void theNodeReconnectsAfterTheRedisServerRestarts() {
        Path rec = dir.resolve("restart.rec");
        ServeNode.Options opt = new ServeNode.Options(10, 20, 500, Double.NaN, 0, 30, "mrine_restart", 500);
        float[][][] grid = new float[40][2][];
        List<RedisOutputs> before, after;
        ServeHarness h = new ServeHarness(model, inputs("rs_s", "rs_y"), List.of(redis.url("rs_out")), rec, opt);
        try (h) {
            Publisher p = new Publisher("rs_s", "rs_y", 0.5);
            for (int k = 0; k < 40; k++) {
                p.paceTo(k);
                p.spikes(k, spikes[k]);
                grid[k][0] = spikes[k];
                if (field[k] != null) {
                    p.field(k, field[k]);
                    grid[k][1] = field[k];
                }
            }
            // the first 40 bins are out once their time stamps are 0.5 s old at most (their deadlines)
            ServeHarness.sleepUntil(p.start + 1_000_000_000L);
            before = RedisOutputs.read(redis.port(), "rs_out", model.config().latentDim(), model.behaviorDim());
            redis.stop();
            ServeHarness.sleepUntil(System.nanoTime() + 300_000_000L);  // the node goes on (deadlines) with both inputs silent
            redis.start();
            // once the readers are back, publish again: time stamps 0.5 s ahead of now, on the same grid
            p.j.close();
            // the output reconnects on its own schedule (every 100 ms) and drops what the node writes
            // before: wait for it too, or the first bins published here can miss the new server
            long deadline = System.nanoTime() + 10_000_000_000L;
            while ((h.node.reconnects(0) == 0 || h.node.reconnects(1) == 0 || h.lines("reconnected to Redis") < 3)
                    && System.nanoTime() < deadline) {
                ServeHarness.sleepUntil(System.nanoTime() + 10_000_000L);
            }
            assertTrue(h.node.reconnects(0) >= 1 && h.node.reconnects(1) >= 1, "readers did not reconnect: " + h.log);
            // paced from now: a publisher made before the wait would send the first bins in a burst and
            // stop the node before the last bins' deadlines (they wait for the field until then)
            Publisher q = new Publisher("rs_s", "rs_y", 0.0);
            int k0 = (int) Math.ceil((Lsl.seconds(System.nanoTime()) + 0.5 - p.t0) / 0.010);
            for (int k = k0; k < k0 + 60; k++) {
                ServeHarness.sleepUntil(q.start + (k - k0) * 10_000_000L);
                float[] sp = spikes[k % spikes.length], fd = field[k % field.length];
                q.xadd("rs_s", int16(sp), p.ts(k));
                if (fd != null) q.xadd("rs_y", SampleCodec.float32(fd), p.ts(k));
            }
            // the last bin's deadline (its end plus the lateness) is 1.12 s after q.start
            ServeHarness.sleepUntil(q.start + 1_500_000_000L);
            h.stop();
            after = RedisOutputs.read(redis.port(), "rs_out", model.config().latentDim(), model.behaviorDim());
        }
        float[][] expected = ServeHarness.offline(model, grid);
        assertTrue(before.size() >= 40, "outputs before the restart: " + before.size());
        for (int k = 0; k < 40; k++) ServeHarness.assertBitsEqual(expected[k], before.get(k).values(), "bin " + k + " before the restart");
        assertTrue(h.lines("reconnected to Redis") >= 3, "both readers and the output reconnect: " + h.log);
        // the restarted server lost the old entries (no persistence); the new ones carry on the grid, spikes present
        assertTrue(after.size() >= 50, "outputs after the restart: " + after.size());
        long withSpikes = after.stream().filter(o -> o.present()[0] == 1).count();
        assertTrue(withSpikes >= 55, "bins with spikes after the restart: " + withSpikes + " of " + after.size() + "; bins without: "
                + after.stream().filter(o -> o.present()[0] != 1).map(RedisOutputs::bin).toList() + "; " + h.log);
        assertTrue(after.get(0).bin() > 40);
        ServeHarness.assertReplays(ServeFixtures.checkpoint(), rec, h.node.bins());
    }

    private static byte[] int16(float[] counts) {
        byte[] b = new byte[2 * counts.length];
        for (int c = 0; c < counts.length; c++) {
            short v = (short) counts[c];
            b[2 * c] = (byte) v;
            b[2 * c + 1] = (byte) (v >> 8);
        }
        return b;
    }
}
