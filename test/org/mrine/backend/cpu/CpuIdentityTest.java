package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A VM shows a Zen 4 and a Zen 5 both as "AMD EPYC" (this workplace lends both): their stored
 * calibrations and benchmark results must still be told apart, by family, model and stepping.
 */
class CpuIdentityTest {

    /** The first lines of /proc/cpuinfo on two of this workplace's 2-core VMs and an ARM board. */
    private static List<String> cpuinfo(String vendor, String family, String model, String stepping, String name) {
        return List.of("processor\t: 0", "vendor_id\t: " + vendor, "cpu family\t: " + family, "model\t\t: " + model,
                "model name\t: " + name, "stepping\t: " + stepping, "flags\t\t: fpu avx2", "",
                "processor\t: 1", "vendor_id\t: " + vendor, "cpu family\t: 99", "model\t\t: 99", "model name\t: other", "");
    }

    @Test
    void zen4AndZen5UnderOneNameAreTwoCpus() {
        CpuIdentity zen4 = CpuIdentity.parse(cpuinfo("AuthenticAMD", "25", "17", "1", "AMD EPYC"), "amd64");
        CpuIdentity zen5 = CpuIdentity.parse(cpuinfo("AuthenticAMD", "26", "2", "1", "AMD EPYC"), "amd64");
        assertEquals("AMD EPYC", zen4.name());
        assertEquals("AuthenticAMD family 25 model 17 stepping 1", zen4.id()); // the first processor's block only
        assertEquals("Zen 4", zen4.microarchitecture());
        assertEquals("Zen 5", zen5.microarchitecture());
        assertEquals("f25m17s1", zen4.key());
        assertNotEquals(zen4.key(), zen5.key());
        assertEquals("AMD EPYC (AuthenticAMD family 25 model 17 stepping 1, Zen 4)", zen4.describe());
        assertEquals("Zen 3", CpuIdentity.parse(cpuinfo("AuthenticAMD", "25", "1", "1", "AMD EPYC 7B13"), "amd64").microarchitecture());
    }

    @Test
    void intelServerParts() {
        assertEquals("Sapphire Rapids", CpuIdentity.parse(cpuinfo("GenuineIntel", "6", "143", "8",
                "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz"), "amd64").microarchitecture());
        assertEquals("Cascade Lake", CpuIdentity.parse(cpuinfo("GenuineIntel", "6", "85", "7",
                "Intel(R) Xeon(R) CPU @ 2.80GHz"), "amd64").microarchitecture());
        assertEquals("Skylake-SP", CpuIdentity.parse(cpuinfo("GenuineIntel", "6", "85", "4",
                "Intel(R) Xeon(R) CPU @ 2.00GHz"), "amd64").microarchitecture());
        assertNull(CpuIdentity.parse(cpuinfo("GenuineIntel", "6", "1", "0", "old"), "amd64").microarchitecture());
    }

    @Test
    void withoutX86FieldsTheNameAlone() {
        CpuIdentity arm = CpuIdentity.parse(List.of("processor\t: 0", "BogoMIPS\t: 50.00", "CPU part\t: 0xd0c", ""), "aarch64");
        assertEquals("aarch64", arm.name());
        assertEquals("aarch64", arm.id());
        assertEquals("", arm.key());
        assertEquals("aarch64", arm.describe());
    }

    /** This machine: what the stored calibration's file name carries is what /proc/cpuinfo says. */
    @Test
    void thisMachinesCalibrationFileNamesItsCpu() throws IOException {
        CpuIdentity here = CpuIdentity.current();
        String file = CpuTuning.storedPath().getFileName().toString();
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo) && Files.readString(cpuinfo).contains("cpu family")) {
            assertTrue(here.family() >= 0 && here.model() >= 0 && here.stepping() >= 0, here.id());
            assertTrue(file.contains("-" + here.key() + "-"), file + " lacks " + here.key());
        } else {
            assertFalse(file.contains("--"), file);
        }
        assertTrue(file.matches(".*-\\d+bit(-32reg)?(-nostrip)?\\.json"), file);
    }
}
