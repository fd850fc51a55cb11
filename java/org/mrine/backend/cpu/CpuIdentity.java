package org.mrine.backend.cpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which CPU this is, beyond its model name: a VM often shows only "AMD EPYC", which a Zen 4 (its
 * 512-bit instructions split in two halves: one core's FMA peak about 118 GFLOP/s on this
 * workplace's machines) and a Zen 5 (full-width: 211 to 262) share, and their best choices differ.
 * The x86 vendor, family, model and stepping tell them apart, so calibrations are stored per
 * identity and benchmark results carry it.
 *
 * @param name      /proc/cpuinfo's model name (the architecture where there is none)
 * @param vendor    vendor_id (AuthenticAMD, GenuineIntel), or "" where unknown
 * @param family    cpu family, or -1
 * @param model     model, or -1
 * @param stepping  stepping, or -1
 */
public record CpuIdentity(String name, String vendor, int family, int model, int stepping) {

    private static volatile CpuIdentity current;

    /** This machine's CPU (read once from /proc/cpuinfo). */
    public static CpuIdentity current() {
        CpuIdentity c = current;
        if (c == null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            } catch (IOException | RuntimeException e) {
                lines = List.of(); // not Linux
            }
            current = c = parse(lines, System.getProperty("os.arch"));
        }
        return c;
    }

    /** The first processor's fields of a /proc/cpuinfo text; {@code arch} names it where there is no model name. */
    static CpuIdentity parse(List<String> cpuinfo, String arch) {
        String name = null, vendor = "";
        int family = -1, model = -1, stepping = -1;
        for (String line : cpuinfo) {
            if (line.isBlank() && name != null) break; // the first processor's block is enough
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).trim(), value = line.substring(colon + 1).trim();
            switch (key) {
                case "model name" -> name = value;
                case "vendor_id" -> vendor = value;
                case "cpu family" -> family = number(value);
                case "model" -> model = number(value);
                case "stepping" -> stepping = number(value);
                default -> { }
            }
        }
        return new CpuIdentity(name != null ? name : arch, vendor, family, model, stepping);
    }

    private static int number(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** "AuthenticAMD family 25 model 17 stepping 1", or the name alone where the numbers are unknown. */
    public String id() {
        if (family < 0) return name;
        return (vendor.isEmpty() ? "" : vendor + " ") + "family " + family + " model " + model + " stepping " + stepping;
    }

    /** "AMD EPYC (AuthenticAMD family 25 model 17 stepping 1, Zen 4)": for people. */
    public String describe() {
        String uarch = microarchitecture();
        if (family < 0) return name;
        return name + " (" + id() + (uarch != null ? ", " + uarch : "") + ")";
    }

    /** The part of a file name that tells this CPU apart: "f25m17s1" (empty where unknown). */
    public String key() {
        return family < 0 ? "" : "f" + family + "m" + model + "s" + stepping;
    }

    /**
     * The microarchitecture of the x86 server and desktop parts this project meets, from family and
     * model (AMD's and Intel's published numbers), or null where not in this short list.
     */
    public String microarchitecture() {
        if (vendor.equals("AuthenticAMD")) {
            if (family == 23) return model < 0x30 ? "Zen or Zen+" : "Zen 2";
            if (family == 25) {
                boolean zen4 = (model >= 0x10 && model <= 0x1f) || (model >= 0x60 && model <= 0x7f) || (model >= 0xa0 && model <= 0xaf);
                return zen4 ? "Zen 4" : "Zen 3";
            }
            if (family == 26) return "Zen 5";
        } else if (vendor.equals("GenuineIntel") && family == 6) {
            return switch (model) {
                case 0x3f -> "Haswell";
                case 0x4f, 0x56 -> "Broadwell";
                case 0x55 -> stepping >= 10 ? "Cooper Lake" : stepping >= 5 ? "Cascade Lake" : "Skylake-SP";
                case 0x6a, 0x6c -> "Ice Lake-SP";
                case 0x8f -> "Sapphire Rapids";
                case 0xcf -> "Emerald Rapids";
                case 0xad, 0xae -> "Granite Rapids";
                case 0xaf -> "Sierra Forest";
                case 0x97, 0x9a -> "Alder Lake";
                case 0xb7, 0xba, 0xbf -> "Raptor Lake";
                default -> null;
            };
        }
        return null;
    }
}
