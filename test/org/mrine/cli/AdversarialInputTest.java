package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.SafeTensors;
import org.mrine.tensor.HostTensor;

/**
 * Bad datasets, configs, tables and checkpoints made at random (seeded, a fixed number of each), run
 * through the commands that read them. Whatever the input, the command ends with 0 (the change
 * was harmless), 2 (bad input: one line naming the file or option) or 3 (training diverged: one
 * line), never with a stack trace or an internal error, and every file that existed before is byte
 * for byte the same afterwards.
 */
class AdversarialInputTest {
    @TempDir
    Path dir;

    /** -Dmrine.adversarial.seed / .scale: other inputs, or more of them, than CI's (seed 12, scale 1). */
    private static final long SEED = Long.getLong("mrine.adversarial.seed", 12);
    private static final int SCALE = Integer.getInteger("mrine.adversarial.scale", 1);
    private static final int B = 8, T = 15;

    private static final String CONFIG = """
            model:
              embedding_dim: 4
              latent_dim: 4
              hidden: [8]
              fusion_hidden: [8]
            loss:
              steps_ahead: [0, 1]
            training:
              epochs: 1
              batch_size: 4
              validate_every: 0
              backend: cpu
            evaluation:
              folds: 2
            """;

    private int runs;
    private final int[] statuses = new int[4];

    private Path base() throws IOException {
        Path data = dir.resolve("base.safetensors");
        assertEquals(0, CliRun.of("simulate", "--out", data.toString(), "--trials", Integer.toString(B), "--steps", Integer.toString(T)).status());
        Files.writeString(dir.resolve("base.yaml"), CONFIG);
        return data;
    }

    /**
     * Runs a command on a bad input and checks the outcome: an allowed status, one line naming
     * {@code names} (any of them) for a refusal, and every file that existed before unchanged.
     */
    private CliRun check(String what, List<String> names, String... args) {
        FileSnapshot before = FileSnapshot.of(dir);
        CliRun r = CliRun.of(args);
        runs++;
        if (r.status() >= 0 && r.status() < statuses.length) statuses[r.status()]++;
        String context = what + ": mrine " + String.join(" ", args) + "\nstdout:\n" + r.out() + "\nstderr:\n" + r.err();
        assertTrue(r.status() == 0 || r.status() == 2 || r.status() == 3, "exit status " + r.status() + " for " + context);
        if (r.status() != 0) {
            String err = r.err().strip();
            assertEquals(1, err.lines().count(), "one line for " + context);
            assertTrue(err.startsWith("mrine"), context);
            assertFalse(err.contains("\tat ") || err.contains("Exception") || err.contains("internal error"), context);
            if (r.status() == 2) assertTrue(names.stream().anyMatch(err::contains), "the message names one of " + names + ": " + context);
        }
        before.assertUnchanged(what);
        return r;
    }

    /** Most bad inputs are refused (a run of harmless changes only would prove nothing). */
    private void summary() {
        System.out.println("adversarial: exit 0 x" + statuses[0] + ", exit 2 x" + statuses[2] + ", exit 3 x" + statuses[3]);
        assertTrue(statuses[2] >= runs / 2, "refusals: " + statuses[2] + " of " + runs);
    }

    private static <T> T pick(SplittableRandom rng, List<T> options) {
        return options.get(rng.nextInt(options.size()));
    }

    // ---------------------------------------------------------------- datasets

