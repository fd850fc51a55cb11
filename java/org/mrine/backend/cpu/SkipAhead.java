package org.mrine.backend.cpu;

import static org.mrine.backend.cpu.Blas.get;
import static org.mrine.backend.cpu.Blas.mm;
import static org.mrine.backend.cpu.Blas.set;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.function.IntUnaryOperator;
import org.mrine.backend.CovarianceTrack;
import org.mrine.backend.LdmParams;
import org.mrine.tensor.Tensor;

/**
 * The steps without a sample of a filter-only track (a modality's filter in a multiscale model),
 * skipped. Its covariances reach the rest of the model only through the gain, which is zero where
 * the sample is missing, so they are needed only at the steps with a sample. From one such step s
 * to the next, t, the k = t - s predictions P' = A P A^T + Q in between are one:
 * <pre>
 * prior[t] = A^k filt[s] (A^k)^T + Q_k,    Q_1 = Q,  Q_k = A Q_{k-1} A^T + Q
 * </pre>
 * and before the first sample, from prior[0] = Sigma_0, k = t. A^k and Q_k depend only on the
 * parameters: {@link #build} makes them once per pass for k = 2..K (k = 1 is the plain step), so a
 * jump costs the two products of one step and a track pays only at its samples. The same function
 * as stepping through the missing samples, in other rounding (the reference fixtures hold it well
 * within their tolerances). Only a training step's forward skips; inference makes every step, as
 * the streaming decoder does.
 *
 * <p>Backward: a jump's adjoint M (of prior[t]) gives d(A^k) += (M + M^T) A^k filt[s] and
 * d(Q_k) += M. Those sum per item and jump length ({@link #dPower}, {@link #dNoise}), and after the
 * pass, in item order, they go back through the recursions of A^k and Q_k once
 * ({@link #addGradients}): the bits never depend on which thread ran what. One instance serves one
 * LDM of a pass; not thread-safe except for the items' own accumulators.
 */
final class SkipAhead {
    private final Arena arena = Arena.ofAuto();
    private int nx, maxJump, first;
    private long matrix;
    /** [K+1][X,X] each: A^k, (A^k)^T and Q_k at index k (k = 1 holds A, A^T, diag(Q)). */
    private MemorySegment powers = MemorySegment.NULL, powersT = MemorySegment.NULL, noises = MemorySegment.NULL;
    /** slot[item - first][k]: where the item sums its adjoints of A^k and Q_k, or -1. */
    private int[][] slot = new int[0][];
    private MemorySegment dPowers = MemorySegment.NULL, dNoises = MemorySegment.NULL;
    private final MemorySegment[] scratch = new MemorySegment[5];
    /** The jumps' greatest common divisor: the tables hold k = 1 .. s and the multiples of s. */
    private int stride = 1;
    /** The A and Q_log_diag the tables were made from. */
    private MemorySegment madeFrom;

    /** The jump into step t of a track with this mask: t - (the last step before t with a sample), or t when none. */
    static int jumpInto(Tensor mask, int t) {
        int s = lastSampleBefore(mask, t);
        return s < 0 ? t : t - s;
    }

    /** The last step before t with a sample, or -1. */
    static int lastSampleBefore(Tensor mask, int t) {
        int s = t - 1;
        while (s >= 0 && !(mask.get(s) > 0f)) s--;
        return s;
    }

    /** gcd(divisor, every jump into a step with a sample): 0 where there is none (0 is gcd's identity). */
    static int jumpDivisor(Tensor mask, int steps, int divisor) {
        for (int t = 0; t < steps; t++) {
            if (mask.get(t) > 0f) {
                int k = jumpInto(mask, t);
                while (k != 0) {
                    int r = divisor % k;
                    divisor = k;
                    k = r;
                }
            }
        }
        return divisor;
    }

    /** The longest jump into a step with a sample at or after from. */
    static int longestJump(Tensor mask, int steps, int from) {
        int longest = 0;
        for (int t = from; t < steps; t++) {
            if (mask.get(t) > 0f) longest = Math.max(longest, jumpInto(mask, t));
        }
        return longest;
    }

