package org.mrine.sweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.mrine.cli.Main;
import org.mrine.io.Json;

/** A small sweep run through the mrine command, and what its cells concluded. */
final class SweepRuns {
    private SweepRuns() {
    }

    /** Two latent sizes, the Wiener filter with two lag counts: with K outer and 2 inner folds, (2 + 2) x K x 3 cells. */
    static final String GRID = """
            model:
              embedding_dim: 4
              latent_dim: [3, 5]
              hidden: [8]
              fusion_hidden: [8]
            training:
              max_steps: 30
              patience_steps: 12
              batch_size: 4
              validate_every: 0
            evaluation:
              wiener_lags: [1, 3]
            """;

    /** The cells of {@link #GRID} with K outer folds. */
    static int cellCount(int outerFolds) {
        return 4 * outerFolds * 3;
    }

    record Run(int status, String out) {
    }

    static Run mrine(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            PrintStream p = new PrintStream(buf, true, StandardCharsets.UTF_8);
            System.setOut(p);
            System.setErr(p);
            int status = Main.execute(args);
            return new Run(status, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A simulated dataset and the grid file in {@code dir}. */
    static Path[] prepare(Path dir, String gridText) throws Exception {
        Path data = dir.resolve("sim.safetensors"), grid = dir.resolve("grid.yaml");
        Run r = mrine("simulate", "--out", data.toString(), "--trials", "24", "--steps", "30");
        assertEquals(0, r.status(), r.out());
        Files.writeString(grid, gridText);
        return new Path[] {data, grid};
    }

    static Run sweep(Path data, Path grid, Path out, int outerFolds, String... extra) {
        String[] base = {"sweep", "--data", data.toString(), "--grid", grid.toString(), "--out", out.toString(),
                "--outer-folds", Integer.toString(outerFolds), "--inner-folds", "2", "--no-plots"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return mrine(args);
    }

    /** Cell id to its scores and training length, as text of the exact doubles (where and how long it ran left out). */
    @SuppressWarnings("unchecked")
    static Map<String, String> cells(Path out) throws Exception {
        Map<String, String> byId = new TreeMap<>();
        for (Object o : (List<Object>) ((Map<String, Object>) Json.parse(Files.readString(out.resolve("results.json")))).get("cells")) {
            Map<String, Object> c = (Map<String, Object>) o;
            assertTrue(c.get("error") == null, c.toString());
            byId.put((String) c.get("id"), c.get("cc_filtered") + " " + c.get("cc_smoothed") + " " + c.get("held_out_loss") + " "
                    + c.get("epochs") + " " + c.get("best_epoch"));
        }
        return byId;
    }

    /** The chosen setting per outer fold and the nested estimates, from summary.json. */
    @SuppressWarnings("unchecked")
    static String conclusions(Path out) throws Exception {
        Map<String, Object> s = (Map<String, Object>) Json.parse(Files.readString(out.resolve("summary.json")));
        StringBuilder sb = new StringBuilder();
        for (String f : List.of("mrine", "wiener")) {
            Map<String, Object> fam = (Map<String, Object>) s.get(f);
            sb.append(f).append(' ').append(fam.get("chosen_per_outer_fold")).append(' ').append(fam.get("nested_cc"))
                    .append(' ').append(((Map<String, Object>) fam.get("final")).get("setting")).append('\n');
        }
        return sb.toString();
    }
}
