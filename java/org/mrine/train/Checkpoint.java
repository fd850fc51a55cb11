package org.mrine.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.io.FormatException;
import org.mrine.io.Json;
import org.mrine.io.SafeTensors;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.model.Parameters;
import org.mrine.tensor.HostTensor;
import org.mrine.tensor.Tensor;

/**
 * Everything needed to use a trained model or to continue its training exactly, as one safetensors
 * file written atomically (temporary file, fsync, rename: a crash leaves the previous checkpoint).
 *
 * <pre>
 * param.&lt;name&gt;              every parameter under the reference's name (encoder.encoder_s.layers.0.weight, ldm.A, ...):
 *                              with early stopping, the best epoch's (the model to use)
 * train.param.&lt;name&gt;        with early stopping only: the parameters training continues from
 * optim.exp_avg.&lt;name&gt;      Adam's first moment, same layout
 * optim.exp_avg_sq.&lt;name&gt;   Adam's second moment
 * metadata  config           the training config, YAML
 *           epoch            completed epochs
 *           mrine.checkpoint JSON: modalities, tau, normalization, optimizer step, RNG state, history,
 *                            early_stopping (best epoch, its validation loss, stopped)
 * </pre>
 */
public record Checkpoint(TrainConfig config, int epoch, List<ModalityInfo> modalities, double tau,
                         Normalization normalization, int optimizerSteps, long rngState, List<EpochStats> history,
                         EarlyStop earlyStop, Map<String, HostTensor> params, Map<String, HostTensor> trainParams,
                         Map<String, HostTensor> expAvg, Map<String, HostTensor> expAvgSq) {

    public static final String META_KEY = "mrine.checkpoint";

    public Checkpoint {
        modalities = List.copyOf(modalities);
        history = List.copyOf(history);
    }

    /** The network this checkpoint's parameters belong to. */
    public ModelConfig modelConfig() {
        return config.modelConfig(modalities, tau);
    }

    /**
     * A snapshot of a live training run.
     *
     * @param best the best epoch's parameters (early stopping), saved as the model; null: the model's own
     */
    public static Checkpoint capture(TrainConfig config, int epoch, List<ModalityInfo> modalities, double tau,
                                     Normalization normalization, MrineModel model, Parameters best, EarlyStop earlyStop,
                                     Adam adam, SplitMix64 rng, List<EpochStats> history) {
        return new Checkpoint(config, epoch, modalities, tau, normalization, adam.steps(), rng.state(), history, earlyStop,
                host(best != null ? best : model.params), best != null ? host(model.params) : Map.of(), host(adam.m), host(adam.v));
    }

    private static Map<String, HostTensor> host(Parameters p) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String n : p.names()) out.put(n, p.get(n).toHost());
        return out;
    }

    /**
     * Puts parameters, moments and the random stream back; names and shapes must match the model.
     *
     * @param best where the best epoch's parameters go (early stopping), or null
     */
    public void restore(MrineModel model, Parameters best, Adam adam, SplitMix64 rng, String where) {
        if (trainParams.isEmpty()) {
            copyInto(params, model.params, where, "param.");
            if (best != null) copyInto(params, best, where, "param.");
        } else {
            copyInto(trainParams, model.params, where, "train.param.");
            if (best != null) copyInto(params, best, where, "param.");
        }
        copyInto(expAvg, adam.m, where, "optim.exp_avg.");
        copyInto(expAvgSq, adam.v, where, "optim.exp_avg_sq.");
        adam.restoreSteps(optimizerSteps);
        rng.setState(rngState);
    }

    /** Only the parameters (to evaluate a trained model). */
    public void restoreParameters(MrineModel model, String where) {
        copyInto(params, model.params, where, "param.");
    }

    private static void copyInto(Map<String, HostTensor> src, Parameters dst, String where, String prefix) {
        for (String n : dst.names()) {
            HostTensor h = src.get(n);
            if (h == null) throw new FormatException(where + ": tensor " + prefix + n + " is missing (the checkpoint is of another model)");
            Tensor t = dst.get(n);
            if (!java.util.Arrays.equals(h.shape(), t.shape())) {
                throw new FormatException(where + ": tensor " + prefix + n + " has shape " + h.shapeString() + ", the model needs " + t.shapeString());
            }
            t.copyFrom(h.data());
        }
        if (src.size() != dst.names().size()) {
            throw new FormatException(where + ": " + src.size() + " " + prefix + "* tensors, the model has " + dst.names().size());
        }
    }

    /**
     * The first parameter or optimizer moment that is NaN or infinite (or a negative second
     * moment), in words, or null when every value is usable.
     */
    public String firstNonFinite() {
        String bad = firstBad(params, "param.", false);
        if (bad == null) bad = firstBad(trainParams, "train.param.", false);
        if (bad == null) bad = firstBad(expAvg, "optim.exp_avg.", false);
        if (bad == null) bad = firstBad(expAvgSq, "optim.exp_avg_sq.", true);
        return bad;
    }

    private static String firstBad(Map<String, HostTensor> tensors, String prefix, boolean nonNegative) {
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i]) || nonNegative && d[i] < 0) {
                    return "tensor " + prefix + e.getKey() + " holds " + d[i] + " at element " + i + " of shape " + e.getValue().shapeString()
                            + (nonNegative ? " (expected finite values >= 0)" : " (expected finite values)");
                }
            }
        }
        return null;
    }

    public void save(Path file) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        params.forEach((n, t) -> tensors.put("param." + n, t));
        trainParams.forEach((n, t) -> tensors.put("train.param." + n, t));
        expAvg.forEach((n, t) -> tensors.put("optim.exp_avg." + n, t));
        expAvgSq.forEach((n, t) -> tensors.put("optim.exp_avg_sq." + n, t));
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("version", 1L);
        meta.put("epoch", (long) epoch);
        List<Object> mods = new ArrayList<>();
        for (ModalityInfo m : modalities) mods.add(m.toJson());
        meta.put("modalities", mods);
        meta.put("tau", tau);
        meta.put("normalization", normalization.toJson());
        Map<String, Object> opt = new LinkedHashMap<>();
        opt.put("type", "adam");
        opt.put("step", (long) optimizerSteps);
        meta.put("optimizer", opt);
        Map<String, Object> rng = new LinkedHashMap<>();
        rng.put("algorithm", "splitmix64");
        rng.put("state", Long.toHexString(rngState));  // hex: a 64-bit value that JSON readers using doubles keep exact
        meta.put("rng", rng);
        List<Object> hist = new ArrayList<>();
        for (EpochStats e : history) hist.add(e.toJson());
        meta.put("history", hist);
        Map<String, Object> stop = new LinkedHashMap<>();
        stop.put("best_epoch", (long) earlyStop.bestEpoch());
        stop.put("best_loss", Double.isFinite(earlyStop.bestLoss()) ? earlyStop.bestLoss() : null);
        stop.put("stopped", earlyStop.stopped());
        meta.put("early_stopping", stop);
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("config", config.toYaml());
        metadata.put("epoch", Integer.toString(epoch));
        metadata.put(META_KEY, Json.write(meta));
        SafeTensors.write(file, tensors, metadata);
    }

    public static Checkpoint load(Path file) {
        String where = file.toString();
        SafeTensors.Contents c = SafeTensors.read(file);
        String metaText = c.metadata().get(META_KEY), yaml = c.metadata().get("config");
        if (metaText == null || yaml == null) {
            throw new FormatException(where + ": not a mrine checkpoint (metadata '" + META_KEY + "' or 'config' is missing)");
        }
        try {
            TrainConfig config = TrainConfig.parse(yaml, where + " (config)");
            Map<String, Object> meta = Json.object(Json.parse(metaText), where + ": " + META_KEY);
            List<ModalityInfo> mods = new ArrayList<>();
            for (Object o : Json.array(meta.get("modalities"), where + ": modalities")) mods.add(ModalityInfo.fromJson(o, where + ": modality"));
            Map<String, Object> opt = Json.object(meta.get("optimizer"), where + ": optimizer");
            Map<String, Object> rng = Json.object(meta.get("rng"), where + ": rng");
            List<EpochStats> history = new ArrayList<>();
            for (Object o : Json.array(meta.get("history"), where + ": history")) history.add(EpochStats.fromJson(o, where + ": history[]"));
            Checkpoint ck = new Checkpoint(config, Json.integer(meta.get("epoch"), where + ": epoch"), mods,
                    Json.number(meta.get("tau"), where + ": tau"),
                    Normalization.fromJson(meta.get("normalization"), where + ": normalization"),
                    Json.integer(opt.get("step"), where + ": optimizer.step"),
                    Long.parseUnsignedLong(Json.string(rng.get("state"), where + ": rng.state"), 16), history,
                    earlyStop(meta.get("early_stopping"), where), c.withPrefix("param."), c.withPrefix("train.param."),
                    c.withPrefix("optim.exp_avg."), c.withPrefix("optim.exp_avg_sq."));
            for (ModalityInfo m : mods) {
                // the metadata's channel count against the encoder's first layer [out, in]: a model and data
                // that disagree must be blamed on the checkpoint, not on the data it is applied to
                String prefix = "encoder.encoder_" + m.name() + ".";
                HostTensor first = ck.params().get(prefix + (config.model().hidden().length > 0 ? "layers.0" : "final_layer") + ".weight");
                if (first != null && (first.rank() != 2 || first.dim(1) != m.channels())) {
                    throw new FormatException(where + ": modality " + m.name() + " has " + m.channels() + " channels in " + META_KEY
                            + ", but tensor param." + prefix + "... has shape " + first.shapeString() + "; the checkpoint is inconsistent");
                }
            }
            String bad = ck.firstNonFinite();
            if (bad != null) throw new FormatException(where + ": " + bad + "; the checkpoint cannot be used (was it written by a diverging run?)");
            return ck;
        } catch (IllegalArgumentException e) {
            throw new FormatException(where + ": " + e.getMessage(), e);
        }
    }

    /** The early stopping state; checkpoints written before early stopping existed have none. */
    private static EarlyStop earlyStop(Object json, String where) {
        if (json == null) return EarlyStop.NONE;
        Map<String, Object> o = Json.object(json, where + ": early_stopping");
        Object loss = o.get("best_loss");
        return new EarlyStop(Json.integer(o.get("best_epoch"), where + ": early_stopping.best_epoch"),
                loss == null ? Double.NaN : Json.number(loss, where + ": early_stopping.best_loss"),
                Boolean.TRUE.equals(o.get("stopped")));
    }
}
