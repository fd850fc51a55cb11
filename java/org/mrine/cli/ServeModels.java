package org.mrine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.serve.ServeModel;
import org.mrine.stream.Readouts;
import org.mrine.train.Checkpoint;

/** A checkpoint of {@code mrine train} made ready to serve (mrine serve, and the replay of its recordings). */
public final class ServeModels {
    private ServeModels() {
    }

    /**
     * The checkpoint's model with its z-scoring and its readout: readoutFile, or readout.safetensors
     * beside the checkpoint when present, or none.
     */
    public static ServeModel load(Path checkpoint, Path readoutFile, String backend, boolean shortcut) {
        Checkpoint ck = Checkpoint.load(checkpoint);
        ModelConfig cfg = ck.modelConfig();
        Path beside = checkpoint.toAbsolutePath().getParent().resolve("readout.safetensors");
        Readouts.Named r = readoutFile != null ? Readouts.load(readoutFile) : Files.exists(beside) ? Readouts.load(beside) : null;
        Backend be = Backends.create(backend);
        try {
            MrineModel model = new MrineModel(cfg, be);
            ck.restoreParameters(model, checkpoint.toString());
            int M = cfg.modalities().size();
            float[][] mean = new float[M][], std = new float[M][];
            for (int i = 0; i < M; i++) {
                String name = cfg.modalities().get(i).name();
                double[] mu = ck.normalization().mean().get(name), sd = ck.normalization().std().get(name);
                if (mu != null) {
                    mean[i] = toFloat(mu);
                    std[i] = toFloat(sd);
                }
            }
            return ServeModel.of(model, be, r == null ? null : r.readout(), r == null ? List.of() : r.behaviorNames(),
                    mean, std, shortcut, checkpoint.toString());
        } catch (RuntimeException e) {
            be.close();
            throw e;
        }
    }

    private static float[] toFloat(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) f[i] = (float) v[i];
        return f;
    }
}
