package org.mrine.model;

/**
 * The one naming rule for modalities, shared by import, datasets and models: a modality's name is
 * part of its parameters' names ({@code encoder.encoder_<name>}, {@code decoder_dict.<name>_poisson})
 * and of its tensors' ({@code data.<name>}), so it is letters and digits only ('_' separates the
 * parts of those names) and not {@code m}, which names the fusion network ({@code encoder.encoder_m}).
 */
public final class ModalityNames {
    /** The fusion network's name in the reference's parameter names. */
    public static final String FUSION = "m";
    /** Longer names are surely a mistake (a path or a sentence). */
    static final int MAX_LENGTH = 64;

    private ModalityNames() {
    }

    /** Why {@code name} cannot name a modality, or null when it can. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) return "a modality needs a name";
        if (!name.matches("[A-Za-z0-9]+")) return "modality names are letters and digits only";
        if (name.equals(FUSION)) return "'" + FUSION + "' names the fusion network (encoder.encoder_m)";
        if (name.length() > MAX_LENGTH) return "modality names are at most " + MAX_LENGTH + " characters";
        return null;
    }

    /**
     * The allowed name nearest to {@code name}: other characters dropped, the letter after each
     * made upper case ({@code field_b} becomes {@code fieldB}, {@code lfp-ch1} {@code lfpCh1}); a name
     * left empty becomes {@code series}, {@code m} becomes {@code m2}.
     */
    public static String allowed(String name) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = c < 128 && Character.isLetterOrDigit(c);
            if (!ok) {
                upper = sb.length() > 0;
                continue;
            }
            sb.append(upper ? Character.toUpperCase(c) : c);
            upper = false;
        }
        String s = sb.length() > MAX_LENGTH ? sb.substring(0, MAX_LENGTH) : sb.toString();
        if (s.isEmpty()) return "series";
        return s.equals(FUSION) ? FUSION + "2" : s;
    }
}
