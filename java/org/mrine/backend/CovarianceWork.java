package org.mrine.backend;

import org.mrine.tensor.Tensor;

/**
 * The covariance side of one LDM for one batch: its parameters, the first {@code count} tracks
 * and their mask rows, whether the RTS smoother runs on them, and where its parameter gradients
 * go. The covariance recursions depend only on parameters and masks, and their backward passes
 * only add to parameter gradients, so a model hands the work of all its LDMs to
 * {@link Backend#covarianceForward} at the start of the forward pass and to
 * {@link Backend#covarianceBackward} at the end of the backward pass, where a backend may run them
 * side by side.
 */
public record CovarianceWork(LdmParams params, Tensor[] masks, CovarianceTrack[] tracks, int count, boolean smoothing,
                             LdmParams grads) {
}
