package org.mrine.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.mrine.backend.cuda.CudaDevice;
import org.mrine.io.Json;

/**
 * Builds bench/gpu-run.sh's result JSON one phase at a time, so that a phase that hangs or fails
 * loses only itself: every command reads the result file, adds to it and writes it back atomically.
 * <pre>
 * GpuRunResult facts  RESULT BACKEND [COMMIT_FILE]    backend, device, driver, commit, date, machine
 * GpuRunResult phase  RESULT NAME STATUS SECONDS      phases.NAME = {status, seconds}
 * GpuRunResult merge  RESULT FILE                     the object in FILE, key by key (never backend, device,
 *                                                     commit, date, phases, gpu_tests: set by the run)
 * GpuRunResult put    RESULT KEY FILE                 KEY = the JSON value in FILE
 * GpuRunResult text   RESULT KEY FILE                 KEY = FILE's text (at most 16 KiB)
 * GpuRunResult junit  RESULT XML...                   gpu_tests += {run, failed, skipped} of JUnit XML reports,
 *                                                     and the names of failed tests
 * GpuRunResult parity RESULT DIR                      parity = {tag: object} of DIR/parity-TAG.json
 * GpuRunResult cpu    RESULT DIR                      cpu_host = the cpu phase's files in DIR ({@link CpuHostResult})
 * </pre>
 * A missing or unreadable input is recorded as {@code {"error": "..."}} under its key, never thrown:
 * the result must survive a broken phase.
 */
public final class GpuRunResult {
    /** Keys only the run itself sets: a merged benchmark object does not overwrite them. */
    static final Set<String> OWN = Set.of("backend", "device", "commit", "date", "phases", "gpu_tests");

