package org.mrine.eval;

/**
 * Decoding accuracy of one model on one held-out fold: Pearson CC averaged over behavior
 * dimensions, from filtered (causal) and smoothed latents, at every step and at the slower
 * modality's samples only (NaN when the modalities share one rate).
 */
public record Scores(double filtered, double smoothed, double filteredSlow, double smoothedSlow) {
}
