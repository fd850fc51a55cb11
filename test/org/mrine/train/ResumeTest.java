package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.tensor.HostTensor;

/** Training resumed from a checkpoint continues bit for bit; a diverging run stops and keeps its last good checkpoint. */
class ResumeTest {
    @TempDir
    Path dir;

    private final Dataset raw = TinyRuns.data(24, 30);
    private final int[] train = TinyRuns.range(0, 20), valid = TinyRuns.range(20, 24);

    private List<EpochStats> train(TrainConfig cfg, Path file, Checkpoint resume) {
        Trainer.Run run = Trainer.Run.prepare(cfg, raw, train, valid, TinyRuns.BOTH, resume);
        try (Backend be = Backends.create("cpu")) {
            Trainer t = new Trainer(run, be);
            if (resume != null) t.resume(resume, file.toString());
            return t.fit(file, TrainingListener.SILENT);
        }
    }

    /**
     * Runs {@link ResumeProcess} in a fresh JVM, as a crashed and restarted run would: the
     * checkpoint is all that carries over, and the new process starts with a cold JIT while the
     * straight run's later epochs ran warm, so this also holds the engine to giving the same bits
     * in every compilation tier.
     */
    private void child(String mode) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(javaBin, "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                ResumeProcess.class.getName(), mode, dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), "child " + mode + " failed:\n" + out);
    }

    @Test
    void fourEpochsStraightEqualTwoPlusTwoResumedInAnotherProcess() throws Exception {
        child("straight");   // 4 epochs straight, and 2 epochs into split.safetensors
        Checkpoint half = Checkpoint.load(dir.resolve("split.safetensors"));
        assertEquals(2, half.epoch());
        child("resume");     // a new process continues split.safetensors to 4 epochs
        Checkpoint x = Checkpoint.load(dir.resolve("straight.safetensors")), y = Checkpoint.load(dir.resolve("split.safetensors"));
        assertEquals(4, x.epoch());
        assertEquals(4, y.epoch());
        assertEquals(x.optimizerSteps(), y.optimizerSteps());
        assertEquals(x.rngState(), y.rngState());
        assertEquals(x.params().keySet(), y.params().keySet());
        assertEquals(x.earlyStop(), y.earlyStop());
        assertTrue(x.earlyStop().bestEpoch() > 0, "the tiny config runs with early stopping (the default)");
        for (String n : x.params().keySet()) {
            assertArrayEquals(x.params().get(n).data(), y.params().get(n).data(), "parameter " + n);
            assertArrayEquals(x.trainParams().get(n).data(), y.trainParams().get(n).data(), "training's current " + n);
            assertArrayEquals(x.expAvg().get(n).data(), y.expAvg().get(n).data(), "first moment of " + n);
            assertArrayEquals(x.expAvgSq().get(n).data(), y.expAvgSq().get(n).data(), "second moment of " + n);
        }
        List<EpochStats> a = x.history(), b = y.history();
        assertEquals(4, b.size(), "the resumed history holds all four epochs");
        for (int e = 0; e < 4; e++) {
            assertEquals(a.get(e).trainTotal(), b.get(e).trainTotal(), 0, "train loss of epoch " + (e + 1));
            assertEquals(a.get(e).validTotal(), b.get(e).validTotal(), 0, "held-out loss of epoch " + (e + 1));
            assertEquals(a.get(e).stopTotal(), b.get(e).stopTotal(), 0, "validation loss of epoch " + (e + 1));
            assertEquals(a.get(e).lr(), b.get(e).lr(), 0);
        }
        assertTrue(a.get(3).trainTotal() < a.get(0).trainTotal(), "the loss went down: " + a.get(0).trainTotal() + " -> " + a.get(3).trainTotal());
    }

    @Test
    void checkpointHoldsReferenceNamesConfigAndEpoch() {
        TrainConfig cfg = TinyRuns.config(1, "");
        Path file = dir.resolve("c.safetensors");
        train(cfg, file, null);
        var contents = org.mrine.io.SafeTensors.read(file);
        assertTrue(contents.has("param.ldm.A"), contents.tensors().keySet().toString());
        assertTrue(contents.has("param.encoder.encoder_s.layers.0.weight"), contents.tensors().keySet().toString());
        assertTrue(contents.has("optim.exp_avg.ldm.A"));
        assertTrue(contents.has("optim.exp_avg_sq.decoder_dict.s_poisson.logfr_layer.bias"), contents.tensors().keySet().toString());
        assertEquals("1", contents.metadata().get("epoch"));
        assertEquals(cfg.toYaml(), contents.metadata().get("config"));
        Checkpoint c = Checkpoint.load(file);
        assertTrue(c.tau() > 0);
        assertEquals(List.of("s", "y"), c.modalities().stream().map(ModalityInfo::name).toList());
        assertEquals(1, c.history().size());
    }

    @Test
    void resumingWithAnotherConfigIsAnError() {
        TrainConfig cfg = TinyRuns.config(1, "");
        Path file = dir.resolve("c.safetensors");
        train(cfg, file, null);
        Checkpoint ck = Checkpoint.load(file);
        TrainConfig other = TinyRuns.config(2, "lr_max: 0.02");
        String m = assertThrows(IllegalArgumentException.class, () -> train(other, file, ck)).getMessage();
        assertTrue(m.contains("lr_max") && m.contains("only training.epochs"), m);
    }

    @Test
    void nonFiniteLossStopsNamingEpochAndBatchAndKeepsTheLastGoodCheckpoint() {
        TrainConfig cfg = TinyRuns.config(4, "zscore_gaussian: false");
        Path file = dir.resolve("c.safetensors");
        Trainer.Run run = Trainer.Run.prepare(cfg.withEpochs(2), raw, train, valid, TinyRuns.BOTH, null);
        try (Backend be = Backends.create("cpu")) {
            new Trainer(run, be).fit(file, TrainingListener.SILENT);
        }
        HostTensor before = Checkpoint.load(file).params().get("ldm.A");

        // a NaN in one available field sample of every trial: the first batch of epoch 3 diverges
        float[] field = raw.modality("y").values();
        for (int b = 0; b < raw.trials(); b++) field[b * raw.steps() * 20 + 7] = Float.NaN;
        Checkpoint ck = Checkpoint.load(file);
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class, () -> train(cfg, file, ck));
        assertTrue(e.getMessage().contains("epoch 3 of 4") && e.getMessage().contains("batch 1 of 2")
                && e.getMessage().contains("NaN") && e.getMessage().contains("epoch 2"), e.getMessage());
        Checkpoint after = Checkpoint.load(file);
        assertEquals(2, after.epoch());
        assertArrayEquals(before.data(), after.params().get("ldm.A").data());
    }
}
