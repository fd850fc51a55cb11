package org.mrine.eval;

import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;

/**
 * The classic causal Wiener filter baseline: OLS with intercept ({@link LinearDecoder}) from the
 * counts of the current and previous {@code lags} bins of one modality to the behavior, fit on the
 * training folds and scored on the held-out fold like the latents are (see {@link Decoding}). It is
 * causal only: its smoothed scores are NaN (not applicable), and it has no training curve, no
 * latents and no drop sweep.
 *
 * <p>Lags are taken within a trial: bins before the trial's start count as zeros, so every step
 * is fit and scored, as the latent models (which restart from their prior every trial) are.
 * Steps where the modality has no sample (mask 0) also count as zeros.
 */
public final class WienerFilter {
    private WienerFilter() {
    }

    /**
     * The lagged design matrix of the given trials, rows (trial, step) in order [n*T, C*(lags+1)]:
     * row (b, t) = [x(b,t), x(b,t-1), ..., x(b,t-lags)], each a block of C channels, x = values *
     * mask, and x(b, t-l) = 0 for t-l &lt; 0.
     */
    public static float[] design(ModalityData m, int steps, int[] trials, int lags) {
        final int C = m.channels(), T = steps, p = C * (lags + 1);
        float[] out = new float[trials.length * T * p];
        for (int i = 0; i < trials.length; i++) {
            for (int t = 0; t < T; t++) {
                int row = (i * T + t) * p;
                for (int l = 0; l <= lags && l <= t; l++) {
                    int cell = trials[i] * T + t - l;
                    float mask = m.mask()[cell];
                    if (mask == 0) continue;
                    for (int c = 0; c < C; c++) out[row + l * C + c] = m.values()[cell * C + c] * mask;
                }
            }
        }
        return out;
    }

    /** One fold: fit on the training trials, decode and score the held-out ones. */
    static FoldResult runFold(Dataset raw, ModelChoice choice, int k, int[] train, int[] test, float[] slowMask) {
        long start = System.nanoTime();
        final int D = raw.behaviorDim(), T = raw.steps(), lags = choice.wienerLags();
        ModalityData m = raw.modality(choice.modalities().get(0));
        final int p = m.channels() * (lags + 1);
        float[] yTrain = Decoding.rows(raw.behavior(), train, T * D), yTest = Decoding.rows(raw.behavior(), test, T * D);
        float[] fitRows = Decoding.finiteRows(yTrain, D), testRows = Decoding.finiteRows(yTest, D);
        LinearDecoder w = LinearDecoder.fit(Decoding.select(design(m, T, train, lags), fitRows, p), p,
                Decoding.select(yTrain, fitRows, D), D);
        float[] pred = w.predict(design(m, T, test, lags));
        double slow = Double.NaN;
        if (slowMask != null) {
            float[] keep = Decoding.rows(slowMask, test, T);
            for (int r = 0; r < keep.length; r++) keep[r] *= testRows[r];
            slow = Pearson.meanOverDims(Decoding.select(pred, keep, D), Decoding.select(yTest, keep, D), D);
        }
        Scores s = new Scores(Pearson.meanOverDims(Decoding.select(pred, testRows, D), Decoding.select(yTest, testRows, D), D),
                Double.NaN, slow, Double.NaN);
        return new FoldResult(choice.name(), k, s, List.of(), List.of(), test, pred, null, 0, null, Double.NaN, 0,
                (System.nanoTime() - start) / 1e9);
    }
}