    private GpuRunResult() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) throw new IllegalArgumentException("usage: GpuRunResult facts|phase|merge|put|text|junit|parity|cpu RESULT ...");
        Path file = Path.of(args[1]);
        Map<String, Object> r = read(file);
        switch (args[0]) {
            case "facts" -> facts(r, args[2], args.length > 3 ? Path.of(args[3]) : null);
            case "phase" -> phase(r, args[2], args[3], Double.parseDouble(args[4]));
            case "merge" -> merge(r, Path.of(args[2]));
            case "put" -> r.put(args[2], readValue(Path.of(args[3])));
            case "text" -> r.put(args[2], text(Path.of(args[3])));
            case "junit" -> {
                for (int i = 2; i < args.length; i++) junit(r, Path.of(args[i]));
            }
            case "parity" -> parity(r, Path.of(args[2]));
            case "cpu" -> r.put("cpu_host", CpuHostResult.assemble(Path.of(args[2])));
            default -> throw new IllegalArgumentException("unknown command " + args[0]);
        }
        write(file, r);
    }

    static Map<String, Object> read(Path file) throws IOException {
        if (!Files.exists(file)) return new LinkedHashMap<>();
        return new LinkedHashMap<>(Json.object(Json.parse(Files.readString(file)), file.toString()));
    }

    static void write(Path file, Map<String, Object> r) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, Json.write(r) + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    static Object readValue(Path file) {
        try {
            return Json.parse(Files.readString(file).strip());
        } catch (IOException | RuntimeException e) {
            return Map.of("error", "no JSON in " + file.getFileName() + ": " + e.getMessage());
        }
    }

    static String text(Path file) {
        try {
            String t = Files.readString(file).strip();
            return t.length() > 16384 ? t.substring(t.length() - 16384) : t;
        } catch (IOException e) {
            return "(no " + file.getFileName() + ": " + e.getMessage() + ")";
        }
    }

    static void facts(Map<String, Object> r, String backend, Path commitFile) {
        r.put("backend", backend);
        CudaDevice.Probe probe = CudaDevice.probe();
        if (backend.equals("cuda")) {
            r.put("device", probe.available() ? probe.name() : "none: " + probe.reason());
            r.put("driver_cuda", probe.driverRelease());
        } else {
            r.put("device", "CUDA emulation (CPU)");
        }
        String commit = MachineInfo.commit();
        if (commitFile != null && Files.exists(commitFile)) commit = text(commitFile);
        r.put("commit", commit);
        r.put("date", java.time.LocalDate.now().toString());
        r.put("machine", MachineInfo.describe());
        r.putIfAbsent("phases", new LinkedHashMap<String, Object>());
    }

    @SuppressWarnings("unchecked")
    static void phase(Map<String, Object> r, String name, String status, double seconds) {
        Map<String, Object> phases = new LinkedHashMap<>((Map<String, Object>) r.getOrDefault("phases", Map.of()));
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("status", status);
        p.put("seconds", seconds);
        phases.put(name, p);
        r.put("phases", phases);
    }

    static void merge(Map<String, Object> r, Path file) {
        Object v = readValue(file);
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                String k = String.valueOf(e.getKey());
                if (!OWN.contains(k) || !r.containsKey(k)) r.put(k, e.getValue());
            }
        } else {
            r.put("merge_error_" + file.getFileName(), v);
        }
    }

    /** Adds a JUnit XML report (the console launcher's legacy XML) to gpu_tests. */
    @SuppressWarnings("unchecked")
    static void junit(Map<String, Object> r, Path xml) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("run", 0L);
        t.put("failed", 0L);
        t.put("skipped", 0L);
        t.putAll((Map<String, Object>) r.getOrDefault("gpu_tests", Map.of()));
        List<Object> failures = new ArrayList<>((List<Object>) t.getOrDefault("failures", List.of()));
        String text;
        try {
            text = Files.readString(xml);
        } catch (IOException e) {
            failures.add("no report " + xml.getFileName() + " (the phase did not finish)");
            t.put("failures", failures);
            r.put("gpu_tests", t);
            return;
        }
        long tests = 0, failed = 0, skipped = 0;
        Matcher suite = Pattern.compile("<testsuite\\b([^>]*)>").matcher(text);
        while (suite.find()) {
            tests += attribute(suite.group(1), "tests");
            failed += attribute(suite.group(1), "failures") + attribute(suite.group(1), "errors");
            skipped += attribute(suite.group(1), "skipped");
        }
        Matcher tc = Pattern.compile("<testcase\\b([^>]*?)(/>|>(.*?)</testcase>)", Pattern.DOTALL).matcher(text);
        while (tc.find()) {
            String body = tc.group(3) == null ? "" : tc.group(3);
            if (body.contains("<failure") || body.contains("<error")) {
                Matcher n = Pattern.compile("name=\"([^\"]*)\"").matcher(tc.group(1));
                Matcher c = Pattern.compile("classname=\"([^\"]*)\"").matcher(tc.group(1));
                failures.add((c.find() ? c.group(1) + "." : "") + (n.find() ? n.group(1) : "?"));
            }
        }
        t.put("run", ((Number) t.get("run")).longValue() + tests - skipped);
        t.put("failed", ((Number) t.get("failed")).longValue() + failed);
        t.put("skipped", ((Number) t.get("skipped")).longValue() + skipped);
        t.put("failures", failures);
        r.put("gpu_tests", t);
    }

    private static long attribute(String attrs, String name) {
        Matcher a = Pattern.compile("\\b" + name + "=\"(\\d+)\"").matcher(attrs);
        return a.find() ? Long.parseLong(a.group(1)) : 0;
    }

    static void parity(Map<String, Object> r, Path dir) {
        Map<String, Object> p = new LinkedHashMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith("parity-") && n.endsWith(".json")) p.put(n.substring(7, n.length() - 5), readValue(f));
            }
        } catch (IOException | UncheckedIOException e) {
            p.put("error", "no parity reports in " + dir + ": " + e.getMessage());
        }
        r.put("parity", p);
    }
}
