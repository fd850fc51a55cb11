package org.mrine.backend;

import java.util.random.RandomGenerator;

/**
 * A random stream whose i-th draw depends on its state and i alone: SplitMix64 (Steele, Lea and
 * Flood, 2014), z = state + (i + 1) gamma, then three xor-shift-multiply rounds. So a backend can
 * make a million draws at once, in any order and on any thread, with the bits of drawing them one
 * by one, and then move the state past them ({@link Backend#dropoutFactors}). The training stream
 * (and the checkpoint's saved state) is one.
 */
public interface CounterStream extends RandomGenerator {
    /** The odd constant SplitMix64 adds per draw (2^64 / the golden ratio). */
    long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

    long state();

    void setState(long state);

    /** What the (i + 1)-th {@link #nextLong} from {@code state} returns. */
    static long draw(long state, long i) {
        long z = state + (i + 1) * GOLDEN_GAMMA;
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /**
     * Whether a draw's {@link RandomGenerator#nextDouble} ((bits >>> 11) 2^-53) is below p, decided
     * on the integer: x 2^-53 < p exactly when x < p 2^53, and p 2^53 is exact in a double.
     */
    static boolean below(long bits, long threshold) {
        return (bits >>> 11) < threshold;
    }

    /** The threshold of {@link #below} for probability p in [0, 1]: the least integer not below p 2^53. */
    static long threshold(double p) {
        return (long) Math.ceil(p * 0x1.0p53);
    }

    @Override
    default long nextLong() {
        long s = state();
        setState(s + GOLDEN_GAMMA);
        return draw(s, 0);
    }
}
