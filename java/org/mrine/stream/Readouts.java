package org.mrine.stream;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.eval.LinearDecoder;
import org.mrine.io.FormatException;
import org.mrine.io.Json;
import org.mrine.io.SafeTensors;
import org.mrine.model.MrineModel;
import org.mrine.tensor.HostTensor;
import org.mrine.train.Inference;

/**
 * The behavior readout a streaming decoder applies: OLS with intercept from filtered (causal)
 * latents to behavior, fitted on training trials, saved beside the checkpoint as
 * {@code readout.safetensors}: {@code readout.weight} [X, D], {@code readout.bias} [D], metadata
 * {@code mrine.readout} = {"behavior_names": [...]}.
 */
public final class Readouts {
    public static final String META_KEY = "mrine.readout";

    public record Named(LinearReadout readout, List<String> behaviorNames) {
    }

    private Readouts() {
    }

    /** Fits on the filtered latents of {@code trials} of data (normalized as the model was trained). */
    public static Named fit(MrineModel model, Dataset data, int[] trials, List<String> modalities, int chunk) {
        Inference.Latents lat = Inference.latents(model, data, trials, modalities, chunk);
        int X = lat.dim(), D = data.behaviorDim(), T = data.steps();
        float[] y = new float[trials.length * T * D];
        for (int i = 0; i < trials.length; i++) System.arraycopy(data.behavior(), trials[i] * T * D, y, i * T * D, T * D);
        // steps whose behavior is not finite (recording gaps) are left out of the fit
        int rows = 0;
        float[] xs = new float[lat.filtered().length], ys = new float[y.length];
        for (int r = 0; r < trials.length * T; r++) {
            boolean finite = true;
            for (int d = 0; d < D; d++) finite &= Float.isFinite(y[r * D + d]);
            if (!finite) continue;
            System.arraycopy(lat.filtered(), r * X, xs, rows * X, X);
            System.arraycopy(y, r * D, ys, rows * D, D);
            rows++;
        }
        LinearDecoder ols = LinearDecoder.fit(java.util.Arrays.copyOf(xs, rows * X), X, java.util.Arrays.copyOf(ys, rows * D), D);
        float[] w = new float[X * D], b = new float[D];
        for (int i = 0; i < X; i++) for (int d = 0; d < D; d++) w[i * D + d] = (float) ols.weight(i, d);
        for (int d = 0; d < D; d++) b[d] = (float) ols.intercept(d);
        return new Named(new LinearReadout(X, D, w, b), data.behaviorNames());
    }

    public static void save(Path file, Named r) {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("readout.weight", new HostTensor(new int[] {r.readout().inputs(), r.readout().outputs()}, r.readout().weights()));
        t.put("readout.bias", new HostTensor(new int[] {r.readout().outputs()}, r.readout().intercept()));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("behavior_names", new ArrayList<Object>(r.behaviorNames()));
        SafeTensors.write(file, t, Map.of(META_KEY, Json.write(meta)));
    }

    public static Named load(Path file) {
        SafeTensors.Contents c = SafeTensors.read(file);
        String where = file.toString();
        if (!c.has("readout.weight") || !c.has("readout.bias")) {
            throw new FormatException(where + ": not a readout file (tensors readout.weight [X, D] and readout.bias [D] expected)");
        }
        HostTensor w = c.get("readout.weight"), b = c.get("readout.bias");
        if (w.rank() != 2 || b.rank() != 1 || w.dim(1) != b.dim(0)) {
            throw new FormatException(where + ": readout.weight " + w.shapeString() + " and readout.bias " + b.shapeString()
                    + " do not fit: expected [X, D] and [D]");
        }
        List<String> names = new ArrayList<>();
        String meta = c.metadata().get(META_KEY);
        if (meta != null) {
            for (Object o : Json.array(Json.object(Json.parse(meta), where).get("behavior_names"), where + ": behavior_names")) {
                names.add(String.valueOf(o));
            }
        }
        while (names.size() < b.dim(0)) names.add("b" + names.size());
        return new Named(new LinearReadout(w.dim(0), w.dim(1), w.data(), b.data()), names);
    }
}
