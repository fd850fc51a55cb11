package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import org.mrine.cli.Main;
import org.mrine.stream.StreamingDecoder;

/** Runs a node on a thread of the test JVM, and the checks the serve tests share. */
final class ServeHarness implements AutoCloseable {
    final ServeNode node;
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    private final Thread thread;
    private volatile Throwable failure;

    ServeHarness(ServeModel model, String[] inputs, List<String> outputs, Path record, ServeNode.Options opt) {
        Consumer<String> sink = log::add;
        Source[] sources = new Source[model.modalities().size()];
        for (int m = 0; m < sources.length; m++) {
            if (inputs[m] == null) continue;
            String name = model.modalities().get(m).name();
            sources[m] = Source.open(ServeUri.parse("--input", inputs[m]), name, model.modalities().get(m).channels(), sink);
        }
        List<Sink> sinks = new ArrayList<>();
        for (String o : outputs) {
            sinks.add(Sink.open(ServeUri.parse("--output", o), opt.name(), sources.length, model.config().latentDim(), model.behaviorDim(), opt.binMs(), sink));
        }
        node = new ServeNode(model, sources, sinks, record, opt, sink);
        thread = Thread.ofPlatform().name("serve-under-test").start(() -> {
            try {
                node.run();
            } catch (Throwable t) {
                failure = t;
            }
        });
    }

    /**
     * Options for tests: 10 ms bins, 20 ms lateness, stop after maxBins or 30 s, a short JIT warm-up,
     * and a 2 s stall time, so that a loaded machine's scheduling hiccup never makes the node stop
     * waiting for an input (the tests of stalls set their own).
     */
    static ServeNode.Options options(long maxBins) {
        return new ServeNode.Options(10, 20, 2000, Double.NaN, maxBins, 30, "mrine_test", 500);
    }

    /** Waits for the node to end (its bin limit), then closes it; fails on an exception in the node. */
    void finish() {
        try {
            thread.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertTrue(!thread.isAlive(), "the node did not stop");
        node.close();
        if (failure != null) throw new AssertionError("the node failed", failure);
    }

    void stop() {
        node.stop();
        finish();
    }

    @Override
    public void close() {
        if (thread.isAlive()) {
            node.stop();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            node.close();
        }
    }

    /** Waits (up to 20 s) until the node has logged at least n lines containing text; fails otherwise. */
    void awaitLog(String containing, int n) {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (lines(containing) < n) {
            if (System.nanoTime() > deadline) throw new AssertionError("the node did not log '" + containing + "' " + n + " times: " + log);
            sleepUntil(System.nanoTime() + 5_000_000L);
        }
    }

    long lines(String containing) {
        synchronized (log) {
            return log.stream().filter(l -> l.contains(containing)).count();
        }
    }

    /** The offline decoder's outputs for a grid of samples: [bins][latent ++ covDiag ++ behavior]. */
    static float[][] offline(ServeModel model, float[][][] grid) {
        StreamingDecoder d = model.newDecoder();
        int X = model.config().latentDim(), D = model.behaviorDim();
        float[] cov = new float[X * X];
        float[][] out = new float[grid.length][];
        for (int k = 0; k < grid.length; k++) {
            d.push(grid[k]);
            d.covariance(cov);
            float[] o = new float[2 * X + D];
            System.arraycopy(d.latent(), 0, o, 0, X);
            for (int i = 0; i < X; i++) o[X + i] = cov[i * X + i];
            System.arraycopy(d.behavior(), 0, o, 2 * X, D);
            out[k] = o;
        }
        return out;
    }

    static void assertBitsEqual(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToRawIntBits(expected[i]) != Float.floatToRawIntBits(actual[i])) {
                throw new AssertionError(what + ": element " + i + " is " + actual[i] + ", the offline decoder gives " + expected[i]);
            }
        }
    }

    /** mrine stream --checkpoint C --input RECORDING: exit 0 and every output reproduced bit for bit. */
    static void assertReplays(Path checkpoint, Path recording, long outputs) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        int rc;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            rc = Main.execute("stream", "--checkpoint", checkpoint.toString(), "--input", recording.toString());
        } finally {
            System.setOut(old);
        }
        String text = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, rc, text);
        assertTrue(text.contains("all " + outputs + " outputs reproduced bit for bit"), text);
    }

    /** Sleeps until System.nanoTime reaches t. */
    static void sleepUntil(long t) {
        long d;
        while ((d = t - System.nanoTime()) > 0) {
            try {
                Thread.sleep(d / 1_000_000, (int) (d % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
