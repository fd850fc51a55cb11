package org.mrine.reference;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.mrine.backend.Backend;
import org.mrine.io.FormatException;
import org.mrine.io.Json;
import org.mrine.io.SafeTensors;
import org.mrine.model.Batch;
import org.mrine.model.ModalitySpec;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.tensor.HostTensor;

/**
 * A reference fixture: parameters ({@code param.*}), inputs ({@code input.*}) and the reference
 * configuration ({@code config} metadata) in; our outputs, loss terms and gradients out, under the
 * fixture's names, compared with the expected values when the file holds them.
 */
public final class ReferenceFixture {
    /** Outputs and losses: float32 against the float64-exact result differs by ~2e-5 at most. */
    public static final double OUTPUT_TOLERANCE = 1e-4;
    /** Gradients pass through long recursions and solves: rounding grows with their depth. */
    public static final double GRADIENT_TOLERANCE = 1e-3;

    public record Comparison(String name, double relativeError, double tolerance) {
        public boolean passed() {
            return relativeError <= tolerance;
        }
    }

    public record Result(Path source, String configJson, ModelConfig config, Map<String, HostTensor> computed, List<Comparison> comparisons) {
        public boolean passed() {
            return comparisons.stream().allMatch(Comparison::passed);
        }

        public double worst(String prefix) {
            return comparisons.stream().filter(c -> c.name.startsWith(prefix)).mapToDouble(Comparison::relativeError).max().orElse(0);
        }
    }

    private ReferenceFixture() {
    }

    public static Result run(Path file, Backend backend) {
        SafeTensors.Contents in = SafeTensors.read(file);
        String where = file.toString();
        String cfgText = in.metadata().get("config");
        if (cfgText == null) throw new FormatException(where + ": metadata key 'config' (the reference configuration JSON) is missing");
        ModelConfig config;
        try {
            config = ModelConfig.fromReference(Json.object(Json.parse(cfgText), "config"), where + ": config");
        } catch (IllegalArgumentException e) {
            throw new FormatException(e.getMessage(), e);
        }
        MrineModel model = new MrineModel(config, backend);
        model.initialize(new SplittableRandom(0));
        loadParameters(in, model, where);
        Batch batch = loadInputs(in, config, where);

        Map<String, Double> losses = model.lossAndGradient(batch);
        Map<String, HostTensor> computed = new LinkedHashMap<>();
        model.outputs().forEach((k, v) -> computed.put("out." + k, v));
        losses.forEach((k, v) -> computed.put("loss." + k, new HostTensor(new int[] {1}, new float[] {v.floatValue()})));
        for (String name : model.trainableNames()) computed.put("grad." + name, model.grads.get(name).toHost());

        List<Comparison> comparisons = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : computed.entrySet()) {
            if (!in.has(e.getKey())) continue;
            HostTensor ref = in.get(e.getKey());
            if (!Arrays.equals(ref.shape(), e.getValue().shape())) {
                throw new FormatException(where + ": expected tensor " + e.getKey() + " has shape " + ref.shapeString()
                        + " but the model computes " + e.getValue().shapeString());
            }
            double tol = e.getKey().startsWith("grad.") ? GRADIENT_TOLERANCE : OUTPUT_TOLERANCE;
            comparisons.add(new Comparison(e.getKey(), relativeError(e.getValue().data(), ref.data()), tol));
        }
        return new Result(file, cfgText, config, computed, comparisons);
    }

    /** max|ours - ref| / max|ref| (absolute error where ref is all zeros). */
    public static double relativeError(float[] ours, float[] ref) {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) ours[i] - ref[i]);
            if (!(d <= maxDiff)) maxDiff = d; // NaN propagates as a failure
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        return maxRef > 0 ? maxDiff / maxRef : maxDiff;
    }

    private static void loadParameters(SafeTensors.Contents in, MrineModel model, String where) {
        Map<String, HostTensor> given = in.withPrefix("param.");
        for (String name : given.keySet()) {
            if (!model.params.has(name)) {
                throw new FormatException(where + ": tensor param." + name + " is not a parameter of the model its config describes");
            }
        }
        for (String name : model.params.names()) {
            HostTensor t = given.get(name);
            if (t == null) {
                // x_0, Sigma_0 and the fixed log-variance have well-defined defaults; learned weights do not
                if (model.trainableNames().contains(name)) {
                    throw new FormatException(where + ": tensor param." + name + " is missing, expected shape "
                            + Arrays.toString(model.params.shape(name)));
                }
                continue;
            }
            int[] expected = model.params.shape(name);
            if (!Arrays.equals(expected, t.shape())) {
                throw new FormatException(where + ": tensor param." + name + " has shape " + t.shapeString()
                        + ", expected " + Arrays.toString(expected));
            }
            model.params.get(name).copyFrom(t.data());
        }
    }

    private static Batch loadInputs(SafeTensors.Contents in, ModelConfig config, String where) {
        List<float[]> data = new ArrayList<>();
        List<float[]> masks = new ArrayList<>();
        int trials = -1, steps = -1;
        for (ModalitySpec m : config.modalities()) {
            HostTensor x = require(in, "input." + m.name(), where);
            if (x.rank() != 3 || x.dim(2) != m.channels()) {
                throw new FormatException(where + ": tensor input." + m.name() + " has shape " + x.shapeString()
                        + ", expected [B, T, " + m.channels() + "]");
            }
            if (trials < 0) {
                trials = x.dim(0);
                steps = x.dim(1);
            }
            if (x.dim(0) != trials || x.dim(1) != steps) {
                throw new FormatException(where + ": tensor input." + m.name() + " has shape " + x.shapeString()
                        + ", expected [" + trials + ", " + steps + ", " + m.channels() + "] like the first modality");
            }
            HostTensor mk = require(in, "input.m_" + m.name(), where);
            if (!Arrays.equals(mk.shape(), new int[] {trials, steps})) {
                throw new FormatException(where + ": tensor input.m_" + m.name() + " has shape " + mk.shapeString()
                        + ", expected [" + trials + ", " + steps + "]");
            }
            for (float v : mk.data()) {
                if (v != 0f && v != 1f) throw new FormatException(where + ": tensor input.m_" + m.name() + " must hold only 0 and 1, found " + v);
            }
            data.add(x.data());
            masks.add(mk.data());
        }
        if (steps < 1) throw new FormatException(where + ": inputs need at least one time step");
        return new Batch(trials, steps, data, masks);
    }

    private static HostTensor require(SafeTensors.Contents in, String name, String where) {
        if (!in.has(name)) throw new FormatException(where + ": tensor " + name + " is missing");
        return in.get(name);
    }

    /** Writes what {@link #run} computed, atomically. */
    public static void write(Result r, Path out) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", r.source().toString());
        meta.put("config", r.configJson());
        SafeTensors.write(out, r.computed(), meta);
    }

}
