package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.cpu.VectorJit;
import org.mrine.io.Json;

/**
 * Both launchers run the JVM with C2's strip-mined loops, which ParallelGC (their collector for
 * training) leaves off and without which the Java GEMM tiles ran up to 2x slower (VectorJit); a JVM
 * that lacks them is told once, on the first kernel. Child JVMs with each launcher's own flags, read
 * from the launchers.
 */
class LoopStripMiningTest {
    private static final String WARNING = "does not strip-mine loops";

    @TempDir
    Path dir;

    @Test
    void bothLaunchersStripMineLoops() {
        for (List<String> launcher : List.of(LauncherFlags.dev(), LauncherFlags.dist())) {
            assertTrue(launcher.contains("-XX:+UseParallelGC"), "the training collector: " + launcher);
            Map<String, Object> loops = loopStripMining(launcher);
            assertEquals(Map.of("UseCountedLoopSafepoints", true, "LoopStripMiningIter", 1000L, "in_force", true), loops, launcher.toString());
            CliRun loss = loss(launcher, "run" + launcher.size());
            assertEquals(0, loss.status(), loss.err());
            assertFalse(loss.err().contains(WARNING), launcher + ":\n" + loss.err());
        }
    }

    @Test
    void aJvmWithoutThemIsToldOnce() {
        List<String> parallelGc = List.of("-XX:+UseParallelGC");
        assertEquals(Map.of("UseCountedLoopSafepoints", false, "LoopStripMiningIter", 0L, "in_force", false), loopStripMining(parallelGc));
        CliRun loss = loss(parallelGc, "plain");
        assertEquals(0, loss.status(), loss.err());
        List<String> told = loss.err().lines().filter(l -> l.contains(WARNING)).toList();
        assertEquals(1, told.size(), loss.err());
        assertTrue(told.getFirst().startsWith("mrine: ") && told.getFirst().contains(VectorJit.LOOP_FLAGS), told.getFirst());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> loopStripMining(List<String> jvmFlags) {
        CliRun show = NoDeviceRun.of(jvmFlags, "tune", "--show");
        assertEquals(0, show.status(), show.err());
        Map<String, Object> shown = (Map<String, Object>) Json.parse(show.out().trim());
        Map<String, Object> loops = (Map<String, Object>) shown.get("loop_strip_mining");
        // Json reads numbers as doubles or longs: compare as the engine writes them
        Map<String, Object> out = new java.util.LinkedHashMap<>(loops);
        out.put("LoopStripMiningIter", ((Number) loops.get("LoopStripMiningIter")).longValue());
        return out;
    }

    /** mrine loss on the small reference fixture: the first GEMM runs within a second; no first-use calibration. */
    private CliRun loss(List<String> jvmFlags, String name) {
        List<String> flags = new ArrayList<>(jvmFlags);
        flags.add("-Dmrine.tuning=off");
        Path fixture = Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", "reference-small.safetensors");
        return NoDeviceRun.of(flags, "loss", "--fixture", fixture.toString(), "--out", dir.resolve(name + ".safetensors").toString());
    }
}
