package org.mrine.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mrine.io.Json;

/**
 * What one epoch of training produced: the learning rate it used, the mean of every loss term over
 * its batches, the held-out total loss (NaN when not computed), the loss on early stopping's
 * validation block (NaN without early stopping) and its wall time.
 *
 * @param epoch counted from 1
 */
public record EpochStats(int epoch, double lr, Map<String, Double> train, double validTotal, double stopTotal, double seconds) {

    public EpochStats {
        train = Map.copyOf(new LinkedHashMap<>(train));
    }

    public double trainTotal() {
        return train.getOrDefault("total_loss", Double.NaN);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("epoch", (long) epoch);
        o.put("lr", lr);
        Map<String, Object> terms = new LinkedHashMap<>();
        train.forEach((k, v) -> terms.put(k, Double.isFinite(v) ? v : null));
        o.put("train", terms);
        o.put("valid_total_loss", Double.isFinite(validTotal) ? validTotal : null);
        o.put("stop_total_loss", Double.isFinite(stopTotal) ? stopTotal : null);
        o.put("seconds", seconds);
        return o;
    }

    public static EpochStats fromJson(Object json, String where) {
        Map<String, Object> o = Json.object(json, where);
        Map<String, Double> terms = new LinkedHashMap<>();
        Json.object(o.get("train"), where + ".train").forEach((k, v) -> terms.put(k, v == null ? Double.NaN : Json.number(v, where + ".train." + k)));
        return new EpochStats(Json.integer(o.get("epoch"), where + ".epoch"), Json.number(o.get("lr"), where + ".lr"), terms,
                optionalNumber(o, "valid_total_loss", where), optionalNumber(o, "stop_total_loss", where),
                Json.number(o.get("seconds"), where + ".seconds"));
    }

    /** A number that may be null or absent (older checkpoints): NaN then. */
    private static double optionalNumber(Map<String, Object> o, String key, String where) {
        Object v = o.get(key);
        return v == null ? Double.NaN : Json.number(v, where + "." + key);
    }
}
