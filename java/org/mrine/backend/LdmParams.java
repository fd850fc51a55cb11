package org.mrine.backend;

import org.mrine.tensor.Tensor;

/**
 * The tensors of one linear dynamical model, or of its gradient (then x0 and sigma0 are null:
 * the initial state is fixed, as in the reference).
 *
 * <pre>
 * a             [X,X]  state transition
 * c             [A,X]  observation matrix (embedding = C x)
 * qLogDiag      [X]    Q = diag(exp(qLogDiag))
 * rLogDiag      [A]    R = diag(exp(rLogDiag))
 * x0            [X]    initial mean
 * sigma0        [X,X]  initial covariance
 * </pre>
 */
public record LdmParams(Tensor a, Tensor c, Tensor qLogDiag, Tensor rLogDiag, Tensor x0, Tensor sigma0) {

    public int latentDim() {
        return a.dim(0);
    }

    public int embeddingDim() {
        return c.dim(0);
    }
}