    /**
     * A^k, (A^k)^T and Q_k for k = 1..maxJump, from the parameters; kept when they already hold them
     * (a backward pass after its forward: the same A and Q bit for bit, no longer jump).
     */
    void build(LdmParams p, int maxJump, int stride) {
        MemorySegment a = p.a().segment(), q = p.qLogDiag().segment();
        if (p.a().shape()[0] == nx && maxJump <= this.maxJump && stride == this.stride && madeFrom != null
                && madeFrom.byteSize() == a.byteSize() + q.byteSize()
                && MemorySegment.mismatch(madeFrom, 0, a.byteSize(), a, 0, a.byteSize()) < 0
                && MemorySegment.mismatch(madeFrom, a.byteSize(), madeFrom.byteSize(), q, 0, q.byteSize()) < 0) {
            return;
        }
        nx = p.a().shape()[0];
        matrix = (long) nx * nx;
        this.maxJump = maxJump;
        this.stride = stride;
        if (madeFrom == null || madeFrom.byteSize() != a.byteSize() + q.byteSize()) madeFrom = arena.allocate(a.byteSize() + q.byteSize(), 64);
        MemorySegment.copy(a, 0, madeFrom, 0, a.byteSize());
        MemorySegment.copy(q, 0, madeFrom, a.byteSize(), q.byteSize());
        long bytes = (maxJump + 1L) * matrix * Float.BYTES;
        if (powers.byteSize() < bytes) {
            powers = arena.allocate(bytes, 64);
            powersT = arena.allocate(bytes, 64);
            noises = arena.allocate(bytes, 64);
        }
        for (int i = 0; i < scratch.length; i++) {
            if (scratch[i] == null || scratch[i].byteSize() < matrix * Float.BYTES) scratch[i] = arena.allocate(matrix * Float.BYTES, 64);
        }
        if (maxJump < 1) return;
        MemorySegment A = p.a().segment();
        Blas.copy((int) matrix, A, 0, powers, at(1));
        Blas.transpose(nx, nx, A, 0, powersT, at(1));
        Blas.zero((int) matrix, noises, at(1));
        for (int i = 0; i < nx; i++) set(noises, at(1) + (long) i * nx + i, (float) Math.exp(p.qLogDiag().get(i)));
        // k = 2 .. s one step at a time, then multiples of s, s at a time (s = 1: every k one step on)
        for (int k = 2; k <= Math.min(stride, maxJump); k++) stepTable(k, 1);
        for (int k = 2 * stride; k <= maxJump; k += stride) stepTable(k, stride);
    }

    /**
     * Tables at k from those at k - s and s: A^k = A^s A^{k-s}, Q_k = (A^s Q_{k-s}) (A^s)^T + Q_s,
     * kept symmetric as the steps keep P.
     */
    private void stepTable(int k, int s) {
        MemorySegment w = scratch[0];
        mm(false, false, nx, nx, nx, 1f, powers, at(s), powers, at(k - s), 0f, powers, at(k));
        Blas.transpose(nx, nx, powers, at(k), powersT, at(k));
        mm(false, false, nx, nx, nx, 1f, powers, at(s), noises, at(k - s), 0f, w, 0);
        mm(false, false, nx, nx, nx, 1f, w, 0, powersT, at(s), 0f, noises, at(k));
        Blas.axpy((int) matrix, 1f, noises, at(s), noises, at(k));
        Blas.symmetrize(nx, noises, at(k));
    }

    /** Element offset of matrix k in the tables. */
    long at(int k) {
        return k * matrix;
    }

    MemorySegment powers() {
        return powers;
    }

    MemorySegment powersT() {
        return powersT;
    }

    MemorySegment noises() {
        return noises;
    }

    /**
     * The backward's accumulators: items first .. first + count - 1 of the pass (tracks[i - first]
     * with their recorded masks), each running its steps with a sample from stop(i) on, get a zeroed
     * pair of [X,X] sums for every jump length of 2 or more among those steps.
     */
    void planBackward(CovarianceTrack[] tracks, int first, int count, IntUnaryOperator stop) {
        this.first = first;
        if (slot.length < count) slot = new int[count][];
        int slots = 0;
        for (int g = 0; g < count; g++) {
            CovarianceTrack tr = tracks[g];
            if (slot[g] == null || slot[g].length < maxJump + 1) slot[g] = new int[maxJump + 1];
            Arrays.fill(slot[g], -1);
            for (int t = stop.applyAsInt(first + g); t < tr.steps; t++) {
                if (!(tr.mask.get(t) > 0f)) continue;
                int k = jumpInto(tr.mask, t);
                if (k >= 2 && slot[g][k] < 0) slot[g][k] = slots++;
            }
        }
        long bytes = Math.max(1, slots) * matrix * Float.BYTES;
        if (dPowers.byteSize() < bytes) {
            // to the next power of two: the planned slots change with every batch's masks, and growing
            // to each new most would allocate (and have the JVM zero) native memory again and again
            long capacity = Long.highestOneBit(bytes - 1) << 1;
            dPowers = arena.allocate(capacity, 64);
            dNoises = arena.allocate(capacity, 64);
        }
        Blas.zero((int) (slots * matrix), dPowers, 0);
        Blas.zero((int) (slots * matrix), dNoises, 0);
    }

