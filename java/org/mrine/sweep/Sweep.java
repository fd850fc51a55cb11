package org.mrine.sweep;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.mrine.io.Json;
import org.mrine.io.TempFiles;
import org.mrine.train.ConsoleProgress;

/**
 * Runs a sweep's cells, keeping every finished cell as a file of its own
 * ({@code <out>/cells/<id>.json}, written atomically as it arrives): a rerun into the same folder
 * runs only the cells it does not find there (failed ones too with {@code retryFailed}).
 */
public final class Sweep {
    private Sweep() {
    }

    /** Results by cell id: the ones found on disk and the ones just computed. */
    public static Map<String, CellResult> run(SweepPlan plan, Path datasetFile, Path out, CellExecutor executor, boolean retryFailed,
                                              PrintStream console) {
        Path cellDir = out.resolve("cells");
        try {
            Files.createDirectories(cellDir);
        } catch (IOException e) {
            throw new UncheckedIOException(cellDir + ": cannot create the folder: " + e.getMessage(), e);
        }
        Map<String, CellResult> results = new HashMap<>(loadFinished(cellDir));
        List<CellSpec> todo = new ArrayList<>();
        int reused = 0;
        for (CellSpec c : plan.cells()) {
            CellResult r = results.get(c.id());
            if (r != null && !(retryFailed && r.failed())) reused++;
            else todo.add(c);
        }
        results.keySet().retainAll(plan.cells().stream().map(CellSpec::id).toList());
        console.printf(Locale.ROOT, "sweep: %d cells (%d MRINE settings, %d Wiener, %d outer x %d inner folds); %d found in %s, %d to run on %s%n",
                plan.cells().size(), plan.mrine().size(), plan.wiener().size(), plan.outer().folds(), plan.innerFolds(), reused, cellDir,
                todo.size(), executor.describe());
        if (todo.isEmpty()) return results;
        Progress progress = new Progress(console, todo.size());
        Map<String, CellSpec> byId = new HashMap<>();
        for (CellSpec c : todo) byId.put(c.id(), c);
        executor.run(datasetFile, todo, r -> {
            CellSpec c = byId.get(r.id());
            if (c == null) throw new IllegalStateException("the executor returned cell " + r.id() + ", which was not asked for");
            TempFiles.writeString(cellDir.resolve(r.id() + ".json"), Json.write(r.toJson()) + "\n");
            results.put(r.id(), r);
            progress.done(c, r);
        });
        return results;
    }

    private static Map<String, CellResult> loadFinished(Path cellDir) {
        Map<String, CellResult> out = new HashMap<>();
        try (Stream<Path> files = Files.list(cellDir)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
                CellResult r;
                try {
                    r = CellResult.fromJson(Json.parse(Files.readString(f)), f.toString());
                } catch (IllegalArgumentException | IOException e) {
                    continue;  // unreadable (a run killed while writing leaves only a temporary file, but be safe): run it again
                }
                if (f.getFileName().toString().equals(r.id() + ".json")) out.put(r.id(), r);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(cellDir + ": cannot list: " + e.getMessage(), e);
        }
        return out;
    }

    /** One line per finished cell: counts, the cell's score, elapsed time and an estimate of the rest. */
    private static final class Progress {
        private final PrintStream out;
        private final int total;
        private final long start = System.nanoTime();
        private int done, failed;

        Progress(PrintStream out, int total) {
            this.out = out;
            this.total = total;
        }

        void done(CellSpec c, CellResult r) {
            done++;
            if (r.failed()) failed++;
            double elapsed = (System.nanoTime() - start) / 1e9;
            // a Wiener filter's cell has a score and a time only: no loss, no epochs
            String what = r.failed() ? "FAILED: " + r.error()
                    : c.isWiener() ? String.format(Locale.ROOT, "CC %.3f, %.0f s", r.ccFiltered(), r.seconds())
                    : String.format(Locale.ROOT, "CC %.3f, loss %.4g, %d epochs (best %d), %.0f s", r.ccFiltered(), r.heldOutLoss(),
                    r.epochs(), r.bestEpoch(), r.seconds());
            out.printf(Locale.ROOT, "[%s] %d/%d cells%s, about %s left | %s: %s%n", ConsoleProgress.clock(elapsed), done, total,
                    failed > 0 ? " (" + failed + " failed)" : "", ConsoleProgress.clock(elapsed / done * (total - done)), c.describe(), what);
            out.flush();
        }
    }
}
