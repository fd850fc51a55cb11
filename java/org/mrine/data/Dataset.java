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
import org.mrine.model.ModalityNames;
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
                      List<String> behaviorNames, double binMs, Map<String, String> info, String source) {

    public static final String META_KEY = "mrine.dataset";

    /** A dataset of no file (simulated, derived): errors about it name no file. */
    public Dataset(List<ModalityData> modalities, int trials, int steps, float[] behavior, int behaviorDim,
                   List<String> behaviorNames, double binMs, Map<String, String> info) {
        this(modalities, trials, steps, behavior, behaviorDim, behaviorNames, binMs, info, null);
    }

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
        throw new IllegalArgumentException((source != null ? source + ": " : "") + "dataset has no modality '" + name + "' (it has "
                + modalityNames() + ")");
    }

    /** The same dataset, read from {@code file} (error messages name it). */
    public Dataset withSource(String file) {
        return new Dataset(modalities, trials, steps, behavior, behaviorDim, behaviorNames, binMs, info, file);
    }

    /** The same trials and behavior with other modality data (normalized, with samples dropped, ...). */
    public Dataset withModalities(List<ModalityData> mods) {
        return new Dataset(mods, trials, steps, behavior, behaviorDim, behaviorNames, binMs, info, source);
    }

    /**
     * Checks what the engine assumes of a dataset's contents, and names the first offence: its
     * tensor and position, and what was expected. Shapes are the constructor's business; this is
     * about values. Called wherever a dataset is read (a file, an import), so every command refuses
     * the same things:
     * <ul>
     * <li>a positive, finite bin width;</li>
     * <li>modality names by {@link ModalityNames}'s rule, each name once;</li>
     * <li>masks of 0 (missing) or 1 (present) only, and at least one sample in every modality;</li>
     * <li>finite values wherever the mask says present (values under a 0 are never read);</li>
     * <li>Poisson values that are counts: whole numbers >= 0;</li>
     * <li>behavior finite, or NaN for a gap (steps without behavior are left out of decoding).</li>
     * </ul>
     *
     * @param where the file (or "recording (as imported)") to name in messages
     * @return this dataset
     * @throws FormatException on the first offence
     */
    public Dataset validate(String where) {
        if (!(binMs > 0 && binMs <= 1e9)) { // the range mrine import's --bin-ms takes, up to about eleven days
            throw new FormatException(where + ": bin_ms is " + binMs + "; expected a positive number of milliseconds (at most 1e9)");
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (ModalityData m : modalities) {
            String bad = ModalityNames.problem(m.name());
            if (bad != null) {
                throw new FormatException(where + ": modality '" + m.name() + "': " + bad + "; rename it (mrine import maps names "
                        + "to allowed ones, e.g. " + ModalityNames.allowed(m.name()) + ")");
            }
            if (!seen.add(m.name())) throw new FormatException(where + ": modality '" + m.name() + "' is listed twice");
            checkValues(m, where);
        }
        for (int i = 0; i < behavior.length; i++) {
            if (Float.isInfinite(behavior[i])) {
                int cell = i / behaviorDim;
                throw new FormatException(where + ": tensor behavior holds " + behavior[i] + " at [trial " + cell / steps + ", step "
                        + cell % steps + ", dimension " + i % behaviorDim + "]; expected a finite value (or NaN for a gap)");
            }
        }
        return this;
    }

    private void checkValues(ModalityData m, String where) {
        final float[] mask = m.mask(), x = m.values();
        final int N = m.channels();
        final boolean counts = m.likelihood() == Likelihood.POISSON;
        long present = 0;
        for (int cell = 0; cell < mask.length; cell++) {
            float k = mask[cell];
            if (k == 0f) continue;
            if (k != 1f) {
                throw new FormatException(where + ": tensor mask." + m.name() + " holds " + k + " at [trial " + cell / steps + ", step "
                        + cell % steps + "]; a mask holds 0 (sample missing) or 1 (sample present)");
            }
            present++;
            for (int n = 0; n < N; n++) {
                float v = x[cell * N + n];
                String wrong = !Float.isFinite(v) ? "a finite value (mark a missing sample with mask 0)"
                        : counts && (v < 0 || v != Math.rint(v)) ? "a count (a whole number >= 0): " + m.name() + " is a Poisson modality"
                        : null;
                if (wrong != null) {
                    throw new FormatException(where + ": tensor data." + m.name() + " holds " + v + " at [trial " + cell / steps + ", step "
                            + cell % steps + ", channel " + n + "], a sample mask." + m.name() + " marks present; expected " + wrong);
                }
            }
        }
        if (present == 0) {
            throw new FormatException(where + ": modality " + m.name() + " has no samples (mask." + m.name() + " is 0 everywhere); "
                    + "expected at least one sample in every modality");
        }
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
                behaviorDim, behaviorNames, binMs, info, source);
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
            // trials and steps from the first modality's data; every other tensor is checked against it
            String ref = null;
            int B = -1, T = -1;
            List<ModalityData> mods = new ArrayList<>();
            for (Object o : Json.array(meta.get("modalities"), where + ": modalities")) {
                Map<String, Object> d = Json.object(o, where + ": modalities[]");
                String name = Json.string(d.get("name"), where + ": modality name");
                Likelihood lik = Likelihood.parse(Json.string(d.get("likelihood"), where + ": likelihood of " + name), where);
                HostTensor x = need(c, "data." + name, where), m = need(c, "mask." + name, where);
                if (x.rank() != 3) {
                    throw new FormatException(where + ": tensor data." + name + " has shape " + x.shapeString() + ", expected [B, T, N] (trials, steps, channels)");
                }
                if (ref == null) {
                    ref = "data." + name;
                    B = x.dim(0);
                    T = x.dim(1);
                }
                if (x.dim(0) != B || x.dim(1) != T) {
                    throw new FormatException(where + ": tensor data." + name + " has shape " + x.shapeString() + ", but " + ref + " has ["
                            + B + ", " + T + ", ...]: expected [" + B + ", " + T + ", N] (every tensor has the same trials and steps)");
                }
                if (m.rank() != 2 || m.dim(0) != B || m.dim(1) != T) {
                    throw new FormatException(where + ": tensor mask." + name + " has shape " + m.shapeString() + ", expected [" + B + ", " + T
                            + "] (trials and steps of " + ref + ")");
                }
                mods.add(new ModalityData(name, lik, x.dim(2), x.data(), m.data()));
            }
            if (ref == null) throw new FormatException(where + ": the dataset lists no modalities; expected at least one");
            HostTensor beh = need(c, "behavior", where);
            if (beh.rank() != 3 || beh.dim(0) != B || beh.dim(1) != T) {
                throw new FormatException(where + ": tensor behavior has shape " + beh.shapeString() + ", expected [" + B + ", " + T
                        + ", D] (trials and steps of " + ref + ")");
            }
            int D = beh.dim(2);
            List<String> names = new ArrayList<>();
            for (Object o : Json.array(meta.get("behavior_names"), where + ": behavior_names")) names.add(Json.string(o, where + ": behavior_names[]"));
            Map<String, String> info = new LinkedHashMap<>();
            if (meta.get("info") != null) {
                Json.object(meta.get("info"), where + ": info").forEach((k, v) -> info.put(k, String.valueOf(v)));
            }
            return new Dataset(mods, B, T, beh.data(), D, names, Json.number(meta.get("bin_ms"), where + ": bin_ms"), info, where)
                    .validate(where);
        } catch (IllegalArgumentException e) {
            throw new FormatException(where + ": " + e.getMessage(), e);
        }
    }

    private static HostTensor need(SafeTensors.Contents c, String name, String where) {
        if (!c.has(name)) throw new FormatException(where + ": tensor " + name + " is missing");
        return c.get(name);
    }
}
