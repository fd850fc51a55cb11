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
     * Inverted-dropout factors from the stream at {@code state}: element i's is 0 where draw i's
     * {@link RandomGenerator#nextDouble} ((bits >>> 11) 2^-53) is below p, else {@link #scale}(p).
     * The comparison is made on the integer: x 2^-53 < p exactly when x < p 2^53, and p 2^53 is
     * exact in a double, so threshold is the least integer not below it.
     */
    record DropoutFactors(long state, long threshold, float scale) {
        public DropoutFactors(long state, double p) {
            this(state, (long) Math.ceil(p * 0x1.0p53), scale(p));
        }

        /** What a kept element is multiplied by: 1 / (1 - p), in float. */
        public static float scale(double p) {
            return (float) (1 / (1 - p));
        }

        public float at(long i) {
            return (draw(state, i) >>> 11) < threshold ? 0f : scale;
        }
    }

    @Override
    default long nextLong() {
        long s = state();
        setState(s + GOLDEN_GAMMA);
        return draw(s, 0);
    }
}
