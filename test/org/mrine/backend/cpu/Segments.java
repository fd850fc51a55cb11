package org.mrine.backend.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

/** Off-heap float matrices for the kernel tests: Gaussian draws, and reading one entry. */
final class Segments {
    private Segments() {
    }

    /** n floats from a standard normal, 64-byte aligned. */
    static MemorySegment gaussian(Arena arena, SplittableRandom rng, long n) {
        MemorySegment s = arena.allocate(n * 4, 64);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) rng.nextGaussian());
        return s;
    }

    static float at(MemorySegment s, long i) {
        return s.getAtIndex(ValueLayout.JAVA_FLOAT, i);
    }
}
