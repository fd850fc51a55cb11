package org.mrine.serve;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import org.mrine.io.Json;
import org.mrine.model.Likelihood;
import org.mrine.model.ModalitySpec;
import org.mrine.stream.StreamingDecoder;

/**
 * A recording of {@code mrine serve --record F}, and its offline replay.
 *
 * <pre>
 * file    "MRINEREC" | int32 version (1) | int32 n | n bytes of JSON header | records...
 * header  {"modalities": [{"name", "likelihood", "channels"}], "latent_dim", "behavior_dim",
 *          "behavior_names", "bin_ms", "lateness_ms", "shortcut", "fingerprint", "checkpoint",
 *          "inputs", "outputs", "started"}
 * 'G'     float64 origin (the grid's, once, before the first input)
 * 'I'     uint8 modality | uint8 status (0 binned, 1 late, 2 ahead, 3 rejected) | int64 bin |
 *         float64 time stamp | int64 arrival (System.nanoTime) | float32 values [N_m]
 * 'O'     int64 bin | float64 bin centre | int64 due (System.nanoTime) | int64 latency (ns) |
 *         uint8 present [M] | float32 latent [X] | float32 cov_diag [X] | float32 behavior [D]
 * </pre>
 * All little-endian. Records are in the order the node handled them; a node killed without a
 * chance to flush leaves a truncated last record, which the reader ignores (and reports).
 */
public final class Recording {
    static final byte[] MAGIC = "MRINEREC".getBytes(StandardCharsets.US_ASCII);
    static final int VERSION = 1;
    static final byte ORIGIN = 'G', INPUT = 'I', OUTPUT = 'O';

    private Recording() {
    }

