package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.Json;

/** mrine evaluate with the Wiener filter beside an MRINE model: metrics, table, report and plots. */
class WienerEvaluateCommandTest {
    @TempDir
    Path dir;

    /** What a command printed, stdout then stderr. */
    private static String printed(CliRun r) {
        return r.out() + r.err();
    }

    @Test
    @SuppressWarnings("unchecked")
    void evaluatesTheWienerFilterBesideSpikesOnly() throws Exception {
        Path data = dir.resolve("sim.safetensors"), cfg = dir.resolve("tiny.yaml"), out = dir.resolve("res");
        CliRun r = CliRun.of("simulate", "--out", data.toString(), "--trials", "20", "--steps", "40");
        assertEquals(0, r.status(), printed(r));
        Files.writeString(cfg, """
                model: {embedding_dim: 4, latent_dim: 4, hidden: [8], fusion_hidden: [8]}
                training: {epochs: 1, batch_size: 4, validate_every: 0}
                evaluation: {folds: 2}
                """);
        r = CliRun.of("evaluate", "--data", data.toString(), "--config", cfg.toString(), "--out", out.toString(),
                "--model", "wiener", "--model", "spikes_only", "--drop-sweep", "--drop-levels", "0,0.5", "--threads", "2");
        assertEquals(0, r.status(), printed(r));
        assertTrue(printed(r).lines().anyMatch(l -> l.startsWith("wiener ") && l.contains(" - ")), printed(r));

        Map<String, Object> json = (Map<String, Object>) Json.parse(Files.readString(out.resolve("metrics.json")));
        Map<String, Object> models = (Map<String, Object>) json.get("models");
        assertEquals(List.of("wiener", "spikes_only"), List.copyOf(models.keySet()));
        Map<String, Object> w = (Map<String, Object>) models.get("wiener");
        assertEquals("wiener", w.get("kind"));
        assertEquals(5.0, ((Number) w.get("lags")).doubleValue());
        assertEquals(List.of("s"), w.get("modalities"));
        double cc = ((Number) w.get("cc_filtered")).doubleValue();
        assertTrue(cc > 0.3 && cc <= 1, "Wiener CC " + cc);
        assertNull(w.get("cc_smoothed"));
        assertTrue(w.containsKey("cc_smoothed"));
        assertEquals(2, ((List<Object>) w.get("folds")).size());
        Map<String, Object> s = (Map<String, Object>) models.get("spikes_only");
        assertNotNull(s.get("cc_filtered"));
        assertNotNull(s.get("cc_smoothed"));
        Map<String, Object> drop = (Map<String, Object>) ((Map<String, Object>) json.get("drop_robustness")).get("models");
        assertEquals(List.of("spikes_only"), List.copyOf(drop.keySet()));

        String report = Files.readString(out.resolve("report.md"));
        assertTrue(report.contains("| wiener | s |") && report.contains("Wiener filter"), report);
        for (String png : List.of("cc_bars.png", "loss_curves.png", "behavior.png", "latents.png", "drop_robustness.png")) {
            assertTrue(Files.size(out.resolve(png)) > 1000, png);
        }
    }

    @Test
    void trainRejectsTheWienerFilter() throws Exception {
        Path data = dir.resolve("sim.safetensors");
        assertEquals(0, CliRun.of("simulate", "--out", data.toString(), "--trials", "4", "--steps", "10").status());
        CliRun r = CliRun.of("train", "--data", data.toString(), "--out", dir.resolve("t").toString(), "--model", "wiener");
        assertEquals(2, r.status(), printed(r));
        assertTrue(printed(r).contains("evaluate only"), printed(r));
    }
}
