package org.mrine.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mrine.eval.Summary;
import org.mrine.sweep.SweepPlan.Candidate;

/**
 * What a finished sweep concludes, for MRINE and for its Wiener filter baseline alike:
 *
 * <ul>
 * <li>per outer fold, the candidate the inner folds chose, and its score on the outer fold;
 * <li>the nested cross-validation estimate: the mean and s.e.m. of those outer scores (no score
 *     was tuned on its own test trials);
 * <li>the final candidate: the rule applied to the plain K-fold scores over all trials; it is
 *     retrained on all trials.
 * </ul>
 *
 * @param mrine  MRINE's family
 * @param wiener the Wiener filter's family, or null without a baseline
 */
public record SweepOutcome(Selection selection, Family mrine, Family wiener) {

    /**
     * @param innerScores [outer][candidate][inner] the criterion (higher is better), NaN for failed cells
     * @param outerScores [candidate][outer] the criterion on the outer folds
     * @param outerCc     [candidate][outer] held-out CC from filtered latents on the outer folds (what is reported)
     * @param chosen      [outer] the candidate the inner folds chose (-1: every candidate failed)
     * @param nested      the chosen candidates' outer CC: mean and s.e.m. over outer folds
     * @param finalChoice the rule applied to the outer scores (-1: every candidate failed)
     */
    public record Family(List<Candidate> candidates, double[][][] innerScores, double[][] outerScores, double[][] outerCc,
                         int[] chosen, double[] nestedCc, Summary nested, int finalChoice) {

        public Candidate finalCandidate() {
            return finalChoice < 0 ? null : candidates.get(finalChoice);
        }
    }

    public static SweepOutcome of(SweepPlan plan, Map<String, CellResult> results, Selection selection) {
        return new SweepOutcome(selection, family(plan, plan.mrine(), results, selection),
                plan.wiener().isEmpty() ? null : family(plan, plan.wiener(), results, wienerSelection(selection)));
    }

    /** The Wiener filter has no loss: its lags are always chosen by CC. */
    private static Selection wienerSelection(Selection s) {
        return new Selection(s.rule(), Selection.Criterion.CC);
    }

    private static Family family(SweepPlan plan, List<Candidate> candidates, Map<String, CellResult> results, Selection sel) {
        final int K = plan.outer().folds(), J = plan.innerFolds(), S = candidates.size();
        double[][][] inner = new double[K][S][J];
        double[][] outer = new double[S][K], outerCc = new double[S][K];
        for (double[][] a : inner) for (double[] b : a) java.util.Arrays.fill(b, Double.NaN);
        for (double[] a : outer) java.util.Arrays.fill(a, Double.NaN);
        for (double[] a : outerCc) java.util.Arrays.fill(a, Double.NaN);
        boolean wiener = candidates.get(0).isWiener();
        for (CellSpec c : plan.cells()) {
            if (c.isWiener() != wiener) continue;
            CellResult r = results.get(c.id());
            if (r == null || r.failed()) continue;
            double score = sel.criterion().score(r);
            if (c.inner() >= 0) inner[c.outer()][c.setting()][c.inner()] = score;
            else {
                outer[c.setting()][c.outer()] = score;
                outerCc[c.setting()][c.outer()] = r.ccFiltered();
            }
        }
        long[][] size = new long[S][];
        for (int s = 0; s < S; s++) size[s] = candidates.get(s).size();
        int[] chosen = new int[K];
        double[] nestedCc = new double[K];
        List<Double> scored = new ArrayList<>();
        for (int k = 0; k < K; k++) {
            chosen[k] = sel.choose(inner[k], size);
            nestedCc[k] = chosen[k] < 0 ? Double.NaN : outerCc[chosen[k]][k];
            if (!Double.isNaN(nestedCc[k])) scored.add(nestedCc[k]);
        }
        Summary nested = Summary.of(scored.stream().mapToDouble(Double::doubleValue).toArray());
        return new Family(candidates, inner, outer, outerCc, chosen, nestedCc, nested, sel.choose(outer, size));
    }
}
