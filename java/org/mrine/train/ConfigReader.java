package org.mrine.train;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * Typed, checked access to one mapping of a parsed YAML config: every read names the key's full
 * path in its error, and {@link #finish()} rejects keys nobody read (a typo must not silently fall
 * back to a default).
 */
final class ConfigReader {
    private final String where;
    private final String path;
    private final JsonNode node;
    private final Set<String> known = new LinkedHashSet<>();

    ConfigReader(String where, String path, JsonNode node) {
        this.where = where;
        this.path = path;
        if (node != null && !node.isNull() && !node.isObject()) {
            throw error(path.isEmpty() ? "the top level" : path, "expected a mapping of keys to values but found " + describe(node));
        }
        this.node = node == null || node.isNull() ? null : node;
    }

    /**
     * Parses YAML text (blank: null, all defaults). A key given twice in one mapping is an error:
     * YAML readers would otherwise keep one of the two silently.
     */
    static JsonNode readYaml(String yaml, String where) {
        if (yaml.isBlank()) return null;
        try {
            return YAML.readTree(yaml);
        } catch (JacksonException e) {
            String msg = e.getOriginalMessage();
            String line = e.getLocation() != null && e.getLocation().getLineNr() > 0 ? " (line " + e.getLocation().getLineNr() + ")" : "";
            java.util.regex.Matcher dup = msg == null ? null : DUPLICATE.matcher(msg);
            if (dup != null && dup.find()) {
                throw new IllegalArgumentException(where + ": key '" + dup.group(1) + "' appears twice in one mapping" + line
                        + "; give each key once");
            }
            throw new IllegalArgumentException(where + ": not valid YAML" + line + ": " + msg);
        }
    }

