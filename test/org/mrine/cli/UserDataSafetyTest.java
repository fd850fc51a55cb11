package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mrine.cli.FileSnapshot.assertOneLine;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.data.Dataset;
import org.mrine.io.Json;
import org.mrine.io.Outputs;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;
import org.mrine.train.Checkpoint;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;

/**
 * One test per row of issue 12's table: what destroyed user data or ended in a stack trace now
 * refuses (exit 2, one line naming the file and what was expected), diverges cleanly (exit 3) or
 * works, and every file that existed before is byte for byte the same afterwards.
 */
class UserDataSafetyTest {
    @TempDir
    Path dir;

    static final String TINY = """
            model: {embedding_dim: 4, latent_dim: 4, hidden: [8], fusion_hidden: [8]}
            training: {epochs: %d, batch_size: 4, checkpoint_every: 1, validate_every: 0, backend: cpu%s}
            evaluation: {folds: 2}
            """;

    private static CliRun mrine(String... args) {
        return CliRun.of(args);
    }

    private Path config(int epochs, String extra) throws IOException {
        Path c = dir.resolve("tiny" + epochs + (extra.isEmpty() ? "" : "-" + Integer.toHexString(extra.hashCode())) + ".yaml");
        Files.writeString(c, TINY.formatted(epochs, extra.isEmpty() ? "" : ", " + extra));
        return c;
    }

    private Path simulate(String name) {
        Path data = dir.resolve(name);
        CliRun r = mrine("simulate", "--out", data.toString(), "--trials", "12", "--steps", "20");
        assertEquals(0, r.status(), r.err());
        return data;
    }

    private Path train(Path data, Path out, int epochs) throws IOException {
        CliRun r = mrine("train", "--data", data.toString(), "--out", out.toString(), "--config", config(epochs, "").toString(), "--model", "mrine");
        assertEquals(0, r.status(), r.out() + r.err());
        return out.resolve("mrine/checkpoint.safetensors");
    }

    /** A copy of a dataset file with its tensors or metadata changed. */
    static Path mutate(Path src, Path dst, Consumer<Map<String, HostTensor>> tensors, Consumer<Map<String, Object>> meta) {
        SafeTensors.Contents c = SafeTensors.read(src);
        Map<String, HostTensor> t = new LinkedHashMap<>();
        c.tensors().forEach((k, v) -> t.put(k, new HostTensor(v.shape(), v.data().clone())));
        tensors.accept(t);
        Map<String, String> metadata = new LinkedHashMap<>(c.metadata());
        if (metadata.containsKey(Dataset.META_KEY)) {
            Map<String, Object> m = new LinkedHashMap<>(Json.object(Json.parse(metadata.get(Dataset.META_KEY)), "test"));
            meta.accept(m);
            metadata.put(Dataset.META_KEY, Json.write(m));
        }
        SafeTensors.write(dst, t, metadata);
        return dst;
    }

    static Consumer<Map<String, Object>> sameMeta() {
        return m -> { };
    }

    // ---------------------------------------------------------------- rows of the table

