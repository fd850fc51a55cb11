package org.mrine.serve;

/**
 * What the node emits for one bin (one object, rewritten for every bin): the bin's index and time
 * stamp, the backbone's filtered latent x_{t|t} [X] and the diagonal of its covariance [X], the
 * decoded behavior [D], which modalities had a sample in the bin [M], and the node's latency for
 * the bin (from the instant the bin became complete, or its deadline, to the hand-over to the
 * sinks).
 */
public final class Output {
    /** The bin's index on the grid (0: the bin of the first sample). */
    public long bin;
    /** The bin's centre in seconds of the inputs' clock (a regular source's sample time stamps sit there). */
    public double ts;
    public final float[] latent, covDiag, behavior;
    /** 1 where modality m had a sample in this bin. */
    public final byte[] present;
    /** When the bin became complete (System.nanoTime) and the node's latency from then to the sinks. */
    public long dueNanos, latencyNanos;

    public Output(int modalities, int latentDim, int behaviorDim) {
        latent = new float[latentDim];
        covDiag = new float[latentDim];
        behavior = new float[behaviorDim];
        present = new byte[modalities];
    }
}
