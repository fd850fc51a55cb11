package org.mrine.eval;

import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.model.MrineModel;
import org.mrine.train.Inference;

/**
 * The paper's behavior decoding: OLS with intercept from latents to behavior, fit on every step of
 * the training trials, scored by Pearson CC per behavior dimension over the concatenated held-out
 * series, averaged over dimensions; filtered and smoothed latents decoded separately.
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
        float[] predF = LinearDecoder.fit(fit.filtered(), X, yTrain, D).predict(held.filtered());
        float[] predS = LinearDecoder.fit(fit.smoothed(), X, yTrain, D).predict(held.smoothed());
        double slowF = Double.NaN, slowS = Double.NaN;
        if (slowMask != null) {
            float[] keep = rows(slowMask, test, T);
            slowF = Pearson.meanOverDims(select(predF, keep, D), select(yTest, keep, D), D);
            slowS = Pearson.meanOverDims(select(predS, keep, D), select(yTest, keep, D), D);
        }
        Scores s = new Scores(Pearson.meanOverDims(predF, yTest, D), Pearson.meanOverDims(predS, yTest, D), slowF, slowS);
        return new Outcome(s, predF, predS, held);
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
