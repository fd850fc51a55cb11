package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.SafeTensors;

/** simulate, train (which also fits the readout), then stream the recording step by step. */
class StreamCommandTest {
    @TempDir
    Path dir;


    private static CliRun mrine(String... args) {
        return CliRun.of(args);
    }

    @Test
    void streamsARecordingThroughATrainedModel() throws Exception {
        Path data = dir.resolve("sim.safetensors"), run = dir.resolve("run"), cfg = dir.resolve("small.yaml");
        Files.writeString(cfg, "model:\n  embedding_dim: 6\n  latent_dim: 6\n  hidden: [16]\n  fusion_hidden: [16]\n"
                + "training:\n  epochs: 2\n  batch_size: 8\n  validate_every: 0\n");
        assertEquals(0, mrine("simulate", "--out", data.toString(), "--trials", "16", "--steps", "60").status());
        CliRun train = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", cfg.toString(), "--model", "mrine");
        assertEquals(0, train.status(), train.out() + train.err());
        Path ck = run.resolve("mrine/checkpoint.safetensors");
        assertTrue(Files.exists(run.resolve("mrine/readout.safetensors")));
        Path decoded = dir.resolve("decoded.safetensors");
        CliRun s = mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", decoded.toString());
        assertEquals(0, s.status(), s.out() + s.err());
        assertTrue(s.out().contains("960 steps") && s.out().contains("p99.9") && s.out().contains("CC per dimension"), s.out());
        SafeTensors.Contents c = SafeTensors.read(decoded);
        assertArrayEquals(new int[] {16, 60, 6}, c.get("latent").shape());
        assertArrayEquals(new int[] {16, 60, 3}, c.get("behavior").shape());
        for (float v : c.get("latent").data()) assertTrue(Float.isFinite(v));

        // a dataset is not a checkpoint: a clear error naming the file
        CliRun bad = mrine("stream", "--checkpoint", data.toString(), "--input", data.toString());
        assertEquals(2, bad.status());
        assertTrue(bad.err().contains("sim.safetensors"), bad.err());
    }
}