    @Test
    void importNeverWritesOverItsSource() throws IOException {
        Path csv = Files.copy(Path.of(System.getProperty("mrine.shared", "../shared"), "data", "mc_maze_trial748.csv"), dir.resolve("rec.csv"));
        Path npz = Files.copy(Path.of("test/resources/numpy_recording.npz"), dir.resolve("rec.npz"));
        Path link = Files.createSymbolicLink(dir.resolve("link.safetensors"), csv);
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("import", "--csv", csv.toString(), "--out", csv.toString()), 2, "rec.csv", "is this command's --csv");
        assertOneLine(mrine("import", "--npz", npz.toString(), "--out", npz.toString()), 2, "rec.npz", "is this command's --npz");
        assertOneLine(mrine("import", "--csv", csv.toString(), "--out", link.toString()), 2, "link.safetensors", "is this command's --csv");
        before.assertUnchanged("import over its source");
    }

    @Test
    void streamNeverWritesOverItsCheckpointOrInput() throws IOException {
        Path data = simulate("d.safetensors");
        Path ck = train(data, dir.resolve("run"), 1);
        Path other = Files.copy(data, dir.resolve("other.safetensors"));
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", ck.toString()), 2,
                "checkpoint.safetensors", "is this command's --checkpoint");
        assertOneLine(mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", data.toString()), 2,
                "d.safetensors", "is this command's --input");
        assertOneLine(mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", other.toString()), 2,
                "other.safetensors", "is a mrine dataset", "--force");
        before.assertUnchanged("stream over its inputs");
        // decoded output replaces decoded output; --force replaces a file of another kind (never an input)
        Path decoded = dir.resolve("decoded.safetensors");
        for (int i = 0; i < 2; i++) {
            assertEquals(0, mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", decoded.toString()).status());
        }
        assertEquals(0, mrine("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--out", other.toString(), "--force").status());
        assertTrue(SafeTensors.read(other).has("latent"));
    }

    @Test
    void distNeverDeletesAFolderItDidNotMake() throws IOException {
        Path user = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(user.resolve("notes.txt"), "three months of notes");
        Files.createDirectories(user.resolve("figures"));
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("dist", "--out", user.toString()), 2, "mine", "mrine dist did not make", "notes.txt", "--force");
        before.assertUnchanged("dist over a user folder");
        Files.writeString(dir.resolve("afile"), "x");
        assertOneLine(mrine("dist", "--out", dir.resolve("afile").toString()), 2, "afile", "is a file");
    }

    @Test
    void trainNeverReplacesACheckpointWithoutResumeOrForce() throws IOException {
        Path data = simulate("d.safetensors");
        Path run = dir.resolve("run");
        Path ck = train(data, run, 3);
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(1, "").toString(), "--model", "mrine"),
                2, ck.toString(), "earlier run (epoch 3)", "--resume", "--force");
        before.assertUnchanged("train without --resume");
        assertEquals(3, Checkpoint.load(ck).epoch());

        CliRun resumed = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(3, "").toString(), "--model", "mrine",
                "--epochs", "4", "--resume");
        assertEquals(0, resumed.status(), resumed.err());
        assertEquals(4, Checkpoint.load(ck).epoch());
        CliRun forced = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(1, "").toString(), "--model", "mrine",
                "--force");
        assertEquals(0, forced.status(), forced.err());
        assertEquals(1, Checkpoint.load(ck).epoch());

        // a folder of the user's: train adds its files, but replaces none of theirs
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("config.yaml"), "# my own notes, not a mrine config\n");
        FileSnapshot mineBefore = FileSnapshot.of(mine);
        assertOneLine(mrine("train", "--data", data.toString(), "--out", mine.toString(), "--config", config(1, "").toString(), "--model", "mrine"),
                2, "config.yaml", "did not create", "--force");
        mineBefore.assertUnchanged("train into a user folder");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void twoTrainRunsOnOneFolderAreRefusedWhileTheFirstHoldsItsLock() throws Exception {
        Path data = simulate("d.safetensors");
        Path run = dir.resolve("run");
        // the first run: a real mrine process, training for long
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process first = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "train", "--data", data.toString(), "--out", run.toString(),
                "--config", config(100000, "").toString(), "--model", "mrine")
                .redirectErrorStream(true).redirectOutput(dir.resolve("first.log").toFile()).start();
        try {
            Path lock = run.resolve(Outputs.LOCK_NAME);
            String holder = "pid " + first.pid();
            for (int i = 0; i < 1200 && !(Files.exists(lock) && Files.readString(lock).contains(holder)); i++) {
                assertTrue(first.isAlive(), () -> "the first run ended early: " + read(dir.resolve("first.log")));
                Thread.sleep(100);
            }
            assertTrue(Files.readString(lock).contains(holder), "the first run took the lock");
            Path ck = run.resolve("mrine/checkpoint.safetensors");
            CliRun second = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(1, "").toString(),
                    "--model", "mrine", "--force");
            assertOneLine(second, 2, "run", "another mrine command is writing in this folder", holder);
            assertTrue(first.isAlive(), "the first run goes on");
        } finally {
            first.destroyForcibly().waitFor();  // kill -9
        }
        // the lock died with its process: the next run may write there (it continues the killed run's checkpoint)
        CliRun after = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(1, "").toString(),
                "--model", "mrine", "--force");
        assertEquals(0, after.status(), after.err());
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Test
    void divergenceExitsWith3NamingEpochBatchAndTheLastGoodCheckpoint() throws IOException {
        Path data = simulate("d.safetensors");
        Path run = dir.resolve("run");
        // epoch 1 at lr 0.001 (checkpointed), epoch 2 at lr 100 without clipping: the covariances break down
        Path cfg = config(4, "lr_base: 0.001, lr_max: 100, lr_step_up: 1, lr_mode: triangular, grad_clip: 0");
        CliRun r = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", cfg.toString(), "--model", "mrine");
        Path ck = run.resolve("mrine/checkpoint.safetensors");
        assertOneLine(r, 3, "diverged at epoch 2 of 4", "batch", "the last good checkpoint is " + ck, "(epoch 1)");
        assertEquals(1, Checkpoint.load(ck).epoch());
        assertTrue(Checkpoint.load(ck).firstNonFinite() == null, "the kept checkpoint is good");
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void simulateRefusesGainsThatWouldNeverFinish() {
        Path out = dir.resolve("g.safetensors");
        assertOneLine(mrine("simulate", "--out", out.toString(), "--spike-gain", "10"), 2, "--spike-gain", "at most 1000");
        assertOneLine(mrine("simulate", "--out", out.toString(), "--spike-gain", "Infinity"), 2, "spike_gain", "finite");
        assertOneLine(mrine("simulate", "--out", out.toString(), "--spike-gain", "NaN"), 2, "spike_gain");
        assertFalse(Files.exists(out));
    }

    @Test
    void nonFiniteObservedValuesAreNamedByFileTensorAndPosition() throws IOException {
        Path data = simulate("d.safetensors");
        // the field is sampled at step 0 of every trial: trial 1, step 0, channel 2 is present
        Path nan = mutate(data, dir.resolve("nan.safetensors"), t -> t.get("data.y").data()[(20 + 0) * 20 + 2] = Float.NaN, sameMeta());
        Path inf = mutate(data, dir.resolve("inf.safetensors"), t -> t.get("data.s").data()[3 * 20 + 1] = Float.POSITIVE_INFINITY, sameMeta());
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("train", "--data", nan.toString(), "--out", dir.resolve("a").toString(), "--config", config(1, "").toString()), 2,
                "nan.safetensors", "tensor data.y", "NaN", "[trial 1, step 0, channel 2]");
        assertOneLine(mrine("stream", "--checkpoint", train(data, dir.resolve("run"), 1).toString(), "--input", inf.toString()), 2,
                "inf.safetensors", "tensor data.s", "Infinity", "[trial 0, step 3, channel 1]");
        // import refuses Inf too (a spike count, and a field value after binning)
        Path csv = dir.resolve("rec.csv");
        Files.writeString(csv, "timestamp,unit_1,lfp,x\n0.00,0,1.5,0\n0.01,inf,2.5,1\n0.02,1,0.5,2\n0.03,0,1,3\n");
        assertOneLine(mrine("import", "--csv", csv.toString(), "--field", "lfp", "--out", dir.resolve("c.safetensors").toString()), 2,
                "rec.csv", "unit_1", "Infinity", "row 1");
        Files.writeString(csv, "timestamp,unit_1,lfp,x\n0.00,0,1.5,0\n0.01,1,inf,1\n0.02,1,0.5,2\n0.03,0,1,3\n");
        assertOneLine(mrine("import", "--csv", csv.toString(), "--field", "lfp", "--out", dir.resolve("c.safetensors").toString()), 2,
                "rec.csv", "tensor data.lfp", "Infinity", "step 1");
        before.assertUnchanged("non-finite values");
    }

    @Test
    void countsMasksEmptyModalitiesAndBinWidthsAreCheckedWhereverADatasetIsRead() throws IOException {
        Path data = simulate("d.safetensors");
        Path ck = train(data, dir.resolve("run"), 1);
        record Case(String file, Consumer<Map<String, HostTensor>> tensors, Consumer<Map<String, Object>> meta, String... says) {
        }
        List<Case> cases = List.of(
                new Case("negative.safetensors", t -> t.get("data.s").data()[5] = -3, sameMeta(), "tensor data.s", "-3.0", "count"),
                new Case("fraction.safetensors", t -> t.get("data.s").data()[5] = 1.5f, sameMeta(), "tensor data.s", "1.5", "whole number"),
                new Case("masks0.safetensors", t -> {
                    Arrays.fill(t.get("mask.s").data(), 0);
                    Arrays.fill(t.get("mask.y").data(), 0);
                }, sameMeta(), "modality s has no samples"),
                new Case("nofield.safetensors", t -> Arrays.fill(t.get("mask.y").data(), 0), sameMeta(), "modality y has no samples"),
                new Case("half.safetensors", t -> t.get("mask.s").data()[7] = 0.5f, sameMeta(), "tensor mask.s", "0.5", "[trial 0, step 7]"),
                new Case("masknan.safetensors", t -> t.get("mask.s").data()[21] = Float.NaN, sameMeta(), "tensor mask.s", "NaN", "[trial 1, step 1]"),
                new Case("bin.safetensors", t -> { }, m -> m.put("bin_ms", -10.0), "bin_ms is -10.0", "positive"));
        for (Case c : cases) {
            Path bad = mutate(data, dir.resolve(c.file()), c.tensors(), c.meta());
            FileSnapshot before = FileSnapshot.of(dir);
            List<String> says = new ArrayList<>(List.of(c.file()));
            says.addAll(List.of(c.says()));
            String[] parts = says.toArray(String[]::new);
            assertOneLine(mrine("train", "--data", bad.toString(), "--out", dir.resolve("t-" + c.file()).toString(), "--config",
                    config(1, "").toString()), 2, parts);
            assertOneLine(mrine("evaluate", "--data", bad.toString(), "--out", dir.resolve("e-" + c.file()).toString(), "--config",
                    config(1, "").toString()), 2, parts);
            assertOneLine(mrine("stream", "--checkpoint", ck.toString(), "--input", bad.toString()), 2, parts);
            assertOneLine(mrine("inspect", bad.toString()), 2, parts);
            before.assertUnchanged(c.file());
        }
    }

    @Test
    void importMapsModalityNamesThatTrainingCannotKeepAndSaysSo() throws IOException {
        Path mat = dir.resolve("rec.mat");
        MatFile f = Mat5.newMatFile();
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        Matrix spikes = Mat5.newMatrix(400, 4), field = Mat5.newMatrix(400, 2), vel = Mat5.newMatrix(400, 2);
        for (int i = 0; i < 400; i++) {
            for (int c = 0; c < 4; c++) spikes.setDouble(i, c, rng.nextInt(3));
            for (int c = 0; c < 2; c++) {
                field.setDouble(i, c, rng.nextGaussian());
                vel.setDouble(i, c, Math.sin(i / 20.0 + c));
            }
        }
        f.addArray("spikes", spikes).addArray("field_b", field).addArray("vel", vel);
        Mat5.writeToFile(f, mat.toFile());
        Path data = dir.resolve("rec.safetensors");
        CliRun imp = mrine("import", "--mat", mat.toString(), "--spikes", "spikes", "--field", "field_b", "--behavior", "vel", "--bin-ms", "10",
                "--trial-ms", "200", "--out", data.toString());
        assertEquals(0, imp.status(), imp.err());
        assertTrue(imp.out().contains("note: modality 'field_b' is named 'fieldB'"), imp.out());
        assertEquals(List.of("spikes", "fieldB"), Dataset.load(data).modalityNames());
        CliRun tr = mrine("train", "--data", data.toString(), "--out", dir.resolve("run").toString(), "--config", config(1, "").toString(),
                "--model", "mrine", "--model", "fb=fieldB");
        assertEquals(0, tr.status(), tr.err());
        CliRun ev = mrine("evaluate", "--data", data.toString(), "--out", dir.resolve("eval").toString(), "--config", config(1, "").toString(),
                "--model", "mrine", "--no-plots", "--threads", "1");
        assertEquals(0, ev.status(), ev.err());
    }

    @Test
    void inspectSaysWhenAFileIsTruncated() throws IOException {
        for (String name : List.of("nwb_spikes_lfp_behavior.nwb", "mat73_small.mat")) {
            byte[] whole = Files.readAllBytes(Path.of("test/resources", name));
            Path cut = Files.write(dir.resolve("cut-" + name), Arrays.copyOf(whole, whole.length - 100));
            assertOneLine(mrine("inspect", cut.toString()), 2, cut.getFileName().toString(), "truncated", "100 missing");
            Path out = dir.resolve("cut.safetensors");
            assertOneLine(mrine("import", name.endsWith(".nwb") ? "--nwb" : "--mat", cut.toString(), "--out", out.toString()), 2, "truncated");
        }
        Path data = simulate("d.safetensors");
        byte[] whole = Files.readAllBytes(data);
        Path cut = Files.write(dir.resolve("cut.safetensors"), Arrays.copyOf(whole, whole.length - 8));
        assertOneLine(mrine("inspect", cut.toString()), 2, "cut.safetensors", "past the end");
    }

    @Test
    void yamlKeysGivenTwiceAreRefused() throws IOException {
        Path data = simulate("d.safetensors");
        Path cfg = dir.resolve("twice.yaml");
        Files.writeString(cfg, "model: {latent_dim: 4}\ntraining: {epochs: 1}\nmodel: {embedding_dim: 4}\n");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("run").toString(), "--config", cfg.toString()), 2,
                "twice.yaml", "'model' appears twice", "line 3");
        Files.writeString(cfg, "training:\n  epochs: 1\n  epochs: 2\n");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("run").toString(), "--config", cfg.toString()), 2,
                "twice.yaml", "'epochs' appears twice");
    }

    @Test
    void whatEndedInStackTracesIsNowOneLine() throws IOException {
        Path data = simulate("d.safetensors");
        Path afile = Files.writeString(dir.resolve("afile"), "not a folder");
        FileSnapshot before = FileSnapshot.of(dir);
        assertOneLine(mrine("train", "--data", data.toString(), "--out", afile.toString(), "--config", config(1, "").toString()), 2,
                "afile", "is a file");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", afile.resolve("sub").toString(), "--config", config(1, "").toString()), 2,
                "afile");
        assertOneLine(mrine("simulate", "--out", afile.resolve("x.safetensors").toString()), 2, "afile", "is a file, not a folder");
        assertOneLine(mrine("simulate", "--out", "/proc/mrine-cannot-write-here.safetensors", "--trials", "2", "--steps", "4"), 2,
                "/proc/mrine-cannot-write-here.safetensors");
        assertOneLine(mrine("simulate", "--out", dir.resolve("s.safetensors").toString(), "--seed", "1e20"), 2, "--seed", "1e20");
        Path seed = Files.writeString(dir.resolve("seed.yaml"), "training: {seed: 100000000000000000000}\n");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("r1").toString(), "--config", seed.toString()), 2,
                "seed.yaml", "training.seed");
        Path big = Files.writeString(dir.resolve("big.yaml"), "model: {hidden: [1000000000]}\n");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("r2").toString(), "--config", big.toString()), 2,
                "big.yaml", "model.hidden[0]");
        Path csv = Files.copy(Path.of(System.getProperty("mrine.shared", "../shared"), "data", "mc_maze_trial748.csv"), dir.resolve("rec.csv"));
        assertOneLine(mrine("import", "--csv", csv.toString(), "--trial-ms", "1", "--out", dir.resolve("t.safetensors").toString()), 2,
                "rec.csv", "--trial-ms 1", "shorter than one bin");
        assertOneLine(mrine("simulate", "--out", dir.resolve("h.safetensors").toString(), "--trials", "100000", "--steps", "100000"), 2,
                "100000 trials × 100000 steps");
        assertOneLine(mrine("simulate", "--out", dir.resolve("h.safetensors").toString(), "--trials", "1000000", "--steps", "3000"), 2,
                "1000000 trials × 3000 steps");
        assertOneLine(mrine("simulate", "--out", dir.resolve("h.safetensors").toString(), "--trials", "100000", "--steps", "1000"), 2,
                "100000 trials × 1000 steps need about", "GiB of memory");
        // a NaN parameter in a checkpoint: stream and --resume name the tensor
        Path ck = train(data, dir.resolve("run"), 1);
        Path nanCk = dir.resolve("nan/mrine/checkpoint.safetensors");
        SafeTensors.Contents c = SafeTensors.read(ck);
        Map<String, HostTensor> t = new LinkedHashMap<>(c.tensors());
        t.get("param.ldm.A").data()[0] = Float.NaN;
        SafeTensors.write(nanCk, t, c.metadata());
        assertOneLine(mrine("stream", "--checkpoint", nanCk.toString(), "--input", data.toString()), 2,
                nanCk.toString(), "tensor param.ldm.A", "NaN");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("nan").toString(), "--config", config(1, "").toString(),
                "--model", "mrine", "--resume", "--epochs", "2"), 2, "tensor param.ldm.A", "NaN");
        before.assertUnchanged("bad values");
    }

    @Test
    void debugAddsTheStackTraceAndUsageErrorsAreOneLineToo() throws IOException {
        Path data = simulate("d.safetensors");
        Path bad = mutate(data, dir.resolve("neg.safetensors"), t -> t.get("data.s").data()[0] = -1, sameMeta());
        CliRun plain = mrine("inspect", bad.toString());
        assertOneLine(plain, 2, "neg.safetensors", "tensor data.s");
        CliRun debug = mrine("inspect", "--debug", bad.toString());
        assertEquals(2, debug.status());
        assertTrue(debug.err().startsWith(plain.err().strip()) && debug.err().contains("\tat org.mrine.data.Dataset.validate"), debug.err());
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--epoch", "3"), 2,
                "mrine train", "--epoch", "did you mean", "--help");
        assertOneLine(mrine("simulate"), 2, "Missing required option", "--out");
    }

    @Test
    void cudaWithoutAGpuIsOneLine() throws IOException {
        Path data = simulate("d.safetensors");
        Path ck = train(data, dir.resolve("run"), 1);
        // in a JVM that sees no device, on every machine (NoDeviceRun)
        assertOneLine(NoDeviceRun.of("stream", "--checkpoint", ck.toString(), "--input", data.toString(), "--backend", "cuda"), 2, "backend cuda");
        Path cfg = Files.writeString(dir.resolve("cuda.yaml"), TINY.formatted(1, "").replace("backend: cpu", "backend: cuda"));
        // refused before the results folder is made: nothing left behind
        assertOneLine(NoDeviceRun.of("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--config", cfg.toString()), 2,
                "backend cuda", "--backend cpu");
        assertOneLine(NoDeviceRun.of("evaluate", "--data", data.toString(), "--out", dir.resolve("e").toString(), "--config", cfg.toString()), 2,
                "backend cuda");
        assertOneLine(NoDeviceRun.of("demo", "--out", dir.resolve("demo").toString(), "--config", cfg.toString()), 2, "backend cuda");
        Path grid = Files.writeString(dir.resolve("grid.yaml"), "model:\n  latent_dim: [3, 4]\n");
        assertOneLine(NoDeviceRun.of("sweep", "--data", data.toString(), "--grid", grid.toString(), "--config", cfg.toString(), "--out",
                dir.resolve("s").toString()), 2, "backend cuda");
        for (String folder : List.of("r", "e", "demo", "s")) assertFalse(Files.exists(dir.resolve(folder)), folder + ": nothing written");
    }

    @Test
    void leftoverTemporaryFilesOfAKilledRunAreRemovedByTheNextRunThatWritesThere() throws IOException {
        Path data = simulate("d.safetensors");
        Path out = dir.resolve("imported.safetensors");
        // what a run killed during its write leaves: the temporary file of the atomic write, never renamed
        Path leftover = Files.write(dir.resolve(".imported.safetensors.3f9a2c71d04be6e5.tmp"), new byte[1 << 20]);
        // a write in progress (its writer holds the lock) is not a leftover
        Path inProgress = dir.resolve(".imported.safetensors.77aa.tmp");
        try (FileChannel ch = FileChannel.open(inProgress, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            Path csv = Files.copy(Path.of("test/resources/numpy_recording.npz"), dir.resolve("rec.npz"));
            CliRun r = mrine("import", "--npz", csv.toString(), "--out", out.toString());
            assertEquals(0, r.status(), r.err());
            assertFalse(Files.exists(leftover), "the killed run's temporary file is gone");
            assertTrue(Files.exists(inProgress) && lock.isValid(), "the live write's temporary file stays");
        }
        // in an output folder: the next train there removes them, at any depth
        Path run = dir.resolve("run");
        train(data, run, 1);
        Path deep = Files.write(run.resolve("mrine/.checkpoint.safetensors.0123456789abcdef.tmp"), new byte[1000]);
        Path top = Files.write(run.resolve(".config.yaml.1a.tmp"), new byte[10]);
        Path users = Files.write(run.resolve("my.tmp"), new byte[10]);
        CliRun r = mrine("train", "--data", data.toString(), "--out", run.toString(), "--config", config(1, "").toString(), "--model", "mrine",
                "--resume", "--epochs", "2");
        assertEquals(0, r.status(), r.err());
        assertFalse(Files.exists(deep) || Files.exists(top), "leftovers removed");
        assertTrue(Files.exists(users), "a file not named like ours stays");
    }

    @Test
    void errorsAboutADatasetNameItsFileAndTheRightTensor() throws IOException {
        Path data = simulate("d.safetensors");
        assertOneLine(mrine("train", "--data", data.toString(), "--out", dir.resolve("r").toString(), "--config", config(1, "").toString(),
                "--model", "x=s+q"), 2, "d.safetensors", "no modality 'q'", "[s, y]");
        assertOneLine(mrine("evaluate", "--data", data.toString(), "--out", dir.resolve("e").toString(), "--config", config(1, "").toString(),
                "--drop-sweep", "--drop-modality", "q"), 2, "d.safetensors", "no modality 'q'");
        Path shortBehavior = mutate(data, dir.resolve("beh.safetensors"), t -> {
            HostTensor b = t.get("behavior");
            t.put("behavior", new HostTensor(new int[] {12, 19, 3}, Arrays.copyOf(b.data(), 12 * 19 * 3)));
        }, sameMeta());
        assertOneLine(mrine("inspect", shortBehavior.toString()), 2, "beh.safetensors", "tensor behavior has shape [12, 19, 3]",
                "expected [12, 20, D]");
        Path ck = train(data, dir.resolve("run"), 1);
        Path spikesOnly = mutate(data, dir.resolve("s.safetensors"), t -> {
            t.remove("data.y");
            t.remove("mask.y");
        }, m -> m.put("modalities", List.of(Map.of("name", "s", "likelihood", "poisson"))));
        assertOneLine(mrine("stream", "--checkpoint", ck.toString(), "--input", spikesOnly.toString()), 2,
                "s.safetensors", "no modality 'y'");
    }

    @Test
    void matlabImportPrintsNoUnsafeWarnings() throws Exception {
        Path mat = Path.of(System.getProperty("mrine.shared", "../shared"), "data", "s1_area2_miller.mat");
        // the JVM flags of both launchers, as a user runs them
        for (List<String> launcherFlags : List.of(LauncherFlags.dev(), LauncherFlags.dist())) {
            assertTrue(launcherFlags.contains("--sun-misc-unsafe-memory-access=allow"), launcherFlags.toString());
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(launcherFlags);
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "inspect", mat.toString()));
            Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), err);
            assertFalse(err.contains("Unsafe"), "warnings on stderr with " + launcherFlags + ":\n" + err);
        }
    }

    @Test
    void demoNameStaysInsideResults() {
        Path escaped = Path.of("results", "..", "..", "mrine-demo-escape").normalize();
        for (String name : List.of("../../mrine-demo-escape", "/tmp/mrine-demo-escape", "..", "a/b")) {
            assertOneLine(mrine("demo", "--name", name, "--trials", "10", "--steps", "10", "--epochs", "1"), 2, "--name", "under results/");
        }
        assertFalse(Files.exists(escaped), "nothing written outside results/");
        assertFalse(Files.exists(Path.of("/tmp/mrine-demo-escape")));
    }
}
