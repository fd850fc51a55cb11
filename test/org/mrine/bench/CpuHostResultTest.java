package org.mrine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The device run's cpu phase files into cpu_host: rounds, the ratio against the reference's faster thread count, medians. */
class CpuHostResultTest {
    @TempDir
    Path dir;

    private void write(String name, String text) throws IOException {
        Files.writeString(dir.resolve(name), text);
    }

    private static String ref(double ms, int threads) {
        return "{\"ms_per_sample_step\": " + ms + ", \"samples\": [" + ms + "], \"torch\": \"2.9.0\", \"torch_threads\": " + threads
                + ", \"torch_cpu_capability\": \"AVX512\"}";
    }

    private static String ours(double ms) {
        return "{\"ms_per_sample_step\":" + ms + ",\"trials\":32,\"steps\":50}";
    }

    @Test
    @SuppressWarnings("unchecked")
    void roundsRatiosAgainstTheFasterReferenceAndTheirMedianPerCoreCount() throws IOException {
        write("lscpu.txt", "Model name: Example CPU\nVector: avx2 avx512f fma");
        write("tune-16.json", "{\"choices\":{\"threads\":8,\"gemm.tile\":\"6x4\"},"
                + "\"measured\":{\"step_ms_per_sample_step_by_threads\":{\"1\":0.8,\"8\":0.09,\"16\":0.11}}}");
        write("tune-2.json", "{\"choices\":{\"threads\":2,\"gemm.tile\":\"4x4\"}}");
        // 16 cores: torch's default (16 threads) slower than one thread in round 1, faster in round 2
        write("ref-16-1-t0.json", ref(4.0, 16));
        write("ref-16-1-t1.json", ref(3.0, 1));
        write("ours-16-1.json", ours(0.1));
        write("ref-16-2-t0.json", ref(2.0, 16));
        write("ref-16-2-t1.json", ref(3.0, 1));
        write("ours-16-2.json", ours(0.1));
        write("ref-16-3-t0.json", ref(2.5, 16));
        write("ours-16-3.json", ours(0.1));
        // a round cut off by the phase's timeout: the reference written, ours not
        write("ref-16-4-t0.json", ref(2.5, 16));
        write("ours-16-4.json.tmp", "{\"ms_per");
        // 2 cores: one round, the reference's second thread count broken
        write("ref-2-1-t1.json", ref(2.4, 1));
        write("ref-2-1-t2.json", "Traceback (most recent call last):");
        write("ours-2-1.json", ours(0.12));
        write("stream.json", "{\"stream\":{\"paper\":{\"p99_us\":12.3}}}");
        // the step by thread count: 8 threads the fastest, 16 slower again, 32 cut off by the timeout
        write("threads-1.json", ours(0.8));
        write("threads-2.json", ours(0.42));
        write("threads-4.json", ours(0.2));
        write("threads-8.json", ours(0.09));
        write("threads-16.json", ours(0.11));
        write("threads-32.json.tmp", "{\"ms_per");

        Map<String, Object> host = CpuHostResult.assemble(dir);
        assertTrue(((String) host.get("lscpu")).contains("avx512f"));
        assertFalse(host.containsKey("reference_missing"));
        Map<String, Object> byCores = (Map<String, Object>) host.get("by_cores");
        assertEquals(List.of("16", "2"), List.copyOf(byCores.keySet()), "most cores first");

        Map<String, Object> sixteen = (Map<String, Object>) byCores.get("16");
        assertEquals(Map.of("threads", 8L, "gemm.tile", "6x4"), sixteen.get("tuning"));
        assertEquals(List.of("1", "8", "16"), List.copyOf(((Map<String, Object>) sixteen.get("tuning_step_ms_by_threads")).keySet()));
        assertEquals(0.09, ((Map<String, Object>) sixteen.get("tuning_step_ms_by_threads")).get("8"));
        List<Map<String, Object>> rounds = (List<Map<String, Object>>) sixteen.get("rounds");
        assertEquals(4, rounds.size());
        assertEquals(30.0, rounds.get(0).get("ratio"), "round 1 against the faster reference: 3.0 / 0.1");
        assertEquals(3.0, rounds.get(0).get("reference_ms_per_sample_step"));
        assertEquals(2, ((List<?>) rounds.get(0).get("reference")).size());
        assertEquals(20.0, rounds.get(1).get("ratio"));
        assertEquals(25.0, rounds.get(2).get("ratio"));
        assertFalse(rounds.get(3).containsKey("ratio"), "no ratio without ours");
        assertEquals(25.0, sixteen.get("median_ratio"));

        Map<String, Object> two = (Map<String, Object>) byCores.get("2");
        Map<String, Object> round = ((List<Map<String, Object>>) two.get("rounds")).get(0);
        assertEquals(20.0, round.get("ratio"), "2.4 / 0.12; the broken file is shown, not counted");
        Map<String, Object> broken = (Map<String, Object>) ((List<?>) round.get("reference")).get(1);
        assertEquals(2L, broken.get("threads_asked"));
        assertTrue(String.valueOf(broken.get("ms_per_sample_step")).contains("no JSON"), broken.toString());
        assertEquals(Map.of("paper", Map.of("p99_us", 12.3)), host.get("stream"));

        Map<String, Object> scaling = (Map<String, Object>) host.get("thread_scaling");
        assertEquals(List.of(Map.of("threads", 1L, "ms_per_sample_step", 0.8), Map.of("threads", 2L, "ms_per_sample_step", 0.42),
                Map.of("threads", 4L, "ms_per_sample_step", 0.2), Map.of("threads", 8L, "ms_per_sample_step", 0.09),
                Map.of("threads", 16L, "ms_per_sample_step", 0.11)),
                scaling.get("by_threads"), "fewest threads first, numerically (not 1, 16, 2, ...)");
        assertEquals(8L, scaling.get("fastest_threads"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutTheReferenceTheRoundsHaveOursAndTheReasonIsSaid() throws IOException {
        write("lscpu.txt", "Model name: Example CPU");
        write("reference-missing.txt", "not carried");
        write("ours-2-1.json", ours(0.2));
        Map<String, Object> host = CpuHostResult.assemble(dir);
        assertEquals("not carried", host.get("reference_missing"));
        Map<String, Object> two = (Map<String, Object>) ((Map<String, Object>) host.get("by_cores")).get("2");
        assertEquals(List.of(Map.of("round", 1L, "mrine_ms_per_sample_step", 0.2)), two.get("rounds"));
        assertFalse(two.containsKey("median_ratio"));
        assertFalse(host.containsKey("thread_scaling"), "no threads files, no key");
    }
}
