package org.mrine.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue 16's figures on the device machine's own CPU: what bench/gpu-run.sh's cpu phase leaves in a
 * folder, as result.json's {@code cpu_host}. The files:
 * <pre>
 * lscpu.txt                 the CPU (lscpu without its flags, and the vector extensions)
 * tune-C.json               mrine tune's object on C cores
 * ours-C-N.json             round N of this engine's training step on C cores (TrainStepProcess)
 * ref-C-N-tT.json           round N of the published reference (time_reference.py) with T torch
 *                           threads (0: torch's default), timed just before ours
 * reference-missing.txt     why there is no reference (not carried, no PyTorch)
 * stream.json               mrine bench --stream (the CPU's streaming figures)
 * threads-T.json            this engine's training step on all cores with T threads (-Dmrine.threads)
 * </pre>
 * Per core count: the choices, every round (ours; the reference at each thread count; the ratio
 * against the reference's faster thread count, ms per sample-step), and the median ratio. The
 * reference's faster count, because torch's default is not always its best: on the 2-core AMD EPYC
 * of bench/README its default is one thread, and two threads take twice as long. And the step's
 * thread scaling, ms per sample-step by thread count with the fastest count, a fresh JVM per count:
 * it checks the thread count {@code mrine tune} chose from the same step timed in one JVM
 * ({@code tuning_step_ms_by_threads}).
 */
final class CpuHostResult {
    private static final Pattern FILE = Pattern.compile("(tune|ours|ref)-(\\d+)(?:-(\\d+))?(?:-t(\\d+))?\\.json");
    private static final Pattern THREADS_FILE = Pattern.compile("threads-(\\d+)\\.json");

    private CpuHostResult() {
    }

    static Map<String, Object> assemble(Path dir) {
        Map<String, Object> host = new LinkedHashMap<>();
        host.put("lscpu", GpuRunResult.text(dir.resolve("lscpu.txt")));
        Path missing = dir.resolve("reference-missing.txt");
        if (Files.exists(missing)) host.put("reference_missing", GpuRunResult.text(missing));
        // cores (most first) -> round -> its files; a tune file alone still shows the choices
        Map<Integer, Map<Integer, List<Matcher>>> byCores = new TreeMap<>(Comparator.reverseOrder());
        // thread count -> its file, fewest threads first
        Map<Integer, Path> threadFiles = new TreeMap<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                Matcher t = THREADS_FILE.matcher(f.getFileName().toString());
                if (t.matches()) threadFiles.put(Integer.parseInt(t.group(1)), f);
                Matcher m = FILE.matcher(f.getFileName().toString());
                if (!m.matches()) continue;
                Map<Integer, List<Matcher>> rounds = byCores.computeIfAbsent(Integer.parseInt(m.group(2)), c -> new TreeMap<>());
                if (m.group(3) != null) rounds.computeIfAbsent(Integer.parseInt(m.group(3)), n -> new ArrayList<>()).add(m);
            }
        } catch (IOException | UncheckedIOException e) {
            host.put("error", "no cpu phase files in " + dir + ": " + e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<Integer, Map<Integer, List<Matcher>>> c : byCores.entrySet()) {
            Map<String, Object> figures = new LinkedHashMap<>();
            Path tuneFile = dir.resolve("tune-" + c.getKey() + ".json");
            if (Files.exists(tuneFile)) {
                Object tune = GpuRunResult.readValue(tuneFile);
                figures.put("tuning", tune instanceof Map<?, ?> t && t.containsKey("choices") ? t.get("choices") : tune);
                // the calibration's own step timing (one JVM, in turns), beside thread_scaling's (a JVM per count)
                if (tune instanceof Map<?, ?> t && t.get("measured") instanceof Map<?, ?> m && m.get("step_ms_per_sample_step_by_threads") != null) {
                    figures.put("tuning_step_ms_by_threads", m.get("step_ms_per_sample_step_by_threads"));
                }
            }
            List<Object> rounds = new ArrayList<>();
            List<Double> ratios = new ArrayList<>();
            for (Map.Entry<Integer, List<Matcher>> n : c.getValue().entrySet()) {
                Map<String, Object> round = round(dir, n.getKey(), n.getValue());
                if (round.get("ratio") instanceof Double r) ratios.add(r);
                rounds.add(round);
            }
            figures.put("rounds", rounds);
            if (!ratios.isEmpty()) figures.put("median_ratio", Stats.round(Stats.median(ratios.stream().mapToDouble(Double::doubleValue).toArray()), 2));
            out.put(String.valueOf(c.getKey()), figures);
        }
        host.put("by_cores", out);
        Map<String, Object> scaling = threadScaling(threadFiles);
        if (!scaling.isEmpty()) host.put("thread_scaling", scaling);
        Path stream = dir.resolve("stream.json");
        if (Files.exists(stream)) {
            Object s = GpuRunResult.readValue(stream);
            host.put("stream", s instanceof Map<?, ?> m && m.containsKey("stream") ? m.get("stream") : s);
        }
        return host;
    }

    /** One round: ours, the reference at each thread count, the ratio against its faster one. */
    private static Map<String, Object> round(Path dir, int n, List<Matcher> files) {
        Map<String, Object> round = new LinkedHashMap<>();
        round.put("round", (long) n);
        Double ours = null, reference = null;
        List<Object> references = new ArrayList<>();
        for (Matcher f : files) {
            Object v = GpuRunResult.readValue(dir.resolve(f.group()));
            Double ms = msPerSampleStep(v);
            if (f.group(1).equals("ours")) {
                ours = ms;
                round.put("mrine_ms_per_sample_step", ms != null ? ms : v);
            } else {
                Map<String, Object> ref = new LinkedHashMap<>();
                ref.put("threads_asked", f.group(4) == null ? 0L : Long.parseLong(f.group(4)));
                if (v instanceof Map<?, ?> m) {
                    for (String k : List.of("torch_threads", "torch_cpu_capability", "torch")) if (m.containsKey(k)) ref.put(k, m.get(k));
                }
                ref.put("ms_per_sample_step", ms != null ? Stats.round(ms, 4) : v);
                references.add(ref);
                if (ms != null && (reference == null || ms < reference)) reference = ms;
            }
        }
        if (!references.isEmpty()) round.put("reference", references);
        if (reference != null) round.put("reference_ms_per_sample_step", Stats.round(reference, 4));
        if (ours != null && reference != null && ours > 0) round.put("ratio", Stats.round(reference / ours, 2));
        return round;
    }

    /** threads-T.json files by T: {"by_threads": [{threads, ms_per_sample_step}, ...] (fewest first), "fastest_threads"}. */
    private static Map<String, Object> threadScaling(Map<Integer, Path> threadFiles) {
        Map<String, Object> scaling = new LinkedHashMap<>();
        List<Object> rows = new ArrayList<>();
        Integer fastest = null;
        double best = Double.MAX_VALUE;
        for (Map.Entry<Integer, Path> e : threadFiles.entrySet()) {
            Object v = GpuRunResult.readValue(e.getValue());
            Double ms = msPerSampleStep(v);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("threads", (long) e.getKey());
            row.put("ms_per_sample_step", ms != null ? ms : v);
            rows.add(row);
            if (ms != null && ms < best) {
                best = ms;
                fastest = e.getKey();
            }
        }
        if (rows.isEmpty()) return scaling;
        scaling.put("by_threads", rows);
        if (fastest != null) scaling.put("fastest_threads", (long) fastest);
        return scaling;
    }

    private static Double msPerSampleStep(Object o) {
        return o instanceof Map<?, ?> m && m.get("ms_per_sample_step") instanceof Number x ? x.doubleValue() : null;
    }
}
