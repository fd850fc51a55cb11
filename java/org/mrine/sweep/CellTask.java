package org.mrine.sweep;

import org.mrine.data.Dataset;
import org.mrine.eval.CrossValidation;
import org.mrine.eval.CvListener;
import org.mrine.eval.FoldResult;
import org.mrine.eval.ModelChoice;
import org.mrine.train.TrainConfig;

/**
 * Computes one cell: the function every executor runs. Deterministic: the same cell and dataset
 * give the same result bit for bit, wherever it runs (training draws from seeded streams only). A
 * failure (a diverged run, a bad setting) becomes a result that says why, so the sweep goes on.
 */
public final class CellTask {
    private CellTask() {
    }

    public static CellResult run(Dataset raw, CellSpec c, String worker) {
        long start = System.nanoTime();
        try {
            TrainConfig cfg = TrainConfig.parse(c.configYaml(), "cell " + c.id());
            ModelChoice choice = c.isWiener() ? new ModelChoice(ModelChoice.WIENER, c.modalities(), c.wienerLags())
                    : new ModelChoice("mrine", c.modalities());
            FoldResult r = CrossValidation.fitAndScore(raw, cfg, choice, c.outer(), c.train(), c.test(), CrossValidation.slowMask(raw),
                    CvListener.SILENT);
            return new CellResult(c.id(), c.setting(), c.outer(), c.inner(), r.scores().filtered(), r.scores().smoothed(),
                    r.heldOutLoss(), r.history().size(), r.bestEpoch(), seconds(start), null, worker);
        } catch (RuntimeException | OutOfMemoryError e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            return CellResult.failure(c, e.getClass().getSimpleName() + ": " + msg.lines().findFirst().orElse(""), seconds(start), worker);
        }
    }

    private static double seconds(long start) {
        return (System.nanoTime() - start) / 1e9;
    }
}
