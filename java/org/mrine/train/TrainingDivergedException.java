package org.mrine.train;

/**
 * The loss or the gradient norm became NaN or infinite: training stopped before the step that
 * would have spread it to the parameters; the last checkpoint on disk is the last good state.
 */
public final class TrainingDivergedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TrainingDivergedException(String message) {
        super(message);
    }
}
