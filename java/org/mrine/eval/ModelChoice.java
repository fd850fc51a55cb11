package org.mrine.eval;

import java.util.ArrayList;
import java.util.List;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/**
 * A model to evaluate: a name and the modalities it sees. MRINE on every modality, or on a subset
 * (one modality = a single-scale baseline), or the causal Wiener filter on one modality
 * ({@code wienerLags} >= 0 bins of history, see {@link WienerFilter}; -1 for MRINE).
 */
public record ModelChoice(String name, List<String> modalities, int wienerLags) {

    /** The Wiener filter's name in {@code --model}. */
    public static final String WIENER = "wiener";

    public ModelChoice {
        modalities = List.copyOf(modalities);
        if (!name.matches("[A-Za-z0-9_\\-]+")) throw new IllegalArgumentException("model name must be letters, digits, _ or -, got '" + name + "'");
        if (modalities.isEmpty()) throw new IllegalArgumentException("model " + name + " needs at least one modality");
        if (wienerLags < -1) throw new IllegalArgumentException("model " + name + ": Wiener lags must be >= 0, got " + wienerLags);
        if (wienerLags >= 0 && modalities.size() != 1) throw new IllegalArgumentException("the Wiener filter reads one modality");
    }

    /** An MRINE model. */
    public ModelChoice(String name, List<String> modalities) {
        this(name, modalities, -1);
    }

    public boolean isWiener() {
        return wienerLags >= 0;
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

    /** Parses {@code --model} values of MRINE models only (see {@link #parse(List, Dataset, int)}). */
    public static List<ModelChoice> parse(List<String> specs, Dataset data) {
        return parse(specs, data, -1);
    }

    /**
     * Parses {@code --model} values: a default model's name ({@code mrine}, {@code spikes_only}, ...)
     * or {@code NAME=MOD1+MOD2} for any subset; with {@code wienerLags} >= 0 also {@code wiener} (on
     * the only Poisson modality) or {@code wiener=MOD}, the causal Wiener filter with that many lags.
     */
    public static List<ModelChoice> parse(List<String> specs, Dataset data, int wienerLags) {
        List<ModelChoice> defaults = defaults(data), out = new ArrayList<>();
        for (String spec : specs) {
            ModelChoice c;
            int eq = spec.indexOf('=');
            String name = (eq >= 0 ? spec.substring(0, eq) : spec).strip();
            if (name.equals(WIENER)) {
                if (wienerLags < 0) throw new IllegalArgumentException("the Wiener filter (--model " + spec + ") is a baseline of mrine evaluate only");
                String mod;
                if (eq >= 0) {
                    mod = spec.substring(eq + 1).strip();
                    data.modality(mod);
                } else {
                    List<ModalityData> poisson = data.modalities().stream().filter(m -> m.likelihood() == Likelihood.POISSON).toList();
                    if (poisson.size() != 1) {
                        throw new IllegalArgumentException("--model wiener: this dataset has " + poisson.size()
                                + " Poisson (count) modalities; name one with --model wiener=MOD, MOD one of " + data.modalityNames());
                    }
                    mod = poisson.get(0).name();
                }
                long p = data.modality(mod).channels() * (wienerLags + 1L), values = (long) data.trials() * data.steps() * p;
                double gib = (8.0 * p * p + 4.0 * values) / (1L << 30);
                if (values > Integer.MAX_VALUE - 8 || gib > Runtime.getRuntime().maxMemory() / (double) (1L << 30)) {
                    throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "--wiener-lags %d: %d inputs per step, whose "
                            + "least squares need about %.1f GiB (more than this JVM may use); use fewer lags (a trial has %d steps)",
                            wienerLags, p, gib, data.steps()));
                }
                c = new ModelChoice(WIENER, List.of(mod), wienerLags);
            } else if (eq >= 0) {
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
