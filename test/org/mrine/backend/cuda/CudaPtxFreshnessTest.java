package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The committed PTX is what its sources compile to: each kernels/X.ptx carries the SHA-256 of
 * X.cu and the local headers it includes (stamped by kernels/build.sh), and this test recomputes
 * it, so editing a kernel without rebuilding its PTX fails the build. Where nvcc of the release
 * that built the PTX is on the PATH, the PTX is also regenerated and compared byte for byte. The
 * kernel table in Java ({@link Kernel}) must match the PTX entries, parameter by parameter.
 */
class CudaPtxFreshnessTest {
    private static final Pattern HASH = Pattern.compile("^// mrine-source-sha256: ([0-9a-f]{64})$", Pattern.MULTILINE);
    private static final Pattern NVCC = Pattern.compile("^// mrine-nvcc: (\\S+)$", Pattern.MULTILINE);
    private static final Pattern INCLUDE = Pattern.compile("^\\s*#\\s*include\\s*\"([^\"]+)\"", Pattern.MULTILINE);
    private static final Pattern ENTRY = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param\\s+\\.(\\w+)");

    static Path dir() {
        return EmulatedApi.kernelsDir();
    }

    static List<Path> sources() throws IOException {
        try (var s = Files.list(dir())) {
            return s.filter(p -> p.getFileName().toString().endsWith(".cu")).sorted().toList();
        }
    }

    /** Local headers a file includes, recursively, sorted by name. */
    static TreeSet<String> includes(Path cu) throws IOException {
        TreeSet<String> seen = new TreeSet<>();
        List<Path> todo = new ArrayList<>(List.of(cu));
        while (!todo.isEmpty()) {
            Path f = todo.removeLast();
            Matcher m = INCLUDE.matcher(Files.readString(f));
            while (m.find()) {
                Path h = dir().resolve(m.group(1));
                if (Files.isRegularFile(h) && seen.add(m.group(1))) todo.add(h);
            }
        }
        return seen;
    }

    /** As kernels/build.sh: SHA-256 over (name, NUL, bytes) of the .cu and then each included header. */
    static String sourceHash(Path cu) throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        List<String> names = new ArrayList<>();
        names.add(cu.getFileName().toString());
        names.addAll(includes(cu));
        for (String n : names) {
            all.write(n.getBytes(StandardCharsets.UTF_8));
            all.write(0);
            all.write(Files.readAllBytes(dir().resolve(n)));
        }
        return HexFormat.of().formatHex(sha.digest(all.toByteArray()));
    }

    static Path ptxOf(Path cu) {
        String n = cu.getFileName().toString();
        return cu.resolveSibling(n.substring(0, n.length() - 3) + ".ptx");
    }

    @Test
    void everyPtxCarriesTheHashOfItsCurrentSources() throws Exception {
        List<Path> cus = sources();
        assertTrue(cus.size() >= Kernel.modules().size(), "kernel sources: " + cus);
        for (Path cu : cus) {
            Path ptx = ptxOf(cu);
            assertTrue(Files.exists(ptx), ptx + " is missing: run kernels/build.sh and commit the PTX");
            Matcher m = HASH.matcher(Files.readString(ptx));
            assertTrue(m.find(), ptx + " has no mrine-source-sha256 line: build it with kernels/build.sh");
            assertEquals(sourceHash(cu), m.group(1), cu.getFileName() + " (or a header it includes) changed since "
                    + ptx.getFileName() + " was built: run kernels/build.sh and commit the PTX");
        }
    }

    @Test
    void javaKernelTableMatchesThePtxEntries() throws Exception {
        Map<String, String> entries = new LinkedHashMap<>();
        for (String module : Kernel.modules()) {
            Path ptx = dir().resolve(module + ".ptx");
            Matcher e = ENTRY.matcher(Files.readString(ptx));
            while (e.find()) {
                StringBuilder sig = new StringBuilder();
                Matcher p = PARAM.matcher(e.group(2));
                while (p.find()) sig.append(ptxLetter(p.group(1)));
                entries.put(module + ":" + e.group(1), sig.toString());
            }
        }
        Map<String, String> declared = new LinkedHashMap<>();
        for (Kernel k : Kernel.values()) {
            declared.put(k.module + ":" + k.symbol(), k.signature.replace('p', 'u').replace('l', 'u').replace('i', 'w'));
        }
        assertEquals(new TreeSet<>(declared.keySet()), new TreeSet<>(entries.keySet()), "kernels in Java vs entries in the PTX");
        for (var d : declared.entrySet()) {
            assertEquals(d.getValue(), entries.get(d.getKey()), "parameters of " + d.getKey() + " (u: 64-bit, w: 32-bit int, f, d)");
        }
    }

    @Test
    void launchBoundsInThePtxMatchTheJavaTable() throws Exception {
        Pattern bound = Pattern.compile("\\.entry\\s+(\\w+)\\s*\\([^)]*\\)\\s*\\.maxntid\\s+(\\d+),\\s*1,\\s*1");
        Map<String, Integer> found = new LinkedHashMap<>();
        for (String module : Kernel.modules()) {
            Matcher m = bound.matcher(Files.readString(dir().resolve(module + ".ptx")));
            while (m.find()) found.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        for (Kernel k : Kernel.values()) {
            assertEquals(k.maxThreads, found.get(k.symbol()), k.symbol() + ": __launch_bounds__ in the source vs Kernel.maxThreads");
        }
    }

    private static char ptxLetter(String type) {
        return switch (type) {
            case "u64", "s64", "b64" -> 'u';
            case "u32", "s32", "b32" -> 'w';
            case "f32" -> 'f';
            case "f64" -> 'd';
            default -> throw new IllegalArgumentException("PTX parameter type ." + type);
        };
    }

    @Test
    void regeneratedPtxIsIdenticalWhereTheSameNvccIsInstalled() throws Exception {
        String have = nvccVersion();
        CudaTargets.need(have != null, "nvcc", "nvcc is not on the PATH (the hash check above still guards the PTX)");
        for (Path cu : sources()) {
            Path ptx = ptxOf(cu);
            String committed = Files.readString(ptx);
            Matcher v = NVCC.matcher(committed);
            assertTrue(v.find(), ptx + " has no mrine-nvcc line");
            CudaTargets.need(v.group(1).equals(have), "nvcc", "nvcc " + have + " here, the PTX was built with " + v.group(1));
            Path out = Files.createTempFile("mrine-ptx", ".ptx");
            try {
                Process p = new ProcessBuilder("nvcc", "-ptx", "-arch=sm_80", "-o", out.toString(), cu.getFileName().toString())
                        .directory(dir().toFile()).redirectErrorStream(true).start();
                String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "nvcc failed on " + cu + ":\n" + log);
                String body = committed.substring(committed.indexOf('\n', v.end()) + 1);
                assertEquals(Files.readString(out), body, ptx + " is not what nvcc makes of " + cu.getFileName());
            } finally {
                Files.deleteIfExists(out);
            }
        }
    }

    static String nvccVersion() {
        try {
            Process p = new ProcessBuilder("nvcc", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
            Matcher m = Pattern.compile("release [0-9.]+, V([0-9.]+)").matcher(out);
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
