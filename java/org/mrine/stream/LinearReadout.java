package org.mrine.stream;

/**
 * Behavior decoded linearly from the latent state: y = W^T x + b, W [X, D] row-major, b [D] (the
 * OLS decoder that evaluation fits on filtered latents).
 */
public record LinearReadout(int inputs, int outputs, float[] weights, float[] intercept) {

    public LinearReadout {
        if (weights.length != inputs * outputs || intercept.length != outputs) {
            throw new IllegalArgumentException("readout of " + inputs + " inputs and " + outputs + " outputs needs "
                    + inputs * outputs + " weights and " + outputs + " intercepts, got " + weights.length + " and " + intercept.length);
        }
    }

    /** out[D] = W^T x + b, without allocating. */
    public void apply(float[] x, float[] out) {
        for (int d = 0; d < outputs; d++) {
            float v = intercept[d];
            for (int i = 0; i < inputs; i++) v = Math.fma(weights[i * outputs + d], x[i], v);
            out[d] = v;
        }
    }
}
