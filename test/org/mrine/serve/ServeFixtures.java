package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mrine.cli.Main;
import org.mrine.data.Dataset;
import org.mrine.data.Datasets;
import org.mrine.data.ModalityData;

/**
 * What the serve tests share: a small trained checkpoint (simulate + train through the CLI, once
 * per test JVM), the simulated recording it came from, and liblsl (built by native/lsl/build.sh
 * into its cache when it is not there yet, which is a no-op afterwards).
 */
final class ServeFixtures {
    private static Path dir;
    private static boolean lslReady;

    private ServeFixtures() {
    }

    /** A directory holding sim.safetensors and run/mrine/{checkpoint,readout}.safetensors (spikes s: 20 channels every step, field y: 20 every 5th). */
    static synchronized Path trained() {
        if (dir != null) return dir;
        try {
            Path d = Files.createTempDirectory("mrine-serve-fixture");
            Path data = d.resolve("sim.safetensors"), cfg = d.resolve("small.yaml");
            Files.writeString(cfg, "model:\n  embedding_dim: 6\n  latent_dim: 6\n  hidden: [16]\n  fusion_hidden: [16]\n"
                    + "training:\n  epochs: 2\n  batch_size: 8\n  validate_every: 0\n");
            assertEquals(0, Main.execute("simulate", "--out", data.toString(), "--trials", "16", "--steps", "60"));
            assertEquals(0, Main.execute("train", "--data", data.toString(), "--out", d.resolve("run").toString(), "--config", cfg.toString(), "--model", "mrine"));
            dir = d;
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path checkpoint() {
        return trained().resolve("run/mrine/checkpoint.safetensors");
    }

    /** The recording's trials one after the other: T steps of modality m (index of the model's modalities), [T][N] with null where it is missing. */
    static float[][] series(String modality, int trials) {
        Dataset data = Datasets.open(trained().resolve("sim.safetensors"));
        ModalityData m = data.modality(modality);
        int T = data.steps(), N = m.channels();
        float[][] out = new float[trials * T][];
        for (int cell = 0; cell < trials * T; cell++) {
            if (m.mask()[cell] == 0f) continue;
            out[cell] = new float[N];
            System.arraycopy(m.values(), cell * N, out[cell], 0, N);
        }
        return out;
    }

    /** Makes liblsl loadable: MRINE_LSL_LIB when set, else the library native/lsl/build.sh builds (or finds cached). */
    static synchronized void lsl() {
        if (lslReady) return;
        String env = System.getenv("MRINE_LSL_LIB");
        if (env == null || env.isBlank()) {
            try {
                Path log = Files.createTempFile("mrine-lsl-build", ".log");
                Process p = new ProcessBuilder("bash", "native/lsl/build.sh").redirectError(log.toFile()).start();
                String stdout = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                int rc = p.waitFor();
                String err = Files.readString(log);
                Files.deleteIfExists(log);
                if (rc != 0) throw new IllegalStateException("native/lsl/build.sh failed (exit " + rc + "), so liblsl is not available for the LSL tests:\n" + err);
                List<String> lines = stdout.lines().toList();
                System.setProperty("mrine.lsl.lib", lines.get(lines.size() - 1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        Lsl.library();
        lslReady = true;
    }
}
