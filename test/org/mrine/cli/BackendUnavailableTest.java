package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Asking for a GPU backend the machine cannot run is one line naming why, exit status 2, no stack
 * trace; {@code --backend auto} says in one line that it runs on the CPU, and why. Checked in a JVM
 * that sees no device ({@link NoDeviceRun}): on a machine without a driver and on the GPU machine with
 * its devices hidden.
 */
class BackendUnavailableTest {
    /** Why a JVM has no usable device (CudaDevice.probe): no driver here; a driver and no visible device on the GPU machine. */
    static final Pattern NO_DEVICE = Pattern.compile("no NVIDIA driver \\(libcuda\\.so\\.1 not found\\)|CUDA_ERROR_NO_DEVICE|the NVIDIA driver reports no CUDA device");

    static final Path FIXTURE = Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", "reference-small.safetensors");

    @Test
    void cudaWithoutADeviceIsOneLine(@TempDir Path dir) {
        Path out = dir.resolve("out.safetensors");
        CliRun r = NoDeviceRun.of("loss", "--backend", "cuda", "--fixture", FIXTURE.toString(), "--out", out.toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mrine: backend cuda: ") && NO_DEVICE.matcher(r.err()).find(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void autoWithoutADeviceRunsOnTheCpuAndSaysWhyInOneLine(@TempDir Path dir) {
        Path out = dir.resolve("out.safetensors");
        CliRun r = NoDeviceRun.of("loss", "--backend", "auto", "--fixture", FIXTURE.toString(), "--out", out.toString());
        assertEquals(0, r.status(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("mrine: backend auto: using cpu (") && NO_DEVICE.matcher(r.err()).find(), r.err());
        assertTrue(Files.exists(out), "the losses written");
    }
}
