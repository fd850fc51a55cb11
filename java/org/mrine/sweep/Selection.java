package org.mrine.sweep;

import java.util.Locale;
import org.mrine.eval.Summary;

/**
 * How a sweep picks one setting from cross-validated scores.
 *
 * <ul>
 * <li>{@link Rule#BEST}: the best mean over folds.
 * <li>{@link Rule#ONE_SE}: the smallest model (fewest parameters, then the smallest training
 *     budget) whose mean is within one standard error of the best mean (the best setting's s.e.m.
 *     over folds): simpler models that score as well as the data can tell.
 * </ul>
 * The criterion is the held-out Pearson CC of behavior decoded from filtered (causal) latents
 * (higher is better) or the held-out loss (lower is better). A setting with a failed fold is not
 * chosen.
 */
public record Selection(Rule rule, Criterion criterion) {

    public enum Rule {
        BEST("best"), ONE_SE("one-se");

        public final String key;

        Rule(String key) {
            this.key = key;
        }

        public static Rule parse(String s) {
            for (Rule r : values()) if (r.key.equals(s)) return r;
            throw new IllegalArgumentException("--select must be best or one-se, got '" + s + "'");
        }
    }

    public enum Criterion {
        CC("cc"), LOSS("loss");

        public final String key;

        Criterion(String key) {
            this.key = key;
        }

        public static Criterion parse(String s) {
            for (Criterion c : values()) if (c.key.equals(s)) return c;
            throw new IllegalArgumentException("--criterion must be cc or loss, got '" + s + "'");
        }

        /** The criterion's value of a cell, as a score where higher is better. */
        public double score(CellResult r) {
            return this == CC ? r.ccFiltered() : -r.heldOutLoss();
        }
    }

    /**
     * @param scores [setting][fold], higher is better; NaN for a failed cell
     * @param size   [setting] model size, then training budget, for the one-SE rule (compared in order)
     * @return the chosen setting, or -1 when every setting has a failed fold
     */
    public int choose(double[][] scores, long[][] size) {
        int best = -1;
        Summary bestSummary = null;
        for (int s = 0; s < scores.length; s++) {
            Summary m = summary(scores[s]);
            if (Double.isNaN(m.mean())) continue;
            if (best < 0 || m.mean() > bestSummary.mean()) {
                best = s;
                bestSummary = m;
            }
        }
        if (best < 0 || rule == Rule.BEST) return best;
        double threshold = bestSummary.mean() - (Double.isNaN(bestSummary.sem()) ? 0 : bestSummary.sem());
        int chosen = best;
        for (int s = 0; s < scores.length; s++) {
            Summary m = summary(scores[s]);
            if (Double.isNaN(m.mean()) || m.mean() < threshold) continue;
            int c = compare(size[s], size[chosen]);
            if (c < 0 || c == 0 && m.mean() > summary(scores[chosen]).mean()) chosen = s;
        }
        return chosen;
    }

    /** Mean and s.e.m. over folds; NaN when any fold is NaN. */
    public static Summary summary(double[] perFold) {
        for (double v : perFold) if (Double.isNaN(v)) return new Summary(Double.NaN, Double.NaN);
        return Summary.of(perFold);
    }

    private static int compare(long[] a, long[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = Long.compare(a[i], b[i]);
            if (c != 0) return c;
        }
        return 0;
    }

    public String describe() {
        return String.format(Locale.ROOT, "%s by %s", rule == Rule.BEST ? "best mean" : "smallest model within one s.e.m. of the best",
                criterion == Criterion.CC ? "held-out CC of behavior from filtered latents" : "held-out loss");
    }
}
