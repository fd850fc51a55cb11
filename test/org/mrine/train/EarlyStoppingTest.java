package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;

/**
 * Early stopping: the validation block is the last part of the training trials, training ends
 * once the validation loss has not improved for patience_steps optimizer steps, and the model (and
 * the checkpoint's param.* tensors) are the best epoch's; the budget in optimizer steps sets the
 * epochs whatever the number of trials.
 */
class EarlyStoppingTest {
    @TempDir
    Path dir;

    private final Dataset raw = TinyRuns.data(24, 30);
    private final int[] train = TinyRuns.range(0, 20);

    @Test
    void stopsAfterPatienceAndKeepsTheBestEpoch() {
        // 18 fitted trials in batches of 8: 2 steps an epoch, so 6 steps of patience are 3 epochs
        TrainConfig cfg = TinyRuns.config(60, "patience_steps: 6, validation_fraction: 0.1, lr_max: 0.05, lr_base: 0.02");
        Trainer.Run run = Trainer.Run.prepare(cfg, raw, train, new int[0], TinyRuns.BOTH, null);
        assertArrayEquals(TinyRuns.range(0, 18), run.train());
        assertArrayEquals(new int[] {18, 19}, run.stop(), "the last 10% of the training trials");
        Path file = dir.resolve("c.safetensors");
        try (Backend be = Backends.create("cpu")) {
            Trainer t = new Trainer(run, be);
            List<EpochStats> h = t.fit(file, TrainingListener.SILENT);
            EarlyStop s = t.earlyStop();
            assertTrue(s.stopped(), "a learning rate this high stops improving within 60 epochs: " + h.size() + " epochs");
            assertTrue(h.size() < 60);
            int argmin = 0;
            for (int e = 0; e < h.size(); e++) {
                assertTrue(Double.isFinite(h.get(e).stopTotal()), "validation loss of every epoch");
                if (h.get(e).stopTotal() < h.get(argmin).stopTotal()) argmin = e;
            }
            assertEquals(argmin + 1, s.bestEpoch());
            assertEquals(h.get(argmin).stopTotal(), s.bestLoss(), 0);
            assertEquals(s.bestEpoch() + 3, h.size(), "stopped after 3 epochs (6 steps) without a better loss");
            // the model holds the best epoch's parameters: its validation loss is the best one, to the bit
            assertEquals(s.bestLoss(), Inference.meanLoss(t.model(), run.data(), run.stop(), TinyRuns.BOTH, t.batchSize()), 0);
            Checkpoint ck = Checkpoint.load(file);
            assertEquals(s, ck.earlyStop());
            assertEquals(h.size(), ck.epoch());
            float[] best = t.model().params.flat().toArray();
            float[] saved = concat(ck.params(), t.model().params.names());
            assertArrayEquals(best, saved, "param.* is the best epoch's");
            assertFalse(Arrays.equals(best, concat(ck.trainParams(), t.model().params.names())), "train.param.* is where training stood");
        }
    }

    @Test
    void budgetInStepsSetsTheEpochsAndNoPatienceTrainsThemAll() {
        TrainConfig cfg = TinyRuns.config(1, "max_steps: 7, patience_steps: 0").withEpochs(TrainConfig.EPOCHS_AUTO);
        Trainer.Run run = Trainer.Run.prepare(cfg, raw, train, new int[0], TinyRuns.BOTH, null);
        assertEquals(0, run.stop().length, "no validation block without early stopping");
        try (Backend be = Backends.create("cpu")) {
            Trainer t = new Trainer(run, be);
            assertEquals(2, t.batchesPerEpoch());
            assertEquals(4, t.plannedEpochs(), "7 steps at 2 per epoch: 4 epochs");
            List<EpochStats> h = t.fit(null, TrainingListener.SILENT);
            assertEquals(4, h.size());
            assertEquals(EarlyStop.NONE, t.earlyStop());
            assertTrue(Double.isNaN(h.get(0).stopTotal()));
        }
    }

    private static float[] concat(java.util.Map<String, org.mrine.tensor.HostTensor> tensors, List<String> names) {
        int n = 0;
        for (String name : names) n += tensors.get(name).data().length;
        float[] out = new float[n];
        int at = 0;
        for (String name : names) {
            float[] d = tensors.get(name).data();
            System.arraycopy(d, 0, out, at, d.length);
            at += d.length;
        }
        return out;
    }
}
