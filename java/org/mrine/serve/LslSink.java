package org.mrine.serve;

/**
 * Outputs as an LSL outlet of float32 samples, one per bin, time-stamped with the bin's centre.
 * Channels: latent [X], covariance diagonal [X], behavior [D], present [M] (0 or 1), latency in
 * microseconds [1]; the stream's type is {@code MRINE}, its source id {@code mrine:NAME} (an
 * inlet recovers it when the node restarts).
 */
final class LslSink implements Sink {
    private final Lsl.Outlet outlet;
    private final float[] sample;

    LslSink(ServeUri uri, int modalities, int latentDim, int behaviorDim, double binMs) {
        if (!uri.lslProp().equals("name")) throw new IllegalArgumentException("--output " + uri + ": an LSL output is named lsl:NAME");
        sample = new float[2 * latentDim + behaviorDim + modalities + 1];
        outlet = new Lsl.Outlet(uri.stream(), "MRINE", sample.length, 1000.0 / binMs, "mrine:" + uri.stream());
    }

    /** Channels of an output sample for these sizes. */
    static int channels(int modalities, int latentDim, int behaviorDim) {
        return 2 * latentDim + behaviorDim + modalities + 1;
    }

    @Override
    public void write(Output o) {
        int X = o.latent.length, D = o.behavior.length, k = 0;
        System.arraycopy(o.latent, 0, sample, k, X);
        k += X;
        System.arraycopy(o.covDiag, 0, sample, k, X);
        k += X;
        System.arraycopy(o.behavior, 0, sample, k, D);
        k += D;
        for (byte p : o.present) sample[k++] = p;
        sample[k] = (float) (o.latencyNanos / 1e3);
        outlet.push(sample, o.ts);
    }

    @Override
    public void close() {
        outlet.close();
    }
}
