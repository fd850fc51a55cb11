package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.Json;

/**
 * mrine sweep on threads of this process: nested cross-validation on a small simulated dataset, the
 * selection recomputed from the cells it wrote, a failing cell recorded while the sweep goes on, a
 * rerun that trains nothing, the final model streamed, and bad grids refused before training.
 */
class SweepCommandTest {
    @TempDir
    static Path dir;
    static Path data;

    /** Two latent sizes, one of them diverging (a learning rate of 100 without clipping). */
    static final String GRID = """
            model:
              embedding_dim: 4
              latent_dim: [3, 5]
              hidden: [8]
              fusion_hidden: [8]
            training:
              max_steps: 24
              patience_steps: 12
              batch_size: 4
              validate_every: 0
              lr_max: [0.01, 100]
              lr_base: 0.001
              grad_clip: [0.1, 0]
            evaluation:
              wiener_lags: [1, 3]
            """;

    @BeforeAll
    static void simulate() {
        data = dir.resolve("sim.safetensors");
        CliRun r = CliRun.of("simulate", "--out", data.toString(), "--trials", "24", "--steps", "30");
        assertEquals(0, r.status(), r.err());
    }

    private static String printed(CliRun r) {
        return r.out() + r.err();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(Path file) throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(file));
    }

    @Test
    @SuppressWarnings("unchecked")
    void nestedSweepChoosesByInnerFoldsScoresOnOuterFoldsAndResumes() throws Exception {
        Path grid = dir.resolve("grid.yaml"), out = dir.resolve("sweep");
        Files.writeString(grid, GRID);
        CliRun r = CliRun.of("sweep", "--data", data.toString(), "--grid", grid.toString(), "--out", out.toString(),
                "--outer-folds", "3", "--inner-folds", "2", "--executor", "local", "--threads", "2");
        assertEquals(0, r.status(), printed(r));
        // 2 latent sizes x 2 lr_max x 2 grad_clip = 8 settings, 3 outer x (2 inner + 1) cells each; Wiener: 2 x 9
        assertTrue(r.out().contains("sweep: 90 cells (8 MRINE settings, 2 Wiener, 3 outer x 2 inner folds); 0 found"), r.out());
        assertTrue(r.out().contains("about"), "a progress line with an estimate of the time left");

        List<Object> cells = (List<Object>) json(out.resolve("results.json")).get("cells");
        assertEquals(90, cells.size());
        // the diverging settings (lr 100, no clipping) are recorded with their error; the others have scores
        int failed = 0;
        Map<String, Map<String, Object>> byKey = new HashMap<>();
        for (Object o : cells) {
            Map<String, Object> c = (Map<String, Object>) o;
            Map<String, Object> values = (Map<String, Object>) c.get("values");
            if (c.get("error") != null) {
                failed++;
                assertEquals(100.0, ((Number) values.get("training.lr_max")).doubleValue(), c.toString());
                assertTrue(c.get("error").toString().contains("TrainingDivergedException"), c.toString());
            } else if (c.get("family").equals("mrine")) {
                double cc = ((Number) c.get("cc_filtered")).doubleValue();
                assertTrue(cc > -1 && cc <= 1, c.toString());
                assertTrue(((Number) c.get("held_out_loss")).doubleValue() > 0, c.toString());
            }
            byKey.put(c.get("family") + "/" + c.get("setting") + "/" + c.get("outer_fold") + "/" + c.get("inner_fold"), c);
        }
        assertTrue(failed > 0, "some lr_max 100 cells diverge");
        assertTrue(Files.readString(out.resolve("results.csv")).lines().count() == 91, "a header and a row per cell");

        // the choice per outer fold is the best mean over its inner folds, and its outer CC is what the nested estimate averages
        Map<String, Object> summary = json(out.resolve("summary.json"));
        for (String family : List.of("mrine", "wiener")) {
            Map<String, Object> f = (Map<String, Object>) summary.get(family);
            int candidates = ((List<Object>) f.get("candidates")).size();
            List<Object> chosen = (List<Object>) f.get("chosen_per_outer_fold");
            assertEquals(3, chosen.size());
            List<Double> outerCc = new ArrayList<>();
            for (int k = 1; k <= 3; k++) {
                int best = -1;
                double bestMean = Double.NEGATIVE_INFINITY;
                for (int s = 1; s <= candidates; s++) {
                    double sum = 0;
                    boolean ok = true;
                    for (int j = 1; j <= 2; j++) {
                        Map<String, Object> c = byKey.get(family + "/" + s + "/" + k + "/" + j);
                        if (c.get("error") != null) ok = false;
                        else sum += ((Number) c.get("cc_filtered")).doubleValue();
                    }
                    if (ok && sum / 2 > bestMean) {
                        bestMean = sum / 2;
                        best = s;
                    }
                }
                Map<String, Object> ch = (Map<String, Object>) chosen.get(k - 1);
                assertEquals(best, ((Number) ch.get("setting")).intValue(), family + " outer fold " + k);
                double cc = ((Number) byKey.get(family + "/" + best + "/" + k + "/outer").get("cc_filtered")).doubleValue();
                assertEquals(cc, ((Number) ch.get("outer_cc")).doubleValue(), 0.0);
                outerCc.add(cc);
            }
            double mean = outerCc.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertEquals(mean, ((Number) ((Map<String, Object>) f.get("nested_cc")).get("mean")).doubleValue(), 1e-12);
        }
        assertNotNull(summary.get("mrine_minus_wiener"));
        assertTrue(Files.exists(out.resolve("plots/score_vs_model.latent_dim.png")));
        assertTrue(Files.exists(out.resolve("plots/score_vs_evaluation.wiener_lags.png")));

        // the final setting, retrained on all trials, streams
        Path ck = out.resolve("final/mrine/checkpoint.safetensors");
        assertTrue(Files.exists(ck) && Files.exists(out.resolve("final/mrine/readout.safetensors")), printed(r));
        CliRun s = CliRun.of("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", dir.resolve("dec.safetensors").toString());
        assertEquals(0, s.status(), printed(s));

        // a rerun into the same folder trains nothing and concludes the same
        String before = Files.readString(out.resolve("results.csv"));
        CliRun again = CliRun.of("sweep", "--data", data.toString(), "--grid", grid.toString(), "--out", out.toString(),
                "--outer-folds", "3", "--inner-folds", "2", "--executor", "local", "--no-final");
        assertEquals(0, again.status(), printed(again));
        assertTrue(again.out().contains("90 found in"), again.out());
        assertTrue(again.out().contains("0 to run"), again.out());
        assertEquals(before, Files.readString(out.resolve("results.csv")));
    }

    @Test
    @SuppressWarnings("unchecked")
    void oneSeRuleTakesTheSmallestModelWithinOneErrorOfTheBest() throws Exception {
        Path grid = dir.resolve("grid1se.yaml"), out = dir.resolve("sweep1se");
        Files.writeString(grid, """
                model: {embedding_dim: 4, latent_dim: [2, 6], hidden: [8], fusion_hidden: [8]}
                training: {max_steps: 12, patience_steps: 0, batch_size: 4, validate_every: 0}
                """);
        CliRun r = CliRun.of("sweep", "--data", data.toString(), "--grid", grid.toString(), "--out", out.toString(),
                "--outer-folds", "2", "--inner-folds", "2", "--executor", "local", "--select", "one-se", "--wiener", "none",
                "--no-final", "--no-plots");
        assertEquals(0, r.status(), printed(r));
        Map<String, Object> summary = json(out.resolve("summary.json"));
        assertEquals("one-se", ((Map<String, Object>) summary.get("selection")).get("rule"));
        assertFalse(summary.containsKey("wiener"));
        Map<String, Object> m = (Map<String, Object>) summary.get("mrine");
        List<Object> cands = (List<Object>) m.get("candidates");
        long small = ((Number) ((Map<String, Object>) cands.get(0)).get("parameters")).longValue();
        long big = ((Number) ((Map<String, Object>) cands.get(1)).get("parameters")).longValue();
        assertTrue(small < big);
        // recompute: inner means and the best setting's s.e.m. from the cells
        Map<String, List<Double>> inner = new HashMap<>();
        for (Object o : (List<Object>) json(out.resolve("results.json")).get("cells")) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (!(c.get("inner_fold") instanceof Number)) continue;
            inner.computeIfAbsent(c.get("outer_fold") + "/" + c.get("setting"), k -> new ArrayList<>())
                    .add(((Number) c.get("cc_filtered")).doubleValue());
        }
        List<Object> chosen = (List<Object>) m.get("chosen_per_outer_fold");
        for (int k = 1; k <= 2; k++) {
            List<Double> a = inner.get(k + "/1"), b = inner.get(k + "/2");
            double ma = (a.get(0) + a.get(1)) / 2, mb = (b.get(0) + b.get(1)) / 2;
            List<Double> best = ma >= mb ? a : b;
            double mBest = Math.max(ma, mb), sem = Math.abs(best.get(0) - best.get(1)) / 2;  // sd/sqrt(2) of two values
            int expected = ma >= mBest - sem ? 1 : 2;
            assertEquals(expected, ((Number) ((Map<String, Object>) chosen.get(k - 1)).get("setting")).intValue(), "outer fold " + k);
        }
    }

    @Test
    void badGridsAreOneLineBeforeAnyTraining() throws Exception {
        String[][] cases = {
                {"model: {latnt_dim: [2, 4]}", "unknown key 'model.latnt_dim'"},
                {"model: {latent_dim: []}", "model.latent_dim: the list of values is empty"},
                {"training: {dropout: [0.1, fast]}", "training.dropout"},
                {"model: {hidden: [[8], 16]}", "model.hidden: a list-valued key is swept by a list of lists"},
                {"modelz: {latent_dim: [2]}", "unknown section 'modelz'"},
                {"training: {dropout: [0.1, 1.5]}", "training.dropout: must be in [0, 1)"},
                {"evaluation: {folds: [2, 3]}", "evaluation.folds cannot be swept"},
                {"", "the grid is empty"},
        };
        for (String[] c : cases) {
            Path grid = dir.resolve("bad.yaml"), out = dir.resolve("bad-out");
            Files.writeString(grid, c[0]);
            CliRun r = CliRun.of("sweep", "--data", data.toString(), "--grid", grid.toString(), "--out", out.toString(), "--executor", "local");
            assertEquals(2, r.status(), c[0] + ": " + printed(r));
            assertTrue(r.err().contains(grid.toString()) && r.err().contains(c[1]), c[0] + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertFalse(Files.exists(out.resolve("cells")), "nothing ran");
        }
    }
}
