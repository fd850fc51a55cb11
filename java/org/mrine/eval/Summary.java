package org.mrine.eval;

import java.util.List;
import java.util.function.ToDoubleFunction;

/** Mean and standard error of the mean over folds. */
public record Summary(double mean, double sem) {

    /** sem = sample standard deviation / sqrt(K); NaN values (a score not defined) make NaN. */
    public static Summary of(double[] values) {
        int k = values.length;
        if (k == 0) return new Summary(Double.NaN, Double.NaN);
        double mean = 0;
        for (double v : values) mean += v;
        mean /= k;
        if (k == 1) return new Summary(mean, Double.NaN);
        double ss = 0;
        for (double v : values) ss += (v - mean) * (v - mean);
        return new Summary(mean, Math.sqrt(ss / (k - 1)) / Math.sqrt(k));
    }

    public static Summary of(List<FoldResult> folds, ToDoubleFunction<Scores> score) {
        return of(folds.stream().mapToDouble(f -> score.applyAsDouble(f.scores())).toArray());
    }

    /** "0.912 ± 0.004" */
    public String format() {
        if (Double.isNaN(mean)) return "-";
        return String.format(java.util.Locale.ROOT, "%.3f ± %.3f", mean, Double.isNaN(sem) ? 0 : sem);
    }
}
