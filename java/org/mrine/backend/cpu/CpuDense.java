package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.mrine.tensor.Tensor;

/** Dense (Linear, optionally followed by tanh) layer over rows, forward and backward. */
final class CpuDense {
    private CpuDense() {
    }

    /** out[R,O] = act(in[R,I] W[O,I]^T + b[O]). */
    static void forward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        final int rows = rows(in), nIn = weight.dim(1), nOut = weight.dim(0);
        check(in, rows, nIn, "input");
        check(out, rows, nOut, "output");
        MemorySegment o = out.segment();
        Blas.gemm(false, true, rows, nOut, nIn, 1f, in.segment(), 0, nIn, weight.segment(), 0, nIn, 0f, o, 0, nOut);
        for (int r = 0; r < rows; r++) {
            long row = (long) r * nOut;
            if (bias != null) Blas.axpy(nOut, 1f, bias.segment(), 0, o, row);
            if (tanh) Blas.tanh(nOut, o, row);
        }
    }

    /**
     * dOut[R,O] becomes the pre-activation gradient; dW += dPre^T in; dB += column sums of dPre;
     * dIn += dPre W (when dIn is not null).
     */
    static void backward(Tensor in, Tensor weight, Tensor out, boolean tanh, Tensor dOut,
                         Tensor dIn, Tensor dWeight, Tensor dBias) {
        final int rows = rows(in), nIn = weight.dim(1), nOut = weight.dim(0);
        MemorySegment d = dOut.segment();
        if (tanh) {
            MemorySegment o = out.segment();
            for (long i = 0, n = (long) rows * nOut; i < n; i++) {
                float y = Blas.get(o, i);
                Blas.set(d, i, Blas.get(d, i) * (1f - y * y));
            }
        }
        Blas.gemm(true, false, nOut, nIn, rows, 1f, d, 0, nOut, in.segment(), 0, nIn, 1f, dWeight.segment(), 0, nIn);
        if (dBias != null) {
            for (int r = 0; r < rows; r++) Blas.axpy(nOut, 1f, d, (long) r * nOut, dBias.segment(), 0);
        }
        if (dIn != null) {
            check(dIn, rows, nIn, "input gradient");
            Blas.gemm(false, false, rows, nIn, nOut, 1f, d, 0, nOut, weight.segment(), 0, nIn, 1f, dIn.segment(), 0, nIn);
        }
    }

    private static int rows(Tensor t) {
        return (int) (t.size() / t.dim(-1));
    }

    private static void check(Tensor t, int rows, int cols, String what) {
        if (t.dim(-1) != cols || t.size() != (long) rows * cols) {
            throw new IllegalArgumentException("dense layer " + what + " has shape " + t.shapeString()
                    + ", expected " + rows + " rows of " + cols);
        }
    }
}