    /** Whether the file starts like a recording. */
    public static boolean is(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return Arrays.equals(in.readNBytes(MAGIC.length), MAGIC);
        } catch (IOException e) {
            return false;
        }
    }

    /** What a replay found. */
    public record Replay(int outputs, int inputs, int lateOrDropped, int mismatches, String firstMismatch, boolean truncated,
                         int latentDim, int behaviorDim, float[] latents, float[] behavior, float[] recordedLatents,
                         long[] latencyNanos) {
    }

    /**
     * Replays the recording through a fresh decoder of model: each output's bin is rebuilt from
     * the input samples recorded as binned into it (in recorded order), pushed, and the decoder's
     * latent, covariance diagonal and behavior compared bit for bit with the recorded output.
     */
    public static Replay replay(Path file, ServeModel model) {
        String where = file.toString();
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": " + e.getMessage(), e);
        }
        byte[] magic = new byte[MAGIC.length];
        if (b.remaining() < MAGIC.length + 8) throw new FormatException(where + ": not a mrine serve recording (too short)");
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) throw new FormatException(where + ": not a mrine serve recording (no MRINEREC header)");
        int version = b.getInt(), n = b.getInt();
        if (version != VERSION) throw new FormatException(where + ": recording version " + version + ", this mrine reads version " + VERSION);
        if (n < 0 || n > b.remaining()) throw new FormatException(where + ": header length " + n + " exceeds the file");
        byte[] json = new byte[n];
        b.get(json);
        Map<String, Object> h = Json.object(Json.parse(new String(json, StandardCharsets.UTF_8)), where + ": header");
        List<ModalitySpec> mods = model.modalities();
        List<Object> hm = Json.array(h.get("modalities"), where + ": header.modalities");
        if (hm.size() != mods.size()) {
            throw new FormatException(where + ": header.modalities has " + hm.size() + " modalities, the checkpoint's model has " + mods.size());
        }
        int M = mods.size(), X = model.config().latentDim(), D = model.behaviorDim();
        int[] channels = new int[M];
        Likelihood[] lik = new Likelihood[M];
        for (int m = 0; m < M; m++) {
            Map<String, Object> o = Json.object(hm.get(m), where + ": header.modalities[" + m + "]");
            String name = Json.string(o.get("name"), where + ": header.modalities[" + m + "].name");
            int ch = Json.integer(o.get("channels"), where + ": header.modalities[" + m + "].channels");
            if (!name.equals(mods.get(m).name()) || ch != mods.get(m).channels()) {
                throw new FormatException(where + ": modality " + m + " is " + name + " with " + ch + " channels, the checkpoint's model has "
                        + mods.get(m).name() + " with " + mods.get(m).channels());
            }
            channels[m] = ch;
            lik[m] = mods.get(m).likelihood();
        }
        long fp = Long.parseLong(Json.string(h.get("fingerprint"), where + ": header.fingerprint"), 16);
        if (fp != model.fingerprint()) {
            throw new FormatException(where + ": recorded with another model or readout (fingerprint " + Long.toHexString(fp)
                    + ", the checkpoint's " + Long.toHexString(model.fingerprint()) + "; recorded from " + h.get("checkpoint") + ")");
        }
        if (Json.bool(h.get("shortcut"), where + ": header.shortcut") != model.shortcut()) {
            throw new FormatException(where + ": recorded with" + (model.shortcut() ? " --full-update" : "out --full-update") + "; replay it the same way");
        }
        if (Json.integer(h.get("behavior_dim"), where + ": header.behavior_dim") != D) {
            throw new FormatException(where + ": header.behavior_dim is " + h.get("behavior_dim") + ", the readout has " + D + " outputs");
        }

        StreamingDecoder dec = model.newDecoder();
        Map<Long, BinSums> open = new HashMap<>();
        float[][] samples = new float[M][], buffers = new float[M][];
        for (int m = 0; m < M; m++) buffers[m] = new float[channels[m]];
        float[] cov = new float[X * X], latent = new float[X], covDiag = new float[X], behavior = new float[D];
        byte[] present = new byte[M];
        List<float[]> lat = new ArrayList<>(), beh = new ArrayList<>(), recLat = new ArrayList<>();
        List<Long> latency = new ArrayList<>();
        int inputs = 0, dropped = 0, mismatches = 0;
        String first = null;
        boolean truncated = false;
        while (b.hasRemaining()) {
            int start = b.position();
            byte type = b.get();
            try {
                if (type == ORIGIN) {
                    b.getDouble();
                } else if (type == INPUT) {
                    int m = b.get() & 0xff, status = b.get();
                    if (m >= M) throw new FormatException(where + ": input record at byte " + start + " names modality " + m + " of " + M);
                    long bin = b.getLong();
                    b.getDouble();
                    b.getLong();
                    float[] v = new float[channels[m]];
                    for (int c = 0; c < v.length; c++) v[c] = b.getFloat();
                    inputs++;
                    if (status != BinAligner.Status.BINNED.ordinal()) {
                        dropped++;
                        continue;
                    }
                    open.computeIfAbsent(bin, k -> new BinSums(lik, channels)).add(m, v);
                } else if (type == OUTPUT) {
                    long bin = b.getLong();
                    b.getDouble();
                    b.getLong();
                    long lat_ns = b.getLong();
                    b.get(present);
                    for (int i = 0; i < X; i++) latent[i] = b.getFloat();
                    for (int i = 0; i < X; i++) covDiag[i] = b.getFloat();
                    for (int i = 0; i < D; i++) behavior[i] = b.getFloat();
                    BinSums s = open.remove(bin);
                    if (s != null) s.take(samples, buffers);
                    else Arrays.fill(samples, null);
                    for (int m = 0; m < M; m++) {
                        if ((samples[m] != null) != (present[m] != 0)) {
                            mismatches++;
                            if (first == null) first = "bin " + bin + ": modality " + mods.get(m).name() + " present in the recorded output but not in its inputs, or back";
                        }
                    }
                    dec.push(samples);
                    dec.covariance(cov);
                    float[] l = dec.latent().clone();
                    boolean same = bitsEqual(l, latent) && bitsEqual(dec.behavior(), behavior);
                    for (int i = 0; i < X && same; i++) same = Float.floatToRawIntBits(cov[i * X + i]) == Float.floatToRawIntBits(covDiag[i]);
                    if (!same) {
                        mismatches++;
                        if (first == null) first = "bin " + bin + ": decoded latent[0] " + l[0] + ", recorded " + latent[0];
                    }
                    lat.add(l);
                    beh.add(dec.behavior().clone());
                    recLat.add(latent.clone());
                    latency.add(lat_ns);
                } else {
                    throw new FormatException(where + ": unknown record type " + type + " at byte " + start);
                }
            } catch (java.nio.BufferUnderflowException e) {
                truncated = true;  // the node was killed mid-record: everything before it stands
                break;
            }
        }
        int T = lat.size();
        float[] latents = new float[T * X], decoded = new float[T * D], recorded = new float[T * X];
        long[] lns = new long[T];
        for (int t = 0; t < T; t++) {
            System.arraycopy(lat.get(t), 0, latents, t * X, X);
            System.arraycopy(beh.get(t), 0, decoded, t * D, D);
            System.arraycopy(recLat.get(t), 0, recorded, t * X, X);
            lns[t] = latency.get(t);
        }
        return new Replay(T, inputs, dropped, mismatches, first, truncated, X, D, latents, decoded, recorded, lns);
    }

    private static boolean bitsEqual(float[] a, float[] b) {
        if (a.length != b.length) return false;
        for (int i = 0; i < a.length; i++) if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) return false;
        return true;
    }
}
