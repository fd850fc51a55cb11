package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The CUDA tests skip what a machine lacks (a device, g++ for the emulation), so this one fails
 * where both are missing: the CUDA suite never runs silently empty. Where the device is off limits
 * and g++ is missing, install g++ (the emulation needs nothing else) or run on a GPU machine.
 */
class CudaSuiteRanTest {
    @Test
    void theDeviceOrTheEmulationRunsTheCudaSuite() {
        boolean device = CudaDevice.available();
        boolean emulationOn = !"false".equals(System.getProperty("mrine.cuda.emulation"));
        String emulationMissing = emulationOn ? EmulatedApi.unavailableReason() : "turned off (-Dmrine.cuda.emulation=false)";
        boolean emulation = emulationMissing == null;
        System.out.println("the CUDA suite runs on: " + (device ? "the device " + CudaDevice.probe().name() : "")
                + (device && emulation ? " and " : "") + (emulation ? "the emulation" : ""));
        assertTrue(device || emulation, "neither a CUDA device (" + CudaDevice.reason() + ") nor the emulation (" + emulationMissing
                + ") is there: every CUDA test would be skipped");
    }
}
