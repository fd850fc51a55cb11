package org.mrine.serve;

import java.util.List;
import java.util.zip.CRC32;
import org.mrine.backend.Backend;
import org.mrine.model.ModalitySpec;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.stream.LinearReadout;
import org.mrine.stream.StreamingDecoder;

/**
 * A trained model ready to serve: builds fresh {@link StreamingDecoder}s (with the checkpoint's
 * z-scoring and the behavior readout), all identical, so that the live node and the offline
 * replay of its recording start from the same state. The fingerprint (CRC-32 of the parameters
 * and the readout) ties a recording to the model that made it.
 */
public final class ServeModel implements AutoCloseable {
    private final Backend be;
    private final MrineModel model;
    private final LinearReadout readout;
    private final List<String> behaviorNames;
    private final float[][] zMean, zStd;
    private final boolean shortcut;
    private final String source;
    private final long fingerprint;

    private ServeModel(Backend be, MrineModel model, LinearReadout readout, List<String> behaviorNames,
                       float[][] zMean, float[][] zStd, boolean shortcut, String source) {
        this.be = be;
        this.model = model;
        this.readout = readout;
        this.behaviorNames = behaviorNames;
        this.zMean = zMean;
        this.zStd = zStd;
        this.shortcut = shortcut;
        this.source = source;
        this.fingerprint = fingerprint(model, readout);
    }

    /**
     * A trained model (its parameters restored), with its readout (null: no behavior), the names
     * of the readout's outputs, and per modality the z-scoring of training (null where none);
     * takes ownership of the backend. {@code source} says where it came from (a checkpoint's path).
     */
    public static ServeModel of(MrineModel model, Backend be, LinearReadout readout, List<String> behaviorNames,
                                float[][] zMean, float[][] zStd, boolean shortcut, String source) {
        return new ServeModel(be, model, readout, behaviorNames, zMean.clone(), zStd.clone(), shortcut, source);
    }

    /** A model already in memory without z-scoring (benchmarks); takes ownership of the backend. */
    public static ServeModel of(MrineModel model, Backend be, LinearReadout readout, boolean shortcut, String source) {
        int M = model.config.modalities().size();
        return new ServeModel(be, model, readout, readout == null ? List.of() : defaultNames(readout.outputs()),
                new float[M][], new float[M][], shortcut, source);
    }

    private static List<String> defaultNames(int n) {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) s[i] = "b" + i;
        return List.of(s);
    }

    /** A fresh decoder at the initial state. */
    public StreamingDecoder newDecoder() {
        StreamingDecoder d = new StreamingDecoder(model, be, readout, shortcut);
        for (int i = 0; i < zMean.length; i++) if (zMean[i] != null) d.setNormalization(i, zMean[i], zStd[i]);
        return d;
    }

    public ModelConfig config() {
        return model.config;
    }

    public List<ModalitySpec> modalities() {
        return model.config.modalities();
    }

    public int behaviorDim() {
        return readout == null ? 0 : readout.outputs();
    }

    public List<String> behaviorNames() {
        return behaviorNames;
    }

    public boolean shortcut() {
        return shortcut;
    }

    /** Where the model came from (the checkpoint's path). */
    public String source() {
        return source;
    }

    /** CRC-32 of every parameter (in the model's order) and of the readout. */
    public long fingerprint() {
        return fingerprint;
    }

    private static long fingerprint(MrineModel model, LinearReadout readout) {
        CRC32 crc = new CRC32();
        for (String n : model.params.names()) {
            crc.update(n.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            update(crc, model.params.get(n).toHost().data());
        }
        if (readout != null) {
            update(crc, readout.weights());
            update(crc, readout.intercept());
        }
        return crc.getValue();
    }

    private static void update(CRC32 crc, float[] v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        crc.update(b);
    }

    @Override
    public void close() {
        be.close();
    }
}
