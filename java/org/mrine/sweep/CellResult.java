package org.mrine.sweep;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.mrine.io.Json;

/**
 * What one cell produced: the held-out scores (Pearson CC of behavior decoded from filtered,
 * causal latents and from smoothed ones; the model's held-out loss), how long training ran, or the
 * error that ended it. NaN where a score does not apply (a Wiener filter has no loss and no
 * smoothed latents).
 *
 * @param epochs    epochs trained (early stopping may end a run before its budget)
 * @param bestEpoch the epoch whose parameters were scored
 * @param error     null, or one line saying why the cell failed
 * @param worker    where it ran (host and executor), for the record
 */
public record CellResult(String id, int setting, int outer, int inner, double ccFiltered, double ccSmoothed, double heldOutLoss,
                         int epochs, int bestEpoch, double seconds, String error, String worker) implements Serializable {

    public boolean failed() {
        return error != null;
    }

    public static CellResult failure(CellSpec c, String error, double seconds, String worker) {
        return new CellResult(c.id(), c.setting(), c.outer(), c.inner(), Double.NaN, Double.NaN, Double.NaN, 0, 0, seconds, error, worker);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("id", id);
        o.put("setting", (long) setting);
        o.put("outer_fold", (long) outer);
        o.put("inner_fold", (long) inner);
        o.put("cc_filtered", finite(ccFiltered));
        o.put("cc_smoothed", finite(ccSmoothed));
        o.put("held_out_loss", finite(heldOutLoss));
        o.put("epochs", (long) epochs);
        o.put("best_epoch", (long) bestEpoch);
        o.put("seconds", seconds);
        o.put("error", error);
        o.put("worker", worker);
        return o;
    }

    public static CellResult fromJson(Object json, String where) {
        Map<String, Object> o = Json.object(json, where);
        return new CellResult(Json.string(o.get("id"), where + ": id"), Json.integer(o.get("setting"), where + ": setting"),
                Json.integer(o.get("outer_fold"), where + ": outer_fold"), Json.integer(o.get("inner_fold"), where + ": inner_fold"),
                number(o, "cc_filtered", where), number(o, "cc_smoothed", where), number(o, "held_out_loss", where),
                Json.integer(o.get("epochs"), where + ": epochs"), Json.integer(o.get("best_epoch"), where + ": best_epoch"),
                Json.number(o.get("seconds"), where + ": seconds"),
                o.get("error") == null ? null : Json.string(o.get("error"), where + ": error"),
                o.get("worker") == null ? null : Json.string(o.get("worker"), where + ": worker"));
    }

    private static Object finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    private static double number(Map<String, Object> o, String key, String where) {
        Object v = o.get(key);
        return v == null ? Double.NaN : Json.number(v, where + ": " + key);
    }
}
