package org.mrine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import org.mrine.backend.cpu.CpuIdentity;
import org.mrine.backend.cpu.CpuTuning;

/** What a benchmark result must say about where it ran. */
public final class MachineInfo {
    private MachineInfo() {
    }

    public static Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        CpuIdentity cpu = CpuIdentity.current();
        m.put("cpu", cpu.name());
        m.put("cpu_id", cpu.id());
        if (cpu.microarchitecture() != null) m.put("microarchitecture", cpu.microarchitecture());
        m.put("vector_bits", FloatVector.SPECIES_PREFERRED.vectorBitSize());
        // 16 or 32: which register tiles fit (an AVX-512 CPU whose JVM keeps to AVX2 has 16)
        m.put("vector_registers", CpuTuning.vectorRegisters());
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("max_heap_mb", Runtime.getRuntime().maxMemory() / (1 << 20));
        return m;
    }

    /** Peak resident memory of this process in MiB (Linux VmHWM), or -1 where unknown. */
    public static double peakResidentMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }

    /** The 1-minute load average (Linux /proc/loadavg), or -1: how busy the machine was. */
    public static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The git commit of the working directory, or "unknown". */
    public static String commit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }
}
