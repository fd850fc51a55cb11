package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.cuda.CudaDevice;

/** Asking for a GPU backend the machine cannot run is one line naming why, exit status 2, no stack trace. */
class BackendUnavailableTest {
    @Test
    void cudaWithoutADeviceIsOneLine(@TempDir Path dir) {
        assumeFalse(CudaDevice.available(), "this machine has a CUDA device");
        Path fixture = Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", "reference-small.safetensors");
        CliRun r = CliRun.of("loss", "--backend", "cuda", "--fixture", fixture.toString(), "--out", dir.resolve("out.safetensors").toString());
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("mrine: backend cuda: ") && r.err().contains(CudaDevice.reason()), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}
