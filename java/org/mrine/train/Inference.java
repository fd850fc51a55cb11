package org.mrine.train;

import java.util.List;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.model.MrineModel;
import org.mrine.tensor.HostTensor;

/**
 * Forward passes over many trials in chunks of the model's training batch size. The model keeps
 * one set of activation buffers per batch shape and never frees the old ones, so every chunk has
 * the same size: the last is padded with repeats of earlier trials, whose outputs are discarded
 * (each trial's forward pass is independent of the others in its batch).
 */
public final class Inference {
    private Inference() {
    }

    /** Filtered and smoothed backbone latents of {@code trials}: each [n, T, X]. */
    public record Latents(int trials, int steps, int dim, float[] filtered, float[] smoothed) {
    }

    public static Latents latents(MrineModel model, Dataset data, int[] trials, List<String> modalities, int chunk) {
        final int T = data.steps(), X = model.config.latentDim(), n = trials.length, per = T * X;
        float[] filt = new float[n * per], smooth = new float[n * per];
        for (int start = 0; start < n; start += chunk) {
            int real = Math.min(chunk, n - start);
            model.forward(data.batch(padded(trials, start, chunk), modalities));
            Map<String, HostTensor> out = model.outputs();
            System.arraycopy(out.get("x_filter").data(), 0, filt, start * per, real * per);
            System.arraycopy(out.get("x_smooth").data(), 0, smooth, start * per, real * per);
        }
        return new Latents(n, T, X, filt, smooth);
    }

    /**
     * Mean total loss over {@code trials} without training noise: chunk losses weighted by the
     * number of real trials in them (the loss terms are means over available entries, so this is
     * the exact mean only when chunks hold equally many samples; it is a curve to watch, not a metric).
     */
    public static double meanLoss(MrineModel model, Dataset data, int[] trials, List<String> modalities, int chunk) {
        double sum = 0;
        for (int start = 0; start < trials.length; start += chunk) {
            int real = Math.min(chunk, trials.length - start);
            sum += real * model.loss(data.batch(padded(trials, start, chunk), modalities)).get("total_loss");
        }
        return sum / trials.length;
    }

    /** trials[start .. start+chunk), wrapping around to the first trials when fewer remain. */
    static int[] padded(int[] trials, int start, int chunk) {
        int[] out = new int[chunk];
        for (int i = 0; i < chunk; i++) out[i] = trials[(start + i) % trials.length];
        return out;
    }
}
