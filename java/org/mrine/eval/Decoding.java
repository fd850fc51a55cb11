package org.mrine.eval;

import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.model.MrineModel;
import org.mrine.train.Inference;

/**
 * The paper's behavior decoding: OLS with intercept from latents to behavior, fit on every step of
 * the training trials, scored by Pearson CC per behavior dimension over the concatenated held-out
 * series, averaged over dimensions; filtered and smoothed latents decoded separately. Steps whose
 * behavior is not finite (gaps in a recording) are left out of both.
 */
final class Decoding {
    private Decoding() {
    }

    /** What decoding a set of held-out trials produced. */
    record Outcome(Scores scores, float[] decodedFiltered, float[] decodedSmoothed, Inference.Latents test) {
    }

    /**
     * @param slowMask the slower modality's mask over all trials [B*T] (its samples define the slow
     *                 rate), or null when there is none
     */
    static Outcome run(MrineModel model, Dataset data, int[] train, int[] test, List<String> modalities, int chunk,
                       float[] slowMask) {
        final int D = data.behaviorDim(), X = model.config.latentDim(), T = data.steps();
        Inference.Latents fit = Inference.latents(model, data, train, modalities, chunk);
        Inference.Latents held = Inference.latents(model, data, test, modalities, chunk);
        float[] yTrain = rows(data.behavior(), train, T * D), yTest = rows(data.behavior(), test, T * D);
        // recorded behavior may have gaps (NaN): those steps are left out of fitting and scoring
        float[] fitRows = finiteRows(yTrain, D), testRows = finiteRows(yTest, D);
        float[] yFit = select(yTrain, fitRows, D), yScore = select(yTest, testRows, D);
        float[] predF = LinearDecoder.fit(select(fit.filtered(), fitRows, X), X, yFit, D).predict(held.filtered());
        float[] predS = LinearDecoder.fit(select(fit.smoothed(), fitRows, X), X, yFit, D).predict(held.smoothed());
        double slowF = Double.NaN, slowS = Double.NaN;
        if (slowMask != null) {
            float[] keep = rows(slowMask, test, T);
            for (int r = 0; r < keep.length; r++) keep[r] *= testRows[r];
            float[] y = select(yTest, keep, D);
            slowF = Pearson.meanOverDims(select(predF, keep, D), y, D);
            slowS = Pearson.meanOverDims(select(predS, keep, D), y, D);
        }
        Scores s = new Scores(Pearson.meanOverDims(select(predF, testRows, D), yScore, D),
                Pearson.meanOverDims(select(predS, testRows, D), yScore, D), slowF, slowS);
        return new Outcome(s, predF, predS, held);
    }

    /** 1 for rows [n, D] whose every value is finite, else 0. */
    static float[] finiteRows(float[] values, int dims) {
        float[] keep = new float[values.length / dims];
        for (int r = 0; r < keep.length; r++) {
            boolean ok = true;
            for (int k = 0; k < dims; k++) ok &= Float.isFinite(values[r * dims + k]);
            keep[r] = ok ? 1 : 0;
        }
        return keep;
    }

    /** The per-trial blocks of {@code perTrial} values of the given trials, concatenated. */
    static float[] rows(float[] all, int[] trials, int perTrial) {
        float[] out = new float[trials.length * perTrial];
        for (int i = 0; i < trials.length; i++) System.arraycopy(all, trials[i] * perTrial, out, i * perTrial, perTrial);
        return out;
    }

    /** The rows [n, D] where keep[row] > 0. */
    static float[] select(float[] values, float[] keep, int dims) {
        int n = 0;
        for (float k : keep) if (k > 0) n++;
        float[] out = new float[n * dims];
        int j = 0;
        for (int r = 0; r < keep.length; r++) {
            if (keep[r] > 0) System.arraycopy(values, r * dims, out, dims * j++, dims);
        }
        return out;
    }
}
