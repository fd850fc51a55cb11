package org.mrine.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;

/**
 * Training progress for a person: on a terminal, one bar per epoch redrawn in place after every
 * batch (loss terms, learning rate, trials/s, ETA); otherwise (a log file, CI) one plain line per
 * epoch, since carriage returns make logs unreadable.
 */
public final class ConsoleProgress implements TrainingListener {
    private static final int BAR = 24;
    private final PrintStream out;
    private final boolean terminal;
    private final String label;
    private double lr;
    private int epochs;
    private long epochStart;
    private double meanEpochSeconds = Double.NaN;
    private int epochsSeen;

    public ConsoleProgress(PrintStream out, boolean terminal, String label) {
        this.out = out;
        this.terminal = terminal;
        this.label = label;
    }

    /** Whether standard output is an interactive terminal. */
    public static boolean stdoutIsTerminal() {
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    @Override
    public void epochStarted(int epoch, int epochs, int batches, double lr) {
        this.lr = lr;
        this.epochs = epochs;
        this.epochStart = System.nanoTime();
    }

    @Override
    public void batchDone(int epoch, int batch, int batches, Map<String, Double> terms, double trialsPerSecond) {
        if (!terminal) return;
        int filled = (int) Math.round((double) BAR * batch / batches);
        double elapsed = (System.nanoTime() - epochStart) / 1e9;
        double perEpoch = Double.isNaN(meanEpochSeconds) ? elapsed / batch * batches : meanEpochSeconds;
        double left = elapsed / batch * (batches - batch) + perEpoch * (epochs - epoch);  // the whole run
        out.printf(Locale.ROOT, "\r%s epoch %d/%d [%s%s] %d/%d loss %.4g (model %.4g) lr %.2e %.0f trials/s ETA %s   ",
                label, epoch, epochs, "#".repeat(filled), ".".repeat(BAR - filled), batch, batches, terms.get("total_loss"),
                terms.get("model_loss"), lr, trialsPerSecond, clock(left));
        out.flush();
    }

    @Override
    public void epochDone(EpochStats s, int epochs, double secondsLeft) {
        epochsSeen++;
        meanEpochSeconds = Double.isNaN(meanEpochSeconds) ? s.seconds() : meanEpochSeconds + (s.seconds() - meanEpochSeconds) / epochsSeen;
        String valid = Double.isFinite(s.validTotal()) ? String.format(Locale.ROOT, " held-out %.4g", s.validTotal()) : "";
        String line = String.format(Locale.ROOT, "%s epoch %d/%d loss %.4g (model %.4g, l2 %.3g, grad norm %.3g)%s lr %.2e %.1f s ETA %s",
                label, s.epoch(), epochs, s.trainTotal(), s.train().getOrDefault("model_loss", Double.NaN),
                s.train().getOrDefault("l2_reg", Double.NaN), s.train().getOrDefault("grad_norm", Double.NaN), valid, s.lr(),
                s.seconds(), clock(secondsLeft));
        if (terminal) out.print("\r\033[K");
        out.println(line);
        out.flush();
    }

    @Override
    public void message(String text) {
        out.println(text);
    }

    /** Seconds as m:ss or h:mm:ss. */
    public static String clock(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
