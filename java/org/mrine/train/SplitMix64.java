package org.mrine.train;

import org.mrine.backend.CounterStream;

/**
 * The training random stream (batch order, dropout, time dropout): SplitMix64, whose whole state is
 * one long, so a checkpoint saves it and a resumed run continues the very same sequence. The JDK's
 * generators do not expose their state. Its draws are {@link CounterStream#draw}, so a backend may
 * make the dropout factors' draws in parallel.
 */
public final class SplitMix64 implements CounterStream {
    private long state;

    public SplitMix64(long seed) {
        this.state = seed;
    }

    @Override
    public long state() {
        return state;
    }

    @Override
    public void setState(long state) {
        this.state = state;
    }
}
