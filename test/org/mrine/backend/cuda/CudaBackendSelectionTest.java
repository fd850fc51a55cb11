package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;

/**
 * --backend cpu|cuda|auto: auto takes the GPU when there is one, else the CPU with one line saying why
 * (that, and cuda without a device, in a JVM that sees none on every machine: {@code
 * org.mrine.cli.BackendUnavailableTest}).
 */
class CudaBackendSelectionTest {

    static String logOf(java.util.function.Consumer<PrintStream> f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream log = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            f.accept(log);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void probeGivesAReasonExactlyWhenThereIsNoDevice() {
        CudaDevice.Probe p = CudaDevice.probe();
        assertEquals(p.available(), p.reason().isEmpty(), p.toString());
        assertEquals(p.available(), p.devices() > 0, p.toString());
    }

    @Test
    void autoTakesTheDeviceWhenThereIsOne() {
        CudaTargets.needDevice();  // a skip here, a failure under -Dmrine.require=cuda (the device run)
        String log = logOf(out -> {
            try (Backend be = Backends.create("auto", out)) {
                assertEquals("cuda", be.name());
                assertEquals(CudaDevice.probe().name(), ((CudaBackend) be).deviceName());
            }
        });
        assertEquals("", log, "auto says nothing when it gets the GPU");
    }

    @Test
    void cpuIsAlwaysTheCpuAndUnknownNamesAreRefused() {
        String log = logOf(out -> {
            try (Backend be = Backends.create("cpu", out)) {
                assertEquals("cpu", be.name());
            }
        });
        assertEquals("", log);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("gpu"));
        assertTrue(e.getMessage().contains("cpu, cuda or auto"), e.getMessage());
    }

    @Test
    void jcudaClassesAreOnTheClasspath() throws Exception {
        // the driver-API binding ships with the backend; only driver initialisation needs a GPU
        assertFalse(Class.forName("jcuda.driver.CUdeviceptr", false, getClass().getClassLoader()).isInterface());
        assertTrue(getClass().getResource("/kernels/kalman.ptx") != null, "PTX resources are packaged");
    }
}
