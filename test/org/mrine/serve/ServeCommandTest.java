package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.bench.LocalRedis;
import org.mrine.cli.CliRun;
import redis.clients.jedis.Jedis;

/** {@code mrine serve} as users run it: bad arguments, a missing liblsl, and SIGTERM on a running node (a separate JVM). */
class ServeCommandTest {
    @TempDir
    Path dir;

    /** mrine serve in a child JVM on the serve launcher's collector (ZGC). */
    private static ProcessBuilder mrine(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseZGC",
                "-cp", System.getProperty("java.class.path"), "org.mrine.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectOutput(dir.resolve("out.txt").toFile()).redirectError(dir.resolve("err.txt").toFile());
    }

    @Test
    void badArgumentsAreOneLineAndExitStatus2() {
        String ck = ServeFixtures.checkpoint().toString();
        CliRun r = CliRun.of("serve", "--checkpoint", ck, "--input", "s=ftp://host/x", "--output", "lsl:out");
        assertEquals(2, r.status());
        assertEquals("mrine: --input s= ftp://host/x: expected lsl:NAME, lsl:type=TYPE or redis://HOST:PORT/STREAM[?field=...]", r.err().trim());
        r = CliRun.of("serve", "--checkpoint", ck, "--input", "q=lsl:Q", "--output", "lsl:out");
        assertEquals(2, r.status());
        assertTrue(r.err().trim().startsWith("mrine: --input q=...: the checkpoint's model has no modality q (it has s, y)"), r.err());
        r = CliRun.of("serve", "--checkpoint", ck, "--input", "s=redis://127.0.0.1:6379/x?dtype=float16", "--output", "lsl:out");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("dtype must be one of float32, float64, int8, uint8, int16, int32, int64, text; got float16"), r.err());
        assertEquals(1, r.err().trim().lines().count(), r.err());
        // a placement the machine refuses is said before anything starts
        java.util.List<Integer> cpus = RealtimeThread.affinity();
        int absent = cpus.get(cpus.size() - 1) + 1;
        r = CliRun.of("serve", "--checkpoint", ck, "--input", "s=lsl:S", "--output", "lsl:out", "--pin-cpu", Integer.toString(absent));
        assertEquals(2, r.status());
        assertEquals("mrine: --pin-cpu: CPU " + absent + " is not one this process may run on (it may run on " + cpus + ")", r.err().trim());
        r = CliRun.of("serve", "--checkpoint", ck, "--input", "s=lsl:S", "--output", "lsl:out", "--realtime", "150");
        assertEquals(2, r.status());
        assertEquals("mrine: --realtime: real-time priority 150: expected 1 to 99", r.err().trim());
    }

    /**
     * --realtime where the machine refuses SCHED_FIFO (no CAP_SYS_NICE: a lab's ordinary user): one
     * line, exit 2, before anything starts. Where this JVM may use SCHED_FIFO (root, as in CI), the
     * child runs without that capability (util-linux's setpriv), so the refusal is the kernel's own.
     */
    @Test
    void aRefusedRealtimePriorityIsOneLineAndExit2() throws Exception {
        ProcessBuilder pb = mrine(dir, "serve", "--checkpoint", ServeFixtures.checkpoint().toString(), "--input", "s=lsl:S",
                "--output", "lsl:out", "--realtime", "30");
        if (RealtimeThreadTest.maySchedFifo()) {
            Path setpriv = Path.of("/usr/bin/setpriv");
            assertTrue(Files.isExecutable(setpriv), "setpriv (util-linux) is needed to run mrine without CAP_SYS_NICE");
            List<String> cmd = new ArrayList<>(List.of(setpriv.toString(), "--bounding-set=-sys_nice", "--inh-caps=-sys_nice"));
            cmd.addAll(pb.command());
            pb.command(cmd);
        }
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(dir.resolve("err.txt"));
        assertEquals(2, p.exitValue(), err);
        List<String> lines = err.lines().filter(l -> l.startsWith("mrine")).toList();
        assertEquals(List.of("mrine: --realtime: SCHED_FIFO at priority 30: not permitted: real-time scheduling needs root, "
                + "CAP_SYS_NICE or an RLIMIT_RTPRIO allowance (ulimit -r)"), lines, err);
        assertTrue(!err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void aMissingLiblslIsOneClearError() throws Exception {
        ProcessBuilder pb = mrine(dir, "serve", "--checkpoint", ServeFixtures.checkpoint().toString(), "--input", "s=lsl:Spikes", "--output", "lsl:out");
        pb.environment().put("MRINE_LSL_LIB", dir.resolve("nowhere/liblsl.so").toString());
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        String err = Files.readString(dir.resolve("err.txt"));
        assertEquals(2, p.exitValue(), err);
        String line = err.lines().filter(l -> l.startsWith("mrine: ")).findFirst().orElseThrow(() -> new AssertionError(err));
        assertTrue(line.contains("liblsl (Lab Streaming Layer) not found; tried " + dir.resolve("nowhere/liblsl.so") + " (no such file)")
                && line.contains("native/lsl/build.sh") && line.contains("MRINE_LSL_LIB"), line);
        assertTrue(!err.contains("\tat "), "no stack trace: " + err);
    }

    @Test
    void sigtermFlushesTheOutputsAndExits0() throws Exception {
        Path rec = dir.resolve("node.rec");
        try (LocalRedis redis = LocalRedis.launch()) {
            Process p = mrine(dir, "serve", "--checkpoint", ServeFixtures.checkpoint().toString(),
                    "--input", "s=" + redis.url("t_s") + "?ts=ts&rate=100", "--input", "y=" + redis.url("t_y") + "?ts=ts&rate=20",
                    "--output", redis.url("t_out"), "--record", rec.toString(), "--name", "decoder", "--warmup-steps", "500").start();
            try (Jedis j = new Jedis("127.0.0.1", redis.port())) {
                long deadline = System.nanoTime() + 120_000_000_000L;
                while (j.xlen("decoder_state") == 0) {
                    assertTrue(p.isAlive() && System.nanoTime() < deadline, "the node did not start: " + Files.readString(dir.resolve("err.txt")));
                    Thread.sleep(50);
                }
                assertEquals("running", j.xrange("decoder_state", "-", "+").get(0).getFields().get("status"));
                // time stamps 3 s ahead: the SIGTERM below reaches the node long before bin 50's
                // deadline, even on a loaded machine, so no empty bin after the last sample goes out
                ServeRedisTest.Publisher pub = new ServeRedisTest.Publisher(j, "t_s", "t_y", 3.0);
                float[][] s = ServeFixtures.series("s", 1), y = ServeFixtures.series("y", 1);
                for (int k = 0; k < 50; k++) {
                    pub.paceTo(k);
                    pub.xadd("t_s", SampleCodec.float32(s[k]), pub.ts(k));
                    if (y[k] != null) pub.field(k, y[k]);
                }
                // every sample is in the node before the signal: its two readers are blocked in XREAD
                // again, which waits only where no entry follows the last one read (on a loaded
                // machine the last XADD could otherwise still wait in Redis when the node stops)
                awaitReadersBlocked(j, 2, deadline);
                // SIGTERM while the bins still wait for their deadlines (3 s ahead): they are flushed
                p.destroy();
                assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the node did not stop on SIGTERM");
                String err = Files.readString(dir.resolve("err.txt")), out = Files.readString(dir.resolve("out.txt"));
                assertEquals(0, p.exitValue(), err);
                assertTrue(err.contains("stopping (signal): flushing outputs"), err);
                assertTrue(out.contains("50 bins of 10 ms pushed"), out);
                assertEquals(50, j.xlen("t_out"), "every bin that held a sample went out");
                var states = j.xrange("decoder_state", "-", "+");
                var last = states.get(states.size() - 1).getFields();
                assertEquals("done", last.get("status"));
                assertTrue(last.get("detail").contains("input s (" + redis.url("t_s") + "?ts=ts&rate=100): 50 samples binned"), last.get("detail"));
            } finally {
                p.destroyForcibly();
            }
        }
        ServeHarness.assertReplays(ServeFixtures.checkpoint(), rec, 50);
    }

    /** Waits until this many Redis clients are blocked in XREAD (CLIENT LIST: flags=b, cmd=xread). */
    private static void awaitReadersBlocked(Jedis j, int readers, long deadline) throws InterruptedException {
        while (true) {
            String clients = j.clientList();
            long blocked = clients.lines().map(l -> " " + l + " ").filter(l -> l.contains(" flags=b ") && l.contains(" cmd=xread ")).count();
            if (blocked >= readers) return;
            assertTrue(System.nanoTime() < deadline, "the node's readers did not take every entry: " + clients);
            Thread.sleep(5);
        }
    }
}
