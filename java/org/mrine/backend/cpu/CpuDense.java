package org.mrine.backend.cpu;

import java.lang.foreign.MemorySegment;
import org.mrine.tensor.Tensor;

/** Dense (Linear, optionally followed by tanh) layer over rows, forward and backward. */
final class CpuDense {
    /** Columns per band of the bias gradients' column sums: a band of 3,200 rows is some tens of microseconds. */
    private static final long COLUMN_BAND = 64;

    private CpuDense() {
    }

    /** out[R,O] = act(in[R,I] W[O,I]^T + b[O]). */
    static void forward(Tensor in, Tensor weight, Tensor bias, boolean tanh, Tensor out) {
        final int rows = rows(in), nIn = weight.dim(1), nOut = weight.dim(0);
        check(in, rows, nIn, "input");
        check(out, rows, nOut, "output");
        MemorySegment o = out.segment();
        Blas.gemm(false, true, rows, nOut, nIn, 1f, in.segment(), 0, nIn, weight.segment(), 0, nIn, 0f, o, 0, nOut);
        if (bias == null && !tanh) return;
        CpuThreads.forRanges(rows, CpuThreads.ELEMENTWISE_RANGE / nOut, (w, from, to) -> {
            for (long r = from; r < to; r++) {
                long row = r * nOut;
                if (bias != null) Blas.axpy(nOut, 1f, bias.segment(), 0, o, row);
                if (tanh) Blas.tanh(nOut, o, row);
            }
        });
    }

    /** W [O,I] -> W^T [I,O]: the layout of {@link #forwardRow}. */
    static void freeze(Tensor weight, Tensor frozen) {
        final int nIn = weight.dim(1), nOut = weight.dim(0);
        if (frozen.rank() != 2 || frozen.dim(0) != nIn || frozen.dim(1) != nOut) {
            throw new IllegalArgumentException("frozen weight has shape " + frozen.shapeString() + ", expected [" + nIn + ", " + nOut + "]");
        }
        Blas.transpose(nOut, nIn, weight.segment(), 0, frozen.segment(), 0);
    }

    /**
     * out[1,O] = act(in[1,I] W^T + b) with W^T [I,O] stored: output entries accumulate side by
     * side over the inputs (a row of W^T at a time), where the [O,I] layout would end every
     * output with a horizontal sum.
     */
    static void forwardRow(Tensor in, Tensor weightT, Tensor bias, boolean tanh, Tensor out) {
        final int nIn = weightT.dim(0), nOut = weightT.dim(1);
        check(in, 1, nIn, "input");
        check(out, 1, nOut, "output");
        MemorySegment o = out.segment();
        // zero inputs (most of a row of spike counts) are skipped: the same bits, their weight rows unread
        Blas.sparseRow(nOut, nIn, in.segment(), 0, weightT.segment(), 0, o, 0);
        if (bias != null) Blas.axpy(nOut, 1f, bias.segment(), 0, o, 0);
        if (tanh) Blas.tanh(nOut, o, 0);
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
            MemorySegment y = out.segment();
            CpuThreads.forRanges((long) rows * nOut, CpuThreads.ELEMENTWISE_RANGE, (w, from, to) -> Blas.tanhBackward(
                    (int) (to - from), y.asSlice(from * Float.BYTES), d.asSlice(from * Float.BYTES)));
        }
        Blas.gemm(true, false, nOut, nIn, rows, 1f, d, 0, nOut, in.segment(), 0, nIn, 1f, dWeight.segment(), 0, nIn);
        if (dBias != null) {
            // bands of columns over the threads (the same bits: each column still adds its rows in order)
            MemorySegment db = dBias.segment();
            CpuThreads.forRanges(nOut, COLUMN_BAND, (w, from, to) -> Blas.addColumnSums(rows, (int) (to - from), nOut, d, from, db, from));
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
