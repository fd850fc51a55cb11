package org.mrine.model;

import java.util.random.RandomGenerator;
import org.mrine.backend.Backend;
import org.mrine.backend.CounterStream;
import org.mrine.tensor.Tensor;

/**
 * The stochastic regularizers of training: dropout on the encoder inputs and on the fused
 * embedding a_hat (inverted scaling, 1/(1-p)), and time dropout, which removes each (trial, step)
 * sample of each modality with probability {@code timeDropout} from the filters and the
 * likelihoods (the smoothness terms keep the original masks).
 */
public record TrainingNoise(double dropout, double timeDropout, RandomGenerator rng) {

    public TrainingNoise {
        if (dropout < 0 || dropout >= 1) throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
        if (timeDropout < 0 || timeDropout >= 1) throw new IllegalArgumentException("time dropout must be in [0, 1), got " + timeDropout);
    }

    /**
     * Fills keep with 0 or 1/(1-p), one draw of the stream per element in element order: made by
     * the backend where the stream is a {@link CounterStream} (the training's; the same bits, in
     * parallel), else on the host one draw after another.
     */
    void dropoutFactors(Backend be, Tensor keep) {
        if (rng instanceof CounterStream stream) {
            long state = stream.state();
            be.dropoutFactors(keep, state, dropout);
            stream.setState(state + keep.size() * CounterStream.GOLDEN_GAMMA);
            return;
        }
        float scale = CounterStream.DropoutFactors.scale(dropout);
        keep.setInOrder(i -> rng.nextDouble() < dropout ? 0f : scale);
    }

    /** fitMask = mask with each available sample kept with probability 1 - timeDropout. */
    void timeDropped(float[] mask, float[] fitMask) {
        for (int i = 0; i < mask.length; i++) fitMask[i] = mask[i] > 0 && rng.nextDouble() >= timeDropout ? 1f : 0f;
    }
}
