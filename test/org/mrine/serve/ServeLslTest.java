package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mrine serve between real LSL streams over loopback: two outlets in this process (spikes at
 * 100 Hz, a field at 20 Hz, time-stamped 0.5 to 1 s ahead so that no sample can miss its bin), the
 * node's inlets and its output outlet, read back by an inlet as a subscriber would.
 */
class ServeLslTest {
    static ServeModel model;
    static float[][] spikes, field;
    static final String ID = Long.toString(ProcessHandle.current().pid());
    @TempDir
    Path dir;

    @BeforeAll
    static void setUp() {
        ServeFixtures.lsl();
        model = org.mrine.cli.ServeModels.load(ServeFixtures.checkpoint(), null, "cpu", true);
        spikes = ServeFixtures.series("s", 2);
        field = ServeFixtures.series("y", 2);
    }

    @AfterAll
    static void tearDown() {
        if (model != null) model.close();
    }

    private static Lsl.Outlet outlet(String name, int channels, double hz) {
        return new Lsl.Outlet(name, "EEG", channels, hz, name);
    }

    /** Opens an inlet on the node's output outlet; [bins][outputs channels] pulled in order. */
    private static Lsl.Inlet subscribe(String name) {
        Lsl.Inlet in = Lsl.resolve("name", name, 10);
        assertNotNull(in, "the node's outlet " + name + " was not found");
        assertTrue(in.open(10));
        return in;
    }

    private static float[][] pull(Lsl.Inlet in, int n, double[] ts) {
        int X = model.config().latentDim(), D = model.behaviorDim();
        float[][] out = new float[n][LslSink.channels(2, X, D)];
        for (int k = 0; k < n; k++) {
            double t = in.pull(out[k], 10);
            assertTrue(t != 0, "output " + k + " did not come within 10 s");
            ts[k] = t;
        }
        return out;
    }

    @Test
    void multiRateLslStreamsDecodeAsTheOfflineDecoder() {
        int bins = 120, X = model.config().latentDim(), D = model.behaviorDim();
        String s = "mrine-s-" + ID, y = "mrine-y-" + ID, out = "mrine-out-" + ID;
        Path rec = dir.resolve("lsl.rec");
        float[][][] grid = new float[bins][2][];
        float[][] got;
        double[] ts = new double[bins];
        try (Lsl.Outlet so = outlet(s, 20, 100); Lsl.Outlet yo = outlet(y, 20, 20);
             ServeHarness h = new ServeHarness(model, new String[] {"lsl:" + s, "lsl:" + y}, List.of("lsl:" + out), rec, ServeHarness.options(bins))) {
            try (Lsl.Inlet sub = subscribe(out)) {
                h.awaitLog("connected to LSL stream", 2);
                long start = System.nanoTime();
                double t0 = Lsl.seconds(start) + 1.0;
                for (int k = 0; k < bins; k++) {
                    ServeHarness.sleepUntil(start + k * 10_000_000L);
                    so.push(spikes[k], t0 + k * 0.010);
                    grid[k][0] = spikes[k];
                    if (field[k] != null) {
                        yo.push(field[k], t0 + k * 0.010);
                        grid[k][1] = field[k];
                    }
                }
                got = pull(sub, bins, ts);
                h.finish();
                // the subscriber's inlet maps the time stamp through LSL's clock synchronization, whose
                // estimate of the offset (zero on one machine) is off by its round-trip noise
                assertEquals(0.0, ts[0] - t0, 1e-3, "an output's time stamp is its bin's centre, the inputs' time stamp");
            }
            assertEquals(1, h.lines("connected to LSL stream " + s), String.join("\n", h.log));
        }
        float[][] expected = ServeHarness.offline(model, grid);
        for (int k = 0; k < bins; k++) {
            float[] values = java.util.Arrays.copyOf(got[k], 2 * X + D);
            ServeHarness.assertBitsEqual(expected[k], values, "bin " + k);
            assertEquals(1f, got[k][2 * X + D], "spikes present in bin " + k);
            assertEquals(grid[k][1] != null ? 1f : 0f, got[k][2 * X + D + 1], "field present in bin " + k);
        }
        ServeHarness.assertReplays(ServeFixtures.checkpoint(), rec, bins);
    }

