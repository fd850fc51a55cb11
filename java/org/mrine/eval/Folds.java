package org.mrine.eval;

/**
 * K-fold cross-validation over contiguous blocks of trials: fold k holds out trials
 * [k B / K, (k+1) B / K) and trains on the rest. Contiguous blocks keep neighbouring (correlated)
 * trials on one side of the split.
 */
public record Folds(int trials, int folds) {

    public Folds {
        if (folds < 2) throw new IllegalArgumentException("cross-validation needs at least 2 folds, got " + folds);
        if (trials < folds) {
            throw new IllegalArgumentException(trials + " trials cannot make " + folds + " folds; expected evaluation.folds of at most " + trials);
        }
    }

    public int[] test(int k) {
        int from = start(k), to = start(k + 1);
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) out[i] = from + i;
        return out;
    }

    public int[] train(int k) {
        int from = start(k), to = start(k + 1);
        int[] out = new int[trials - (to - from)];
        int j = 0;
        for (int i = 0; i < trials; i++) if (i < from || i >= to) out[j++] = i;
        return out;
    }

    private int start(int k) {
        return (int) ((long) k * trials / folds);
    }
}
