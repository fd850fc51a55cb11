package org.mrine.train;

/**
 * Where early stopping stands: the epoch whose parameters are kept (the lowest loss on the
 * validation block so far), that loss, and whether training ended because the loss had not
 * improved for {@code training.patience_steps} optimizer steps.
 *
 * @param bestEpoch counted from 1; 0 before the first validation
 */
public record EarlyStop(int bestEpoch, double bestLoss, boolean stopped) {

    /** Before any validation, and for runs without early stopping. */
    public static final EarlyStop NONE = new EarlyStop(0, Double.NaN, false);

    /** Whether a validation loss is lower than the best so far (a non-finite loss never is). */
    public boolean improvedBy(double loss) {
        return Double.isFinite(loss) && (bestEpoch == 0 || loss < bestLoss);
    }
}
