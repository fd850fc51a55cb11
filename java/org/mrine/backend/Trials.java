package org.mrine.backend;

import org.mrine.tensor.Tensor;

/** Views of one trial of a batch tensor: [B,T,N] gives [T,N], a mask [B,T] gives [T]. */
public final class Trials {
    private Trials() {
    }

    /** Trial b of t [B,T,N] as [T,N]. */
    public static Tensor of(Tensor t, int b) {
        return t.slice(b, 1).view(t.dim(1), t.dim(2));
    }

    /** Row b of m [B,T] as [T]. */
    public static Tensor row(Tensor m, int b) {
        return m.slice(b, 1).view(m.dim(1));
    }
}
