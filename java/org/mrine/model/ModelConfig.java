package org.mrine.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.mrine.io.Json;

/**
 * The network's shape and the loss settings. One modality makes a single-scale model (its encoder
 * feeds the backbone directly, under its own mask); two or more make a multiscale model with
 * per-modality LDMs and a fusion network.
 *
 * @param embeddingDim   A, the size of every embedding (n_a)
 * @param latentDim      X, the latent size (n_x)
 * @param fusionHidden   hidden sizes of the fusion MLP (unused for one modality)
 * @param initCovScale   Sigma_0 = initCovScale * I
 * @param scaleL2        weight of the sum of Frobenius norms of the MLP weight matrices
 * @param smoothLatentWeight weight of the latent smoothness term
 * @param stepsAhead     prediction horizons; 0 is the smoothing term
 */
public record ModelConfig(List<ModalitySpec> modalities, int embeddingDim, int latentDim, int[] fusionHidden,
                          float initCovScale, float scaleL2, float smoothLatentWeight, int[] stepsAhead) {

    public ModelConfig {
        modalities = List.copyOf(modalities);
        if (modalities.isEmpty()) throw new IllegalArgumentException("a model needs at least one modality");
        if (embeddingDim <= 0 || latentDim <= 0) {
            throw new IllegalArgumentException("n_a and n_x must be positive, got " + embeddingDim + " and " + latentDim);
        }
        for (int k : stepsAhead) {
            if (k < 0) throw new IllegalArgumentException("steps_ahead must be >= 0, got " + k);
        }
        long names = modalities.stream().map(ModalitySpec::name).distinct().count();
        if (names != modalities.size()) throw new IllegalArgumentException("modality names must be distinct");
        fusionHidden = fusionHidden.clone();
        stepsAhead = stepsAhead.clone();
    }

    public boolean multiscale() {
        return modalities.size() > 1;
    }

    public int maxStepAhead() {
        int m = 0;
        for (int k : stepsAhead) m = Math.max(m, k);
        return m;
    }

    /**
     * Reads the reference's configuration JSON (the fixtures' {@code config} metadata): modalities
     * s (spikes) and y (field), the spike log-likelihood weighted by tau.
     */
    public static ModelConfig fromReference(Map<String, Object> cfg, String where) {
        Map<String, Object> m = Json.object(cfg.get("model"), where + ": model");
        Map<String, Object> loss = Json.object(cfg.get("loss"), where + ": loss");
        String type = m.containsKey("model_type") ? Json.string(m.get("model_type"), where + ": model.model_type") : "multi";
        if (m.containsKey("learn_y_var") && Json.bool(m.get("learn_y_var"), where + ": model.learn_y_var")) {
            throw new IllegalArgumentException(where + ": model.learn_y_var = true is not supported (the variance is fixed)");
        }
        float yVar = m.containsKey("y_var") ? (float) Json.number(m.get("y_var"), where + ": model.y_var") : 1f;
        float tau = (float) Json.number(loss.get("tau"), where + ": loss.tau");
        List<ModalitySpec> mods = new ArrayList<>();
        for (String name : modalityNames(type, where)) {
            Likelihood lik = Likelihood.parse(Json.string(m.get("likelihood_" + name), where + ": model.likelihood_" + name), where);
            mods.add(new ModalitySpec(name, lik,
                    Json.integer(m.get("n_" + name), where + ": model.n_" + name),
                    intArray(m.get("layer_list_" + name), where + ": model.layer_list_" + name),
                    name.equals("s") ? tau : 1f,
                    (float) Json.number(loss.get("scale_sm_reg_" + name), where + ": loss.scale_sm_reg_" + name),
                    lik == Likelihood.GAUSSIAN ? yVar : 1f));
        }
        int[] fusion = mods.size() > 1 ? intArray(m.get("layer_list_m"), where + ": model.layer_list_m") : new int[0];
        return new ModelConfig(mods,
                Json.integer(m.get("n_a"), where + ": model.n_a"),
                Json.integer(m.get("n_x"), where + ": model.n_x"),
                fusion,
                m.containsKey("init_cov_scale") ? (float) Json.number(m.get("init_cov_scale"), where + ": model.init_cov_scale") : 1f,
                (float) Json.number(loss.get("scale_l2"), where + ": loss.scale_l2"),
                (float) Json.number(loss.get("scale_sm_reg_x"), where + ": loss.scale_sm_reg_x"),
                intArray(loss.get("steps_ahead"), where + ": loss.steps_ahead"));
    }

    private static List<String> modalityNames(String type, String where) {
        return switch (type) {
            case "multi" -> List.of("s", "y");
            case "single_s", "s" -> List.of("s");
            case "single_y", "y" -> List.of("y");
            default -> throw new IllegalArgumentException(where + ": unknown model.model_type '" + type + "', expected multi, single_s or single_y");
        };
    }

    private static int[] intArray(Object o, String what) {
        List<Object> list = Json.array(o, what);
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) out[i] = Json.integer(list.get(i), what + "[" + i + "]");
        return out;
    }
}
