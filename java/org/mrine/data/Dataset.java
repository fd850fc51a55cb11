package org.mrine.data;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import org.mrine.io.Json;
import org.mrine.io.SafeTensors;
import org.mrine.model.Batch;
import org.mrine.model.Likelihood;
import org.mrine.tensor.HostTensor;

/**
 * Trials of multimodal neural data on one time grid, with the behavior to decode: what the
 * simulator and the importers write and what training, evaluation and streaming read.
 *
 * <p>File format (safetensors): {@code data.<name>} [B,T,N], {@code mask.<name>} [B,T],
 * {@code behavior} [B,T,D]; metadata {@code mrine.dataset} = JSON
 * {@code {"version":1, "bin_ms":10, "modalities":[{"name":"s","likelihood":"poisson"},...],
 * "behavior_names":[...], "info":{...}}}.
 */
public record Dataset(List<ModalityData> modalities, int trials, int steps, float[] behavior, int behaviorDim,
                      List<String> behaviorNames, double binMs, Map<String, String> info) {

    public static final String META_KEY = "mrine.dataset";

    public Dataset {
        modalities = List.copyOf(modalities);
        behaviorNames = List.copyOf(behaviorNames);
        info = Map.copyOf(info);
        if (modalities.isEmpty()) throw new IllegalArgumentException("a dataset needs at least one modality");
        for (ModalityData m : modalities) {
            if (m.mask().length != trials * steps) {
                throw new IllegalArgumentException("modality " + m.name() + " has " + m.mask().length
                        + " mask cells, expected B*T = " + trials * steps);
            }
        }
        if (behavior.length != (long) trials * steps * behaviorDim) {
            throw new IllegalArgumentException("behavior has " + behavior.length + " values, expected B*T*D = "
                    + (long) trials * steps * behaviorDim);
        }
        if (behaviorNames.size() != behaviorDim) {
            throw new IllegalArgumentException(behaviorNames.size() + " behavior names for " + behaviorDim + " dimensions");
        }
    }

    public ModalityData modality(String name) {
        for (ModalityData m : modalities) if (m.name().equals(name)) return m;
        throw new IllegalArgumentException("dataset has no modality '" + name + "' (it has " + modalityNames() + ")");
    }

    public List<String> modalityNames() {
        return modalities.stream().map(ModalityData::name).toList();
    }

    /** The given trials, in order, as a new dataset. */
    public Dataset subset(int[] trialIndices) {
        List<ModalityData> mods = new ArrayList<>();
        for (ModalityData m : modalities) {
            mods.add(new ModalityData(m.name(), m.likelihood(), m.channels(),
                    gather(m.values(), trialIndices, steps * m.channels()), gather(m.mask(), trialIndices, steps)));
        }
        return new Dataset(mods, trialIndices.length, steps, gather(behavior, trialIndices, steps * behaviorDim),
                behaviorDim, behaviorNames, binMs, info);
    }

    /** A model batch of the given trials and modalities (in the given order). */
    public Batch batch(int[] trialIndices, List<String> modalityNames) {
        List<float[]> data = new ArrayList<>(), masks = new ArrayList<>();
        for (String name : modalityNames) {
            ModalityData m = modality(name);
            data.add(gather(m.values(), trialIndices, steps * m.channels()));
            masks.add(gather(m.mask(), trialIndices, steps));
        }
        return new Batch(trialIndices.length, steps, data, masks);
    }

    private static float[] gather(float[] src, int[] trialIndices, int perTrial) {
        float[] out = new float[trialIndices.length * perTrial];
        for (int i = 0; i < trialIndices.length; i++) System.arraycopy(src, trialIndices[i] * perTrial, out, i * perTrial, perTrial);
        return out;
    }

    // ------------------------------------------------------------------ file format

    public void save(Path file) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        List<Object> mods = new ArrayList<>();
        for (ModalityData m : modalities) {
            tensors.put("data." + m.name(), new HostTensor(new int[] {trials, steps, m.channels()}, m.values()));
            tensors.put("mask." + m.name(), new HostTensor(new int[] {trials, steps}, m.mask()));
            Map<String, Object> desc = new LinkedHashMap<>();
            desc.put("name", m.name());
            desc.put("likelihood", m.likelihood().key);
            mods.add(desc);
        }
        tensors.put("behavior", new HostTensor(new int[] {trials, steps, behaviorDim}, behavior));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("version", 1L);
        meta.put("bin_ms", binMs);
        meta.put("modalities", mods);
        meta.put("behavior_names", new ArrayList<Object>(behaviorNames));
        meta.put("info", new LinkedHashMap<String, Object>(info));
        SafeTensors.write(file, tensors, Map.of(META_KEY, Json.write(meta)));
    }

    public static Dataset load(Path file) {
        SafeTensors.Contents c = SafeTensors.read(file);
        String where = file.toString();
        String metaText = c.metadata().get(META_KEY);
        if (metaText == null) {
            throw new FormatException(where + ": not a mrine dataset (metadata key '" + META_KEY + "' is missing)");
        }
        try {
            Map<String, Object> meta = Json.object(Json.parse(metaText), where + ": " + META_KEY);
            HostTensor beh = need(c, "behavior", where);
            if (beh.rank() != 3) throw new FormatException(where + ": tensor behavior has shape " + beh.shapeString() + ", expected [B, T, D]");
            int B = beh.dim(0), T = beh.dim(1), D = beh.dim(2);
            List<ModalityData> mods = new ArrayList<>();
            for (Object o : Json.array(meta.get("modalities"), where + ": modalities")) {
                Map<String, Object> d = Json.object(o, where + ": modalities[]");
                String name = Json.string(d.get("name"), where + ": modality name");
                Likelihood lik = Likelihood.parse(Json.string(d.get("likelihood"), where + ": likelihood of " + name), where);
                HostTensor x = need(c, "data." + name, where), m = need(c, "mask." + name, where);
                if (x.rank() != 3 || x.dim(0) != B || x.dim(1) != T) {
                    throw new FormatException(where + ": tensor data." + name + " has shape " + x.shapeString() + ", expected [" + B + ", " + T + ", N]");
                }
                if (m.rank() != 2 || m.dim(0) != B || m.dim(1) != T) {
                    throw new FormatException(where + ": tensor mask." + name + " has shape " + m.shapeString() + ", expected [" + B + ", " + T + "]");
                }
                mods.add(new ModalityData(name, lik, x.dim(2), x.data(), m.data()));
            }
            List<String> names = new ArrayList<>();
            for (Object o : Json.array(meta.get("behavior_names"), where + ": behavior_names")) names.add(Json.string(o, where + ": behavior_names[]"));
            Map<String, String> info = new LinkedHashMap<>();
            if (meta.get("info") != null) {
                Json.object(meta.get("info"), where + ": info").forEach((k, v) -> info.put(k, String.valueOf(v)));
            }
            return new Dataset(mods, B, T, beh.data(), D, names, Json.number(meta.get("bin_ms"), where + ": bin_ms"), info);
        } catch (IllegalArgumentException e) {
            throw new FormatException(where + ": " + e.getMessage(), e);
        }
    }

    private static HostTensor need(SafeTensors.Contents c, String name, String where) {
        if (!c.has(name)) throw new FormatException(where + ": tensor " + name + " is missing");
        return c.get(name);
    }
}
