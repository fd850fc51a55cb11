package org.mrine.model;

/** Observation model of a modality, named as in the reference's decoder keys. */
public enum Likelihood {
    POISSON("poisson", "logfr_layer"),
    GAUSSIAN("gaussian", "mean_layer");

    public final String key;
    /** The name of the decoder's output layer in the reference. */
    public final String outputLayer;

    Likelihood(String key, String outputLayer) {
        this.key = key;
        this.outputLayer = outputLayer;
    }

    public static Likelihood parse(String s, String where) {
        for (Likelihood l : values()) {
            if (l.key.equalsIgnoreCase(s)) return l;
        }
        throw new IllegalArgumentException(where + ": unknown likelihood '" + s + "', expected poisson or gaussian");
    }
}
