package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The default tile follows the registers the JVM really has, not the vector width alone: run by
 * every surefire execution (the machine's own width, -XX:UseAVX=2 and -XX:MaxVectorSize=16), so on
 * an AVX-512 machine all three cases are met: 512-bit vectors (32 registers), AVX2 (16), and
 * 128-bit vectors still encoded with AVX-512 (32 registers, where 6x4 ran twice as fast as 6x2).
 * The stored calibration's file tells the register counts apart too.
 */
class VectorRegistersTest {
    @Test
    void defaultTileFitsTheRegistersTheJvmHas() throws Exception {
        String arch = System.getProperty("os.arch");
        int bits = FloatVector.SPECIES_PREFERRED.vectorBitSize();
        int expected;
        if (arch.equals("aarch64")) {
            expected = 32;
        } else if (!arch.equals("amd64")) {
            expected = 16;
        } else if (bits >= 512) {
            expected = 32;
        } else {
            // narrower vectors: still AVX-512's encoding (registers 16 to 31) wherever the CPU has it,
            // unless the JVM was held to AVX2 or below
            boolean heldBack = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                    .anyMatch(a -> a.matches("-XX:UseAVX=[0-2]"));
            expected = avx512Cpu() && !heldBack ? 32 : 16;
        }
        assertEquals(expected, CpuTuning.vectorRegisters(), "vector registers at " + bits + " bits on " + arch);
        assertEquals(expected == 32 ? "6x4" : "6x2", CpuTuning.defaults().tile());
        // and the calibration of 16 registers is not the one read with 32 (nor the reverse)
        String file = CpuTuning.storedPath().getFileName().toString();
        assertEquals(bits < 512 && expected == 32, file.endsWith("bit-32reg.json"), file);
    }

    /** AVX-512 with the 128/256-bit forms (VL), except the early Skylake-SP steppings HotSpot keeps at AVX2. */
    private static boolean avx512Cpu() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
        String flags = lines.stream().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        boolean avx512 = flags.contains(" avx512f") && flags.contains(" avx512vl");
        boolean intel = lines.stream().anyMatch(l -> l.startsWith("vendor_id") && l.contains("GenuineIntel"));
        int model = field(lines, "model"), stepping = field(lines, "stepping");
        return avx512 && !(intel && model == 85 && stepping < 5);
    }

    private static int field(List<String> lines, String name) {
        for (String l : lines) {
            String[] kv = l.split(":", 2);
            if (kv.length == 2 && kv[0].strip().equals(name)) return Integer.parseInt(kv[1].strip());
        }
        return -1;
    }
}
