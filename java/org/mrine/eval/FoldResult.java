package org.mrine.eval;

import java.util.List;
import org.mrine.train.EpochStats;

/**
 * One model trained on all folds but one and scored on the held-out one.
 *
 * @param scores           decoding without extra sample drops
 * @param dropScores       per drop level of the sweep (same order as the levels), decoding with that
 *                         fraction of the swept modality's samples removed from every trial
 * @param history          the training curve
 * @param testTrials       the held-out trial indices
 * @param decodedFiltered  behavior decoded from filtered latents of the held-out trials [n, T, D]
 * @param decodedSmoothed  same from smoothed latents; null for a causal-only model (the Wiener filter)
 * @param latentsSmoothed  the held-out trials' smoothed latents [n, T, X]; null for a model without latents
 * @param heldOutLoss      the model's mean total loss on the held-out trials (NaN for a model without one)
 * @param bestEpoch        the epoch whose parameters were kept (early stopping; else the last), 0 without training
 *
 * A model without training (the Wiener filter) has an empty history and empty dropScores.
 */
public record FoldResult(String model, int fold, Scores scores, List<Scores> dropScores, List<EpochStats> history,
                         int[] testTrials, float[] decodedFiltered, float[] decodedSmoothed, int latentDim,
                         float[] latentsSmoothed, double heldOutLoss, int bestEpoch, double seconds) {
}