    /** Jackson's words for a repeated key ("Duplicate Object property \"model\"", "Duplicate field 'model'"). */
    private static final java.util.regex.Pattern DUPLICATE = java.util.regex.Pattern.compile("Duplicate [A-Za-z ]+[\"']([^\"']*)[\"']");

    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private String key(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private JsonNode get(String name) {
        known.add(name);
        if (node == null) return null;
        JsonNode v = node.get(name);
        return v == null || v.isNull() ? null : v;
    }

    ConfigReader section(String name) {
        known.add(name);
        return new ConfigReader(where, key(name), node == null ? null : node.get(name));
    }

    double number(String name, double dflt) {
        JsonNode v = get(name);
        if (v == null) return dflt;
        if (v.isNumber() && Double.isFinite(v.doubleValue())) return v.doubleValue();
        if (v.isString()) {
            // YAML 1.1 writers quote or spell some floats oddly (1e-3); accept any decimal literal
            try {
                double d = Double.parseDouble(v.stringValue().trim());
                if (Double.isFinite(d)) return d;
            } catch (NumberFormatException ignored) {
                // reported below
            }
        }
        throw error(key(name), "expected a finite number but found " + describe(v));
    }

    double positive(String name, double dflt) {
        double d = number(name, dflt);
        if (!(d > 0)) throw error(key(name), "must be positive, got " + d);
        return d;
    }

    double nonNegative(String name, double dflt) {
        double d = number(name, dflt);
        if (!(d >= 0)) throw error(key(name), "must be >= 0, got " + d);
        return d;
    }

    double fraction(String name, double dflt) {
        double d = number(name, dflt);
        if (!(d >= 0 && d < 1)) throw error(key(name), "must be in [0, 1), got " + d);
        return d;
    }

    long integer(String name, long dflt) {
        JsonNode v = get(name);
        if (v == null) return dflt;
        if (v.isIntegralNumber() && !v.canConvertToLong()) {
            throw error(key(name), "expected an integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE + " but found " + describe(v));
        }
        if (v.isIntegralNumber()) return v.longValue();
        throw error(key(name), "expected an integer but found " + describe(v));
    }

    int positiveInt(String name, int dflt) {
        long n = integer(name, dflt);
        if (n <= 0 || n > Integer.MAX_VALUE) throw error(key(name), "must be a positive integer, got " + n);
        return (int) n;
    }

    int intInRange(String name, int dflt, int min, int max) {
        long n = integer(name, dflt);
        if (n < min || n > max) throw error(key(name), "expected an integer from " + min + " to " + max + " but found " + n);
        return (int) n;
    }

    int nonNegativeInt(String name, int dflt) {
        long n = integer(name, dflt);
        if (n < 0 || n > Integer.MAX_VALUE) throw error(key(name), "must be an integer >= 0, got " + n);
        return (int) n;
    }

    boolean bool(String name, boolean dflt) {
        JsonNode v = get(name);
        if (v == null) return dflt;
        if (v.isBoolean()) return v.booleanValue();
        throw error(key(name), "expected true or false but found " + describe(v));
    }

    String string(String name, String dflt, List<String> allowed) {
        JsonNode v = get(name);
        if (v == null) return dflt;
        if (!v.isString() || !allowed.contains(v.stringValue())) {
            throw error(key(name), "expected one of " + allowed + " but found " + describe(v));
        }
        return v.stringValue();
    }

    /** An integer >= 0, or the word {@code auto} (returned as {@code auto}). */
    int nonNegativeIntOrAuto(String name, int auto) {
        JsonNode v = get(name);
        if (v == null || v.isString() && v.stringValue().equals("auto")) return auto;
        if (!v.isIntegralNumber()) throw error(key(name), "expected auto or an integer >= 0 but found " + describe(v));
        return nonNegativeInt(name, 0);
    }

    /** A list of names, or the word {@code all} (returned as null, as is a missing key). */
    List<String> namesOrAll(String name) {
        JsonNode v = get(name);
        if (v == null || v.isString() && v.stringValue().equals("all")) return null;
        if (!v.isArray() || v.isEmpty()) throw error(key(name), "expected all or a list of names such as [spikes, field] but found " + describe(v));
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode e = v.get(i);
            if (!e.isString() || e.stringValue().isBlank()) throw error(key(name) + "[" + i + "]", "expected a modality name but found " + describe(e));
            if (out.contains(e.stringValue())) throw error(key(name), "names " + e.stringValue() + " twice");
            out.add(e.stringValue());
        }
        return out;
    }

    /** A number, or the word {@code auto} (returned as null). */
    Double numberOrAuto(String name, Double dflt) {
        JsonNode v = get(name);
        if (v == null) return dflt;
        if (v.isString() && v.stringValue().equals("auto")) return null;
        if (v.isNumber() && v.doubleValue() > 0 && Double.isFinite(v.doubleValue())) return v.doubleValue();
        throw error(key(name), "expected auto or a positive number but found " + describe(v));
    }

    int[] intList(String name, int[] dflt, int min) {
        return intList(name, dflt, min, Integer.MAX_VALUE);
    }

    int[] intList(String name, int[] dflt, int min, int max) {
        JsonNode v = get(name);
        if (v == null) return dflt.clone();
        if (!v.isArray()) throw error(key(name), "expected a list of integers such as [64, 64] but found " + describe(v));
        int[] out = new int[v.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = v.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt() || e.intValue() < min || e.intValue() > max) {
                throw error(key(name) + "[" + i + "]", "expected an integer " + (max == Integer.MAX_VALUE ? ">= " + min
                        : "from " + min + " to " + max) + " but found " + describe(e));
            }
            out[i] = e.intValue();
        }
        return out;
    }

    /** Fails on keys of this mapping that no read asked for. */
    void finish() {
        if (node == null) return;
        List<String> unknown = new ArrayList<>();
        for (String k : node.propertyNames()) if (!known.contains(k)) unknown.add(k);
        if (!unknown.isEmpty()) {
            String which = unknown.size() == 1 ? "unknown key '" + key(unknown.get(0)) + "'" : "unknown keys " + unknown.stream().map(this::key).toList();
            throw new IllegalArgumentException(where + ": " + which + (path.isEmpty() ? " at the top level" : "")
                    + "; allowed here: " + known);
        }
    }

    IllegalArgumentException error(String key, String message) {
        return new IllegalArgumentException(where + ": " + key + ": " + message);
    }

    private static String describe(JsonNode v) {
        if (v.isString()) return "the text \"" + v.stringValue() + "\"";
        if (v.isObject()) return "a mapping";
        if (v.isArray()) return "a list";
        return v.toString();
    }
}