    @Test
    void badDatasetsAreRefusedByEveryCommandThatReadsThem() throws IOException {
        Path data = base();
        Path cfg = dir.resolve("base.yaml");
        Path run = dir.resolve("trained");
        assertEquals(0, CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--config", cfg.toString(), "--model", "mrine").status());
        Path ck = run.resolve("mrine/checkpoint.safetensors");
        SplittableRandom rng = new SplittableRandom(SEED);
        List<Float> badValues = List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -1f, 0.5f, 1e30f, -2.5f);
        List<Float> badMasks = List.of(0.5f, Float.NaN, 2f, -1f, Float.POSITIVE_INFINITY, 1e-7f);
        List<Object> badBins = List.of(0.0, -10.0, "ten", 1e-300, 1e300, List.of(10.0));
        List<String> badNames = List.of("field_b", "m", "", "a b", "../x", "y".repeat(80));
        for (int i = 0; i < 36 * SCALE; i++) {
            Path bad = dir.resolve("bad" + i + ".safetensors");
            int kind = rng.nextInt(13);
            String mod = rng.nextBoolean() ? "s" : "y";
            int cell = presentCell(data, mod, rng);
            switch (kind) {
                case 0 -> UserDataSafetyTest.mutate(data, bad, t -> t.get("data." + mod).data()[cell * 20 + rng.nextInt(20)] = pick(rng, badValues),
                        UserDataSafetyTest.sameMeta());
                case 1 -> UserDataSafetyTest.mutate(data, bad, t -> t.get("mask." + mod).data()[rng.nextInt(B * T)] = pick(rng, badMasks),
                        UserDataSafetyTest.sameMeta());
                case 2 -> UserDataSafetyTest.mutate(data, bad, t -> Arrays.fill(t.get("mask." + mod).data(), 0), UserDataSafetyTest.sameMeta());
                case 3 -> UserDataSafetyTest.mutate(data, bad, t -> { }, m -> m.put("bin_ms", pick(rng, badBins)));
                case 4 -> {
                    String name = pick(rng, badNames);
                    UserDataSafetyTest.mutate(data, bad, t -> {
                        t.put("data." + name, t.remove("data." + mod));
                        t.put("mask." + name, t.remove("mask." + mod));
                    }, m -> m.put("modalities", renamed(m.get("modalities"), mod, name)));
                }
                case 5 -> UserDataSafetyTest.mutate(data, bad, t -> t.remove(pick(rng, List.of("data.s", "mask.y", "behavior"))),
                        UserDataSafetyTest.sameMeta());
                case 6 -> UserDataSafetyTest.mutate(data, bad, t -> reshape(t, pick(rng, List.of("behavior", "data.y", "mask.s")), rng),
                        UserDataSafetyTest.sameMeta());
                case 7 -> {
                    byte[] b = Files.readAllBytes(data);
                    Files.write(bad, Arrays.copyOf(b, rng.nextInt(b.length)));
                }
                case 8 -> {
                    byte[] b = Files.readAllBytes(data);
                    int at = 8 + rng.nextInt(Math.min(600, b.length - 8)); // inside the JSON header
                    b[at] = (byte) (int) pick(rng, List.of((int) '{', (int) '"', (int) ']', 0, 0xff, (int) '9'));
                    Files.write(bad, b);
                }
                case 9 -> UserDataSafetyTest.mutate(data, bad, t -> { }, m -> {
                    List<Object> mods = new ArrayList<>((List<?>) m.get("modalities"));
                    mods.add(mods.get(0));
                    m.put("modalities", mods);
                });
                case 10 -> UserDataSafetyTest.mutate(data, bad, t -> t.get("behavior").data()[rng.nextInt(B * T * 3)] = pick(rng,
                        List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)), UserDataSafetyTest.sameMeta());
                case 11 -> UserDataSafetyTest.mutate(data, bad, t -> { }, m -> m.put("modalities", pick(rng, List.<Object>of(List.of(), "s",
                        List.of(Map.of("name", "s", "likelihood", "gamma")), List.of(Map.of("name", "s"))))));
                default -> UserDataSafetyTest.mutate(data, bad, t -> {
                    t.put("data.y", new HostTensor(new int[] {B, T, 0}, new float[0]));
                }, UserDataSafetyTest.sameMeta());
            }
            String name = bad.getFileName().toString();
            String command = pick(rng, List.of("train", "train", "stream", "inspect", "evaluate"));
            String what = "dataset mutation " + kind + " (" + name + ")";
            switch (command) {
                case "train" -> check(what, List.of(name), "train", "--data", bad.toString(), "--out", dir.resolve("out" + i).toString(),
                        "--config", cfg.toString(), "--model", "mrine");
                case "stream" -> check(what, List.of(name), "stream", "--checkpoint", ck.toString(), "--input", bad.toString());
                case "inspect" -> check(what, List.of(name), "inspect", bad.toString());
                default -> check(what, List.of(name), "evaluate", "--data", bad.toString(), "--out", dir.resolve("out" + i).toString(),
                        "--config", cfg.toString(), "--model", "mrine", "--no-plots", "--threads", "1");
            }
        }
        assertEquals(36 * SCALE, runs);
        summary();
    }

    /** A (trial, step) cell where the modality has a sample. */
    private static int presentCell(Path data, String mod, SplittableRandom rng) {
        float[] mask = SafeTensors.read(data).get("mask." + mod).data();
        while (true) {
            int c = rng.nextInt(mask.length);
            if (mask[c] == 1f) return c;
        }
    }

    private static List<Object> renamed(Object modalities, String from, String to) {
        List<Object> out = new ArrayList<>();
        for (Object o : (List<?>) modalities) {
            Map<String, Object> m = new LinkedHashMap<>();
            ((Map<?, ?>) o).forEach((k, v) -> m.put((String) k, v));
            if (from.equals(m.get("name"))) m.put("name", to);
            out.add(m);
        }
        return out;
    }

    private static void reshape(Map<String, HostTensor> t, String name, SplittableRandom rng) {
        HostTensor x = t.get(name);
        int[] shape = x.shape().clone();
        int axis = rng.nextInt(shape.length);
        shape[axis] = Math.max(1, shape[axis] - 1 - rng.nextInt(2));
        if (rng.nextInt(4) == 0) shape = Arrays.copyOf(shape, shape.length + 1);
        int n = 1;
        for (int d : shape) n *= Math.max(d, 1);
        if (shape[shape.length - 1] == 0) shape[shape.length - 1] = 1;
        t.put(name, new HostTensor(shape, Arrays.copyOf(x.data(), n)));
    }

    // ---------------------------------------------------------------- configs

    @Test
    void badConfigsAreRefusedNamingTheFileAndKey() throws IOException {
        Path data = base();
        SplittableRandom rng = new SplittableRandom(SEED + 1);
        List<String> keys = List.of("model.embedding_dim", "model.latent_dim", "model.hidden", "model.fusion_hidden", "model.init_cov_scale",
                "model.gaussian_variance", "loss.tau", "loss.scale_l2", "loss.smooth_poisson", "loss.steps_ahead", "training.epochs",
                "training.batch_size", "training.lr_base", "training.lr_max", "training.lr_step_up", "training.lr_mode", "training.lr_gamma",
                "training.adam_beta1", "training.adam_eps", "training.grad_clip", "training.dropout", "training.time_dropout",
                "training.zscore_gaussian", "training.seed", "training.checkpoint_every", "training.validate_every", "training.backend",
                "evaluation.folds");
        List<String> values = List.of("-1", "0", "1e20", "100000000000000000000", ".inf", "-.inf", ".nan", "ten", "[1, 2]", "{a: 1}", "true",
                "1.5", "2147483648", "[0, 100]", "[-1]", "[]", "[1000000000]", "\"0.5\"", "~", "0.999999");
        for (int i = 0; i < 40 * SCALE; i++) {
            String yaml;
            String what;
            int kind = rng.nextInt(10);
            if (kind < 7) {
                String key = pick(rng, keys), value = pick(rng, values);
                yaml = withKey(CONFIG, key, value);
                what = key + ": " + value;
            } else if (kind == 7) {
                yaml = CONFIG + pick(rng, List.of("model:\n  latent_dim: 4\n", "trainig:\n  epochs: 2\n", "extra: 1\n", "training:\n  epochs: 3\n"));
                what = "an appended section";
            } else if (kind == 8) {
                yaml = CONFIG.replace("  epochs: 1\n", "  epochs: 1\n  " + pick(rng, List.of("epochs: 2", "epoch: 2", "batch_size: 4")) + "\n");
                what = "a repeated or misspelt key";
            } else {
                int at = rng.nextInt(CONFIG.length());
                yaml = CONFIG.substring(0, at) + pick(rng, List.of("[", "\t", ": :", "}", "\"", "\n  - x\n")) + CONFIG.substring(at);
                what = "broken YAML at " + at;
            }
            Path cfg = Files.writeString(dir.resolve("cfg" + i + ".yaml"), yaml);
            check("config " + what, List.of(cfg.getFileName().toString()), "train", "--data", data.toString(), "--out",
                    dir.resolve("out" + i).toString(), "--config", cfg.toString(), "--model", "mrine");
        }
        assertEquals(40 * SCALE, runs);
        summary();
    }

    /** The config with {@code section.key} set to {@code value} (added when the section lacks it). */
    private static String withKey(String yaml, String dotted, String value) {
        String section = dotted.substring(0, dotted.indexOf('.')), key = dotted.substring(dotted.indexOf('.') + 1);
        List<String> lines = new ArrayList<>(yaml.lines().toList());
        int start = lines.indexOf(section + ":");
        for (int i = start + 1; i < lines.size() && lines.get(i).startsWith("  "); i++) {
            if (lines.get(i).strip().startsWith(key + ":")) {
                lines.set(i, "  " + key + ": " + value);
                return String.join("\n", lines) + "\n";
            }
        }
        lines.add(start + 1, "  " + key + ": " + value);
        return String.join("\n", lines) + "\n";
    }

    // ---------------------------------------------------------------- tables and import options

    @Test
    void badTablesAndImportOptionsAreRefusedNamingTheFileOrOption() throws IOException {
        SplittableRandom rng = new SplittableRandom(SEED + 2);
        List<String> rows = new ArrayList<>();
        rows.add("timestamp,unit_1,unit_2,lfp,x");
        for (int r = 0; r < 300; r++) {
            rows.add(String.format(java.util.Locale.ROOT, "%.3f,%d,%d,%.3f,%.3f", r * 0.01, r % 3, (r / 2) % 2, Math.sin(r / 9.0), Math.cos(r / 7.0)));
        }
        List<String> badCells = List.of("inf", "-inf", "-3", "0.5", "abc", "", "1e400", "nan", "1,2", "\"x\"");
        for (int i = 0; i < 30 * SCALE; i++) {
            List<String> table = new ArrayList<>(rows);
            List<String> args = new ArrayList<>();
            String option = null;
            int kind = rng.nextInt(6);
            if (kind <= 2) {
                int r = 1 + rng.nextInt(300);
                String[] cells = table.get(r).split(",", -1);
                cells[rng.nextInt(cells.length)] = pick(rng, badCells);
                table.set(r, String.join(",", cells));
            } else if (kind == 3) {
                int r = 2 + rng.nextInt(298);
                table.set(r, table.get(r).replaceFirst("^[0-9.]+", "0.001"));        // time going backwards
            } else if (kind == 4) {
                table.set(0, pick(rng, List.of("timestamp,unit_1,unit_1,lfp,x", "unit_1,unit_2,lfp,x", "", "timestamp;unit_1;unit_2;lfp;x")));
            } else {
                option = pick(rng, List.of("--bin-ms", "--trial-ms", "--sample-ms"));
                args.addAll(List.of(option, pick(rng, List.of("0", "-1", "1e-9", "1e12", "NaN", "x", "Infinity", "0.0001"))));
            }
            Path csv = Files.writeString(dir.resolve("rec" + i + ".csv"), String.join("\n", table) + "\n");
            List<String> cmd = new ArrayList<>(List.of("import", "--csv", csv.toString(), "--field", "lfp", "--out",
                    dir.resolve("out" + i + ".safetensors").toString()));
            cmd.addAll(args);
            List<String> names = option == null ? List.of(csv.getFileName().toString()) : List.of(csv.getFileName().toString(), option);
            check("table mutation " + kind, names, cmd.toArray(String[]::new));
        }
        assertEquals(30 * SCALE, runs);
        summary();
    }

    // ---------------------------------------------------------------- checkpoints

    @Test
    void badCheckpointsAreRefusedByStreamAndResume() throws IOException {
        Path data = base();
        Path cfg = dir.resolve("base.yaml");
        Path run = dir.resolve("trained");
        assertEquals(0, CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--config", cfg.toString(), "--model", "mrine").status());
        Path ck = run.resolve("mrine/checkpoint.safetensors");
        SafeTensors.Contents good = SafeTensors.read(ck);
        List<String> names = new ArrayList<>(good.tensors().keySet());
        SplittableRandom rng = new SplittableRandom(SEED + 3);
        for (int i = 0; i < 24 * SCALE; i++) {
            Path folder = dir.resolve("ck" + i);
            Path bad = folder.resolve("mrine/checkpoint.safetensors");
            Map<String, HostTensor> t = new LinkedHashMap<>();
            good.tensors().forEach((k, v) -> t.put(k, new HostTensor(v.shape(), v.data().clone())));
            Map<String, String> meta = new LinkedHashMap<>(good.metadata());
            int kind = rng.nextInt(6);
            String tensor = pick(rng, names);
            switch (kind) {
                case 0 -> t.get(tensor).data()[rng.nextInt(t.get(tensor).data().length)] = pick(rng,
                        List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY));
                case 1 -> t.remove(tensor);
                case 2 -> t.put(tensor, new HostTensor(new int[] {t.get(tensor).data().length + 1}, new float[t.get(tensor).data().length + 1]));
                case 3 -> meta.put(pick(rng, List.of("config", "mrine.checkpoint")), pick(rng, List.of("", "{", "model: [", "null", "{\"epoch\": 1}")));
                case 4 -> meta.put("mrine.checkpoint", meta.get("mrine.checkpoint").replaceFirst("\"channels\":\\s*20", "\"channels\": 21"));
                default -> t.get("optim.exp_avg_sq." + tensor.substring(tensor.indexOf('.') + 1).replaceFirst("^exp_avg(_sq)?\\.", ""))
                        .data()[0] = -1f;
            }
            SafeTensors.write(bad, t, meta);
            String what = "checkpoint mutation " + kind + " of " + tensor;
            if (rng.nextBoolean()) {
                check(what, List.of(bad.toString()), "stream", "--checkpoint", bad.toString(), "--input", data.toString());
            } else {
                check(what, List.of(bad.toString()), "train", "--data", data.toString(), "--out", folder.toString(), "--config", cfg.toString(),
                        "--model", "mrine", "--resume", "--epochs", "2");
            }
        }
        assertEquals(24 * SCALE, runs);
        summary();
    }
}
