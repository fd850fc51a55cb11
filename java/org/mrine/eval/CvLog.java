package org.mrine.eval;

import java.io.PrintStream;
import java.util.Locale;
import org.mrine.train.ConsoleProgress;
import org.mrine.train.EpochStats;

/**
 * Progress of a cross-validation as log lines: folds train in parallel, so in-place bars would
 * overwrite each other. A line every {@code every} epochs per fold job and one per finished job.
 */
public final class CvLog implements CvListener {
    private final PrintStream out;
    private final int every;
    private final long start = System.nanoTime();

    public CvLog(PrintStream out, int every) {
        this.out = out;
        this.every = Math.max(1, every);
    }

    @Override
    public synchronized void epochDone(String model, int fold, EpochStats s, int epochs, double secondsLeft) {
        if (s.epoch() % every != 0 && s.epoch() != 1) return;
        String valid = Double.isFinite(s.validTotal()) ? String.format(Locale.ROOT, " held-out %.4g", s.validTotal()) : "";
        out.printf(Locale.ROOT, "[%s] %s fold %d: epoch %d/%d loss %.4g%s lr %.2e (%.1f s/epoch, fold ETA %s)%n",
                elapsed(), model, fold + 1, s.epoch(), epochs, s.trainTotal(), valid, s.lr(), s.seconds(),
                ConsoleProgress.clock(secondsLeft));
        out.flush();
    }

    @Override
    public synchronized void foldDone(FoldResult r, int done, int total) {
        String smoothed = Double.isNaN(r.scores().smoothed()) ? "" : String.format(Locale.ROOT, ", smoothed %.3f", r.scores().smoothed());
        out.printf(Locale.ROOT, "[%s] done %d/%d: %s fold %d: CC filtered %.3f%s (%.0f s)%n", elapsed(), done, total,
                r.model(), r.fold() + 1, r.scores().filtered(), smoothed, r.seconds());
        out.flush();
    }

    @Override
    public synchronized void message(String text) {
        out.println("[" + elapsed() + "] " + text);
        out.flush();
    }

    private String elapsed() {
        return ConsoleProgress.clock((System.nanoTime() - start) / 1e9);
    }
}
