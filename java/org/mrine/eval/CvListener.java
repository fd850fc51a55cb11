package org.mrine.eval;

import org.mrine.train.EpochStats;

/** Hears the progress of a cross-validation; called from worker threads, so implementations synchronize. */
public interface CvListener {

    CvListener SILENT = new CvListener() {
    };

    default void epochDone(String model, int fold, EpochStats stats, int epochs, double secondsLeft) {
    }

    default void foldDone(FoldResult result, int done, int total) {
    }

    default void message(String text) {
    }
}
