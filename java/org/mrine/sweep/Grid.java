package org.mrine.sweep;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.train.SplitMix64;
import org.mrine.train.TrainConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A search space, read from a YAML file that mirrors the config file: every key a config takes,
 * holding either one value (fixed for the whole sweep, as in a config) or a list of values (swept).
 * A key whose config value is itself a list ({@code hidden}, {@code fusion_hidden},
 * {@code steps_ahead}, {@code modalities}) is swept by a list of lists.
 *
 * <pre>
 * model:
 *   latent_dim: [8, 16, 32]            # swept
 *   embedding_dim: 16                  # fixed
 *   hidden: [[64, 64], [128, 128]]     # swept, list-valued
 *   modalities: [[spikes], [spikes, field]]
 * training:
 *   dropout: [0.1, 0.3]
 * evaluation:
 *   wiener_lags: [2, 5, 10]            # the Wiener filter baseline's own search
 * </pre>
 *
 * Every setting is checked like a config file before anything trains: an unknown key, an empty
 * list or a value of the wrong type is one error naming the grid file and the key.
 *
 * @param swept     the swept keys ({@code section.key}) and their values, in file order
 * @param base      the config every setting starts from (the fixed keys applied)
 * @param wienerLags the Wiener filter's candidate lags (one value when not swept)
 */
public record Grid(String source, Map<String, List<JsonNode>> swept, TrainConfig base, List<Integer> wienerLags) {

    /** Keys that choose how settings are scored, not what is trained: never swept. */
    private static final List<String> NOT_SWEPT = List.of("evaluation.folds", "training.backend", "training.checkpoint_every",
            "training.validate_every");
    private static final String WIENER_KEY = "evaluation.wiener_lags";

    /** Reads a grid file; {@code base} holds the keys it leaves out (a --config file, or the defaults). */
    public static Grid load(Path file, TrainConfig base) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read the grid: " + e.getMessage());
        }
        return parse(text, file.toString(), base);
    }

    public static Grid parse(String yaml, String where, TrainConfig base) {
        JsonNode root = TrainConfig.tree(yaml, where);
        if (root == null || !root.isObject() || root.isEmpty()) {
            throw new IllegalArgumentException(where + ": the grid is empty; it mirrors the config file, each swept key holding a list of values");
        }
        ObjectNode fixed = (ObjectNode) base.toTree();
        Map<String, List<JsonNode>> swept = new LinkedHashMap<>();
        for (String section : root.propertyNames()) {
            JsonNode sec = root.get(section);
            JsonNode baseSection = fixed.get(section);
            if (baseSection == null) {
                throw new IllegalArgumentException(where + ": unknown section '" + section + "'; the grid takes " + namesOf(fixed));
            }
            if (!sec.isObject()) throw new IllegalArgumentException(where + ": " + section + ": expected a mapping of keys to values");
            for (String key : sec.propertyNames()) {
                String path = section + "." + key;
                JsonNode value = sec.get(key), baseValue = baseSection.get(key);
                if (baseValue == null) {
                    throw new IllegalArgumentException(where + ": unknown key '" + path + "'; " + section + " takes " + namesOf(baseSection));
                }
                boolean listValued = baseValue.isArray() || key.equals("modalities");
                boolean isSweep = value.isArray() && (!listValued || value.isEmpty() || value.get(0).isArray());
                if (!isSweep) {
                    ((ObjectNode) baseSection).set(key, value);
                    continue;
                }
                if (NOT_SWEPT.contains(path)) throw new IllegalArgumentException(where + ": " + path + " cannot be swept (it is not a model setting)");
                if (value.isEmpty()) throw new IllegalArgumentException(where + ": " + path + ": the list of values is empty");
                List<JsonNode> values = new ArrayList<>();
                for (JsonNode v : value) {
                    if (listValued && !v.isArray()) {
                        throw new IllegalArgumentException(where + ": " + path + ": a list-valued key is swept by a list of lists, such as [[64, 64], [128]]; found " + v);
                    }
                    if (values.contains(v)) throw new IllegalArgumentException(where + ": " + path + ": the value " + v + " is listed twice");
                    values.add(v);
                }
                swept.put(path, values);
            }
        }
        TrainConfig checkedBase = TrainConfig.parse(fixed, where);
        List<Integer> lags = new ArrayList<>();
        List<JsonNode> lagValues = swept.remove(WIENER_KEY);
        if (lagValues == null) lags.add(checkedBase.evaluation().wienerLags());
        Grid grid = new Grid(where, swept, checkedBase, lags);
        if (lagValues != null) {
            for (JsonNode v : lagValues) {
                // checked like the config key it sweeps
                lags.add(checkedBase.with(WIENER_KEY, v).evaluation().wienerLags());
            }
        }
        for (Map<String, JsonNode> s : grid.all()) grid.config(s);  // every setting must be a valid config
        return grid;
    }

    /** Settings in the full product, in odometer order (the last key varies fastest). */
    public int size() {
        long n = 1;
        for (List<JsonNode> v : swept.values()) n = Math.multiplyExact(n, v.size());
        if (n > 1_000_000) throw new IllegalArgumentException(source + ": the grid has " + n + " settings; sample some with --random N");
        return (int) n;
    }

    /** Every setting of the product: swept key to value. */
    public List<Map<String, JsonNode>> all() {
        List<Map<String, JsonNode>> out = new ArrayList<>();
        int n = size();
        for (int i = 0; i < n; i++) out.add(setting(i));
        return out;
    }

    /** {@code count} distinct settings drawn from the product (all of them when it has no more), in product order. */
    public List<Map<String, JsonNode>> sample(int count, long seed) {
        int n = size();
        if (count >= n) return all();
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        SplitMix64 rng = new SplitMix64(seed);
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(n - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] chosen = java.util.Arrays.copyOf(order, count);
        java.util.Arrays.sort(chosen);
        List<Map<String, JsonNode>> out = new ArrayList<>();
        for (int i : chosen) out.add(setting(i));
        return out;
    }

    private Map<String, JsonNode> setting(int index) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(swept.keySet());
        int rest = index;
        int[] digits = new int[keys.size()];
        for (int k = keys.size() - 1; k >= 0; k--) {
            int radix = swept.get(keys.get(k)).size();
            digits[k] = rest % radix;
            rest /= radix;
        }
        for (int k = 0; k < keys.size(); k++) out.put(keys.get(k), swept.get(keys.get(k)).get(digits[k]));
        return out;
    }

    /** The config of one setting: the base with the setting's values. */
    public TrainConfig config(Map<String, JsonNode> setting) {
        ObjectNode tree = (ObjectNode) base.toTree();
        for (Map.Entry<String, JsonNode> e : setting.entrySet()) {
            int dot = e.getKey().indexOf('.');
            ((ObjectNode) tree.get(e.getKey().substring(0, dot))).set(e.getKey().substring(dot + 1), e.getValue());
        }
        return TrainConfig.parse(tree, source + " (setting " + describe(setting) + ")");
    }

    /** "model.latent_dim=16, training.dropout=0.3" */
    public static String describe(Map<String, JsonNode> setting) {
        if (setting.isEmpty()) return "the base config";
        List<String> parts = new ArrayList<>();
        setting.forEach((k, v) -> parts.add(k + "=" + v));
        return String.join(", ", parts);
    }

    private static List<String> namesOf(JsonNode object) {
        return new ArrayList<>(object.propertyNames());
    }
}
