package org.mrine.train;

import java.util.Map;

/** Hears the progress of a training run (a progress bar, log lines, a test). All methods optional. */
public interface TrainingListener {

    TrainingListener SILENT = new TrainingListener() {
    };

    /** Before the first batch of an epoch (counted from 1). */
    default void epochStarted(int epoch, int epochs, int batches, double lr) {
    }

    /** After each batch: its loss terms and the throughput of the epoch so far in trials per second. */
    default void batchDone(int epoch, int batch, int batches, Map<String, Double> terms, double trialsPerSecond) {
    }

    /** After each epoch, with the estimated seconds left for the run. */
    default void epochDone(EpochStats stats, int epochs, double secondsLeft) {
    }

    /** A line worth telling the user (checkpoint written, resumed from ...). */
    default void message(String text) {
    }
}
