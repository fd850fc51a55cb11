package org.mrine.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mrine.io.Json;

/**
 * What one epoch of training produced: the learning rate it used, the mean of every loss term over
 * its batches, the held-out total loss (NaN when not computed) and its wall time.
 *
 * @param epoch counted from 1
 */
public record EpochStats(int epoch, double lr, Map<String, Double> train, double validTotal, double seconds) {

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
        o.put("seconds", seconds);
        return o;
    }

    public static EpochStats fromJson(Object json, String where) {
        Map<String, Object> o = Json.object(json, where);
        Map<String, Double> terms = new LinkedHashMap<>();
        Json.object(o.get("train"), where + ".train").forEach((k, v) -> terms.put(k, v == null ? Double.NaN : Json.number(v, where + ".train." + k)));
        Object valid = o.get("valid_total_loss");
        return new EpochStats(Json.integer(o.get("epoch"), where + ".epoch"), Json.number(o.get("lr"), where + ".lr"), terms,
                valid == null ? Double.NaN : Json.number(valid, where + ".valid_total_loss"),
                Json.number(o.get("seconds"), where + ".seconds"));
    }
}
