package org.mrine.eval;

import java.util.ArrayList;
import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/**
 * A model to evaluate: a name and the modalities it sees. MRINE on every modality, or on a subset
 * (one modality = a single-scale baseline).
 */
public record ModelChoice(String name, List<String> modalities) {

    public ModelChoice {
        modalities = List.copyOf(modalities);
        if (!name.matches("[A-Za-z0-9_\\-]+")) throw new IllegalArgumentException("model name must be letters, digits, _ or -, got '" + name + "'");
        if (modalities.isEmpty()) throw new IllegalArgumentException("model " + name + " needs at least one modality");
    }

    /**
     * MRINE on all modalities ({@code mrine}) and one single-scale model per modality, named
     * {@code spikes_only} / {@code field_only} for the only Poisson / only Gaussian modality and
     * {@code <modality>_only} otherwise.
     */
    public static List<ModelChoice> defaults(Dataset data) {
        List<ModelChoice> out = new ArrayList<>();
        out.add(new ModelChoice("mrine", data.modalityNames()));
        if (data.modalities().size() > 1) {
            for (ModalityData m : data.modalities()) out.add(new ModelChoice(singleName(data, m), List.of(m.name())));
        }
        return out;
    }

    private static String singleName(Dataset data, ModalityData m) {
        long same = data.modalities().stream().filter(o -> o.likelihood() == m.likelihood()).count();
        if (same == 1) return m.likelihood() == Likelihood.POISSON ? "spikes_only" : "field_only";
        return m.name() + "_only";
    }

    /**
     * Parses {@code --model} values: a default model's name ({@code mrine}, {@code spikes_only}, ...)
     * or {@code NAME=MOD1+MOD2} for any subset.
     */
    public static List<ModelChoice> parse(List<String> specs, Dataset data) {
        List<ModelChoice> defaults = defaults(data), out = new ArrayList<>();
        for (String spec : specs) {
            ModelChoice c;
            int eq = spec.indexOf('=');
            if (eq >= 0) {
                List<String> mods = List.of(spec.substring(eq + 1).split("\\+"));
                for (String m : mods) data.modality(m.strip());
                c = new ModelChoice(spec.substring(0, eq).strip(), mods.stream().map(String::strip).toList());
            } else {
                c = defaults.stream().filter(d -> d.name().equals(spec.strip())).findFirst().orElseThrow(() ->
                        new IllegalArgumentException("unknown model '" + spec + "'; this dataset's models are "
                                + defaults.stream().map(ModelChoice::name).toList() + ", or give NAME=MOD1+MOD2 with modalities "
                                + data.modalityNames()));
            }
            for (ModelChoice o : out) {
                if (o.name().equals(c.name())) throw new IllegalArgumentException("model '" + c.name() + "' given twice");
            }
            out.add(c);
        }
        return out;
    }
}
