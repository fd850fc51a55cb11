package org.mrine.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.mrine.data.ModalityData;
import org.mrine.io.Json;
import org.mrine.model.Likelihood;

/** What a model needs to know of a modality it was built for: name, observation model, channels. */
public record ModalityInfo(String name, Likelihood likelihood, int channels) {

    public static ModalityInfo of(ModalityData d) {
        return new ModalityInfo(d.name(), d.likelihood(), d.channels());
    }

    public Map<String, Object> toJson() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("name", name);
        o.put("likelihood", likelihood.key);
        o.put("channels", (long) channels);
        return o;
    }

    public static ModalityInfo fromJson(Object json, String where) {
        Map<String, Object> o = Json.object(json, where);
        return new ModalityInfo(Json.string(o.get("name"), where + ".name"),
                Likelihood.parse(Json.string(o.get("likelihood"), where + ".likelihood"), where),
                Json.integer(o.get("channels"), where + ".channels"));
    }
}
