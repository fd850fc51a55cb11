package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.Json;
import org.mrine.train.Checkpoint;
import org.mrine.train.EpochStats;

/**
 * The tiny end-to-end runs CI can afford: simulate, train, evaluate and demo through the command
 * line, asserting that the loss goes down, that decoding beats chance, and that the results folder
 * has the promised files and schema.
 */
class TrainingCommandsTest {
    @TempDir
    Path dir;


    private static CliRun mrine(String... args) {
        return CliRun.of(args);
    }

    private Path tinyConfig(int epochs) throws Exception {
        Path cfg = dir.resolve("tiny.yaml");
        Files.writeString(cfg, """
                model: {embedding_dim: 6, latent_dim: 6, hidden: [16], fusion_hidden: [16]}
                training: {epochs: %d, batch_size: 8, checkpoint_every: 2, validate_every: 2}
                """.formatted(epochs));
        return cfg;
    }

    private Path simulate(int trials, int steps) {
        Path data = dir.resolve("lorenz.safetensors");
        CliRun r = mrine("simulate", "--out", data.toString(), "--trials", Integer.toString(trials), "--steps", Integer.toString(steps));
        assertEquals(0, r.status(), r.out() + r.err());
        assertTrue(r.out().contains("20 channels") && r.out().contains("20% of steps sampled"), r.out());
        return data;
    }

    @Test
    void trainWritesACheckpointAndTheLossGoesDown() throws Exception {
        Path data = simulate(24, 40);
        Path out = dir.resolve("run");
        CliRun r = mrine("train", "--data", data.toString(), "--config", tinyConfig(6).toString(), "--out", out.toString(),
                "--model", "mrine", "--holdout-fold", "5");
        assertEquals(0, r.status(), r.out() + r.err());
        Checkpoint c = Checkpoint.load(out.resolve("mrine/checkpoint.safetensors"));
        assertEquals(6, c.epoch());
        List<EpochStats> h = c.history();
        assertTrue(h.get(5).trainTotal() < h.get(0).trainTotal(), "train loss " + h.get(0).trainTotal() + " -> " + h.get(5).trainTotal());
        assertTrue(Double.isFinite(h.get(5).validTotal()), "held-out loss of the last epoch");
        assertTrue(r.out().contains("epoch 6/6"), r.out());
        assertTrue(Files.exists(out.resolve("config.yaml")));

        // --resume with more epochs continues from epoch 6
        CliRun more = mrine("train", "--data", data.toString(), "--config", tinyConfig(6).toString(), "--epochs", "8",
                "--out", out.toString(), "--model", "mrine", "--holdout-fold", "5", "--resume");
        assertEquals(0, more.status(), more.out() + more.err());
        assertTrue(more.out().contains("resumed from") && more.out().contains("epoch 7/8"), more.out());
        assertEquals(8, Checkpoint.load(out.resolve("mrine/checkpoint.safetensors")).epoch());
    }

    @Test
    @SuppressWarnings("unchecked")
    void demoWritesTheResultsFolderAndDecodesAboveChance() {
        Path out = dir.resolve("demo");
        CliRun r = mrine("demo", "--out", out.toString(), "--trials", "40", "--steps", "50", "--epochs", "4", "--threads", "2");
        assertEquals(0, r.status(), r.out() + r.err());
        for (String f : List.of("metrics.json", "report.md", "config.yaml", "data.safetensors", "loss_curves.png", "behavior.png",
                "latents.png", "cc_bars.png", "drop_robustness.png", "checkpoints/mrine/fold1.safetensors",
                "checkpoints/field_only/fold5.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f + " missing");
        }
        Map<String, Object> metrics = (Map<String, Object>) Json.parse(read(out.resolve("metrics.json")));
        Map<String, Object> models = (Map<String, Object>) metrics.get("models");
        assertEquals(List.of("mrine", "spikes_only", "field_only"), List.copyOf(models.keySet()));
        for (String m : models.keySet()) {
            Map<String, Object> e = (Map<String, Object>) models.get(m);
            for (String k : List.of("cc_filtered", "cc_smoothed", "cc_filtered_sem", "cc_smoothed_sem", "cc_filtered_slow")) {
                assertNotNull(e.get(k), m + "." + k);
            }
            // chance is 0: a decoder of unrelated latents scores about 0 on held-out data
            assertTrue(((Number) e.get("cc_filtered")).doubleValue() > 0.3, m + " filtered CC " + e.get("cc_filtered"));
            assertTrue(((Number) e.get("cc_smoothed")).doubleValue() > 0.3, m + " smoothed CC " + e.get("cc_smoothed"));
            assertEquals(5, ((List<Object>) e.get("folds")).size());
        }
        Map<String, Object> drop = (Map<String, Object>) metrics.get("drop_robustness");
        assertEquals("s", drop.get("modality"));
        assertEquals(5, ((List<Object>) drop.get("probabilities")).size());
        String report = read(out.resolve("report.md"));
        assertTrue(report.contains("![") && report.contains("cc_bars.png") && report.contains("| mrine |"), report);
        assertTrue(r.out().contains("CC filtered") && r.out().contains("spikes_only") && r.out().contains("finding"), r.out());
        // every fold's training loss went down
        Checkpoint c = Checkpoint.load(out.resolve("checkpoints/mrine/fold3.safetensors"));
        assertTrue(c.history().get(3).trainTotal() < c.history().get(0).trainTotal());
    }

    @Test
    void evaluateRunsChosenModelsAndConfigErrorsAreClear() throws Exception {
        Path data = simulate(20, 30);
        Path out = dir.resolve("eval");
        CliRun r = mrine("evaluate", "--data", data.toString(), "--config", tinyConfig(2).toString(), "--out", out.toString(),
                "--model", "spikes_only", "--model", "both=s+y", "--no-plots", "--threads", "1");
        assertEquals(0, r.status(), r.out() + r.err());
        String json = read(out.resolve("metrics.json"));
        assertTrue(json.contains("\"spikes_only\"") && json.contains("\"both\"") && !json.contains("field_only"), json);
        assertTrue(!Files.exists(out.resolve("cc_bars.png")));

        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, "training:\n  epochs: 3\n  learning_rate: 0.1\n");
        CliRun e = mrine("evaluate", "--data", data.toString(), "--config", bad.toString(), "--out", out.toString());
        assertEquals(2, e.status());
        assertTrue(e.err().contains("bad.yaml") && e.err().contains("training.learning_rate"), e.err());

        CliRun m = mrine("train", "--data", data.toString(), "--out", out.toString(), "--model", "lfp_only");
        assertEquals(2, m.status());
        assertTrue(m.err().contains("unknown model 'lfp_only'") && m.err().contains("spikes_only"), m.err());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
