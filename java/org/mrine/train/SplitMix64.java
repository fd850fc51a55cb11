package org.mrine.train;

import java.util.random.RandomGenerator;

/**
 * The training random stream (batch order, dropout, time dropout): SplitMix64, whose whole state is
 * one long, so a checkpoint saves it and a resumed run continues the very same sequence. The JDK's
 * generators do not expose their state.
 */
public final class SplitMix64 implements RandomGenerator {
    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    public long state() {
        return state;
    }

    public void setState(long state) {
        this.state = state;
    }

    @Override
    public long nextLong() {
        long z = (state += GOLDEN_GAMMA);
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
