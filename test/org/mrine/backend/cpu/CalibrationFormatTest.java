package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.cli.CliRun;
import org.mrine.cli.NoDeviceRun;
import org.mrine.io.Json;

/**
 * A calibration stored before the launchers strip-mined C2's loops (format 1: no field) was measured
 * on kernels up to 2x slower: its choices are not taken, and it does not count as stored, so the
 * launcher's first use measures again. A JVM without strip-mined loops keeps its own file. Child JVMs
 * (each with its own cache folder) for what a run takes; stored() in this JVM.
 */
class CalibrationFormatTest {
    @TempDir
    Path cache;

    @Test
    void aCalibrationOfTheEarlierFormatIsNotTaken() throws IOException {
        Path file = cache.resolve("cpu-tuning").resolve(CpuTuning.storedPath().getFileName());
        Files.createDirectories(file.getParent());
        String choices = "{\"threads\":1,\"gemm.tile\":\"4x2\",\"gemm.block_kb\":128,\"parallel.work\":524288,\"spin.us\":100,\"blas\":\"java\",\"blas.work\":262144}";
        Files.writeString(file, "{\"choices\":" + choices + ",\"measured\":{}}\n");
        Shown old = show(List.of());
        assertEquals("defaults", old.shown().get("source"), old.run().out());
        assertTrue(old.run().err().contains("not using the CPU calibration in " + file + ": measured by an earlier mrine"), old.run().err());
        assertFalse(storedIn(cache), "an earlier format does not count as stored: the first use measures again");

        Files.writeString(file, "{\"format\":" + CpuTuning.FORMAT + ",\"choices\":" + choices + ",\"measured\":{}}\n");
        Shown now = show(List.of());
        assertEquals(file.toString(), now.shown().get("source"), now.run().err());
        assertEquals("4x2", ((Map<?, ?>) now.shown().get("choices")).get("gemm.tile"));
        assertTrue(storedIn(cache));
    }

    @Test
    void aJvmWithoutStripMinedLoopsKeepsItsOwnFile() {
        String withLoops = (String) show(List.of()).shown().get("stored_file");
        String without = (String) show(List.of("-XX:+UseParallelGC")).shown().get("stored_file");
        assertFalse(withLoops.endsWith("-nostrip.json"), withLoops);
        assertEquals(withLoops.replace(".json", "-nostrip.json"), without);
    }

    private record Shown(CliRun run, Map<String, Object> shown) {
    }

    @SuppressWarnings("unchecked")
    private Shown show(List<String> flags) {
        List<String> all = new java.util.ArrayList<>(flags);
        all.add("-Dmrine.cache.dir=" + cache);
        CliRun r = NoDeviceRun.of(all, "tune", "--show");
        assertEquals(0, r.status(), r.err());
        return new Shown(r, (Map<String, Object>) Json.parse(r.out().trim()));
    }

    private static boolean storedIn(Path cache) {
        String before = System.getProperty("mrine.cache.dir");
        System.setProperty("mrine.cache.dir", cache.toString());
        try {
            return CpuTuning.stored();
        } finally {
            if (before == null) System.clearProperty("mrine.cache.dir");
            else System.setProperty("mrine.cache.dir", before);
        }
    }
}