    @Test
    void aKilledAndRestartedSourceIsDecodedAroundAndPickedUpAgain() {
        // the field's outlet dies at bin 40 and a new one (same name) comes up at bin 110; spikes go on
        // throughout, and the publisher goes on for 100 bins once the node has found the new outlet
        int killAt = 40, restartAt = 110, max = 2000, X = model.config().latentDim(), D = model.behaviorDim();
        String s = "mrine-ks-" + ID, y = "mrine-ky-" + ID, out = "mrine-kout-" + ID;
        Path rec = dir.resolve("kill.rec");
        float[][] got;
        float[][] sent = new float[max][];  // the field samples pushed into a live outlet
        int bins = -1, reconnectedAt = -1;
        long stallLines = -1, backLines = -1;
        ServeHarness h;
        ServeNode.Options opt = new ServeNode.Options(10, 20, 500, Double.NaN, 0, 60, "mrine_test", 500);
        try (Lsl.Outlet so = outlet(s, 20, 100)) {
            Lsl.Outlet yo = outlet(y, 20, 20);
            h = new ServeHarness(model, new String[] {"lsl:" + s, "lsl:" + y}, List.of("lsl:" + out), rec, opt);
            try (h; Lsl.Inlet sub = subscribe(out)) {
                h.awaitLog("connected to LSL stream", 2);
                long start = System.nanoTime();
                double t0 = Lsl.seconds(start) + 0.5;
                for (int k = 0; k < max; k++) {
                    ServeHarness.sleepUntil(start + k * 10_000_000L);
                    so.push(spikes[k % spikes.length], t0 + k * 0.010);
                    if (k == killAt) {
                        yo.close();  // the field's source dies
                        yo = null;
                    }
                    if (k == restartAt) yo = outlet(y, 20, 20);  // and comes back
                    if (reconnectedAt < 0 && h.lines("reconnected to LSL stream " + y) > 0) reconnectedAt = k;
                    float[] f = field[k % field.length];
                    if (yo != null && f != null) {
                        yo.push(f, t0 + k * 0.010);
                        sent[k] = f;
                    }
                    if (reconnectedAt >= 0 && k == reconnectedAt + 100) {
                        bins = k + 1;
                        // counted now: once the publisher stops, both inputs stall for good
                        stallLines = h.lines("input y (lsl:" + y + "): no sample for");
                        backLines = h.lines("input y: back after");
                        break;
                    }
                }
                assertTrue(bins > 0, "the node did not find the restarted field stream within " + max + " bins: " + h.log);
                got = pull(sub, bins, new double[bins]);
                h.stop();
            } finally {
                if (yo != null) yo.close();
            }
        }
        String log = String.join("\n", h.log);
        assertEquals(1, stallLines, "one line for the stall, then a counter: " + log);
        assertEquals(1, backLines, log);
        assertTrue(h.node.stalledBins(1) >= 20, "bins decoded without the field: " + h.node.stalledBins(1));
        int presentAfter = 0;
        float[][][] grid = new float[bins][2][];
        for (int k = 0; k < bins; k++) {
            assertEquals(1f, got[k][2 * X + D], "spikes present in bin " + k + ": the decoder ran on without the field");
            boolean fieldPresent = got[k][2 * X + D + 1] == 1f;
            if (fieldPresent) {
                assertNotNull(sent[k], "bin " + k + " has a field sample that was never sent");
                if (k > restartAt) presentAfter++;
            } else if (k <= killAt && sent[k] != null) {
                throw new AssertionError("bin " + k + ": a field sample sent before the kill is missing");
            }
            grid[k][0] = spikes[k % spikes.length];
            grid[k][1] = fieldPresent ? sent[k] : null;
        }
        for (int k = killAt + 1; k < restartAt; k++) assertEquals(0f, got[k][2 * X + D + 1], "no field while its source is dead (bin " + k + ")");
        assertTrue(presentAfter >= 15, "field samples decoded after the restart: " + presentAfter + "\n" + log);
        // every value is the offline decoder's for the samples the node binned
        float[][] expected = ServeHarness.offline(model, grid);
        for (int k = 0; k < bins; k++) ServeHarness.assertBitsEqual(expected[k], java.util.Arrays.copyOf(got[k], 2 * X + D), "bin " + k);
        ServeHarness.assertReplays(ServeFixtures.checkpoint(), rec, h.node.bins());
    }
}