    /** Element offset of item i's sum of d(A^k) in {@link #dPowers()} (k >= 2, planned). */
    long dPowerAt(int item, int k) {
        return slot[item - first][k] * matrix;
    }

    MemorySegment dPowers() {
        return dPowers;
    }

    MemorySegment dNoises() {
        return dNoises;
    }

    /**
     * grad += the items' sums taken back through the tables' recursions, from the longest jump down:
     * at each k the items' sums join (in item order) what came down from above. Over the multiples
     * of s (A^k = A^s A^{k-s}, Q_k = A^s Q_{k-s} (A^s)^T + Q_s) the adjoints of A^s and Q_s gather
     * apart, join what reaches k = s, and all of it goes back one step at a time from there
     * (A^k = A A^{k-1}, Q_k = A Q_{k-1} A^T + Q). The noise sums hold M + M^T (the symmetric part,
     * doubled: only it reaches Q_k).
     */
    void addGradients(LdmParams p, LdmParams grad, int count) {
        if (maxJump < 2) return;
        final int s = stride;
        MemorySegment dPower = scratch[0], dNoise = scratch[1], u = scratch[2], dPowerS = scratch[3], dNoiseS = scratch[4];
        for (MemorySegment m : new MemorySegment[] {dPower, dNoise, dPowerS, dNoiseS}) Blas.zero((int) matrix, m, 0);
        for (int k = maxJump / s * s; k > s; k -= s) {
            addItems(k, count, dPower, dNoise);
            back(s, k, dPower, dNoise, u, dPowerS, dNoiseS);
        }
        Blas.axpy((int) matrix, 1f, dPowerS, 0, dPower, 0);
        Blas.axpy((int) matrix, 1f, dNoiseS, 0, dNoise, 0);
        for (int k = Math.min(s, maxJump); k >= 1; k--) {
            if (k < s || s > 1) addItems(k, count, dPower, dNoise);
            if (k == 1) {
                addToParameters(dPower, dNoise, grad);
                break;
            }
            Blas.zero((int) matrix, dPowerS, 0);
            Blas.zero((int) matrix, dNoiseS, 0);
            back(1, k, dPower, dNoise, u, dPowerS, dNoiseS);
            // what reaches A^1 and Q_1 from this level: into grad now
            addToParameters(dPowerS, dNoiseS, grad);
        }
    }

    /** Adjoints of A^1 = A and Q_1 = Q (the latter as M + M^T) into grad: dA += D; dQ_log += diag(M) Q = 0.5 diag(M + M^T) Q. */
    private void addToParameters(MemorySegment dPower, MemorySegment dNoise, LdmParams grad) {
        Blas.axpy((int) matrix, 1f, dPower, 0, grad.a().segment(), 0);
        for (int i = 0; i < nx; i++) grad.qLogDiag().add(i, 0.5f * get(dNoise, (long) i * nx + i) * get(noises, at(1) + (long) i * nx + i));
    }

    /** The items' sums at k (k >= 2, in item order) into the carried adjoints of A^k and Q_k. */
    private void addItems(int k, int count, MemorySegment dPower, MemorySegment dNoise) {
        if (k < 2) return;
        for (int g = 0; g < count; g++) {
            if (slot[g][k] >= 0) {
                Blas.axpy((int) matrix, 1f, dPowers, slot[g][k] * matrix, dPower, 0);
                Blas.axpy((int) matrix, 1f, dNoises, slot[g][k] * matrix, dNoise, 0);
            }
        }
    }

    /**
     * One level back from k to k - s: with D, G (= M + M^T) the adjoints of A^k and Q_k, F = A^s:
     * dF += D (A^{k-s})^T + G F Q_{k-s};  the adjoint of Q_s += G;  D = F^T D;  G = F^T G F.
     */
    private void back(int s, int k, MemorySegment dPower, MemorySegment dNoise, MemorySegment u, MemorySegment dF, MemorySegment dQs) {
        Blas.axpy((int) matrix, 1f, dNoise, 0, dQs, 0);
        mm(false, true, nx, nx, nx, 1f, dPower, 0, powers, at(k - s), 1f, dF, 0);
        mm(true, false, nx, nx, nx, 1f, powers, at(s), dPower, 0, 0f, u, 0);
        Blas.copy((int) matrix, u, 0, dPower, 0);
        mm(false, false, nx, nx, nx, 1f, dNoise, 0, powers, at(s), 0f, u, 0);
        mm(false, false, nx, nx, nx, 1f, u, 0, noises, at(k - s), 1f, dF, 0);
        mm(true, false, nx, nx, nx, 1f, powers, at(s), u, 0, 0f, dNoise, 0);
    }
}
