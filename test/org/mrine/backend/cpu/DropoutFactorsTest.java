package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mrine.backend.CounterStream;
import org.mrine.tensor.Tensor;
import org.mrine.train.SplitMix64;

/**
 * Dropout factors made by the CPU backend in parallel, each element's draw from its index
 * ({@link CounterStream#draw}), against the stream drawn one by one (nextDouble below p: 0, else
 * 1/(1-p)): the same bits for every element, and the stream's state moved past them as the draws
 * one by one move it.
 */
class DropoutFactorsTest {
    @Test
    void splitMix64IsTheReferenceAlgorithm() {
        // the first outputs of the reference C splitmix64 (Vigna) from state 0
        SplitMix64 rng = new SplitMix64(0);
        assertEquals(0xe220a8397b1dcdafL, rng.nextLong());
        assertEquals(0x6e789e6aa1b965f4L, rng.nextLong());
        assertEquals(0x06c45d188009454fL, rng.nextLong());
    }

    @Test
    void parallelDrawsEqualTheStreamDrawnOneByOne() {
        try (CpuBackend cpu = new CpuBackend()) {
            for (double p : new double[] {0.1, 0.3, 0.5}) {
                // a size that spreads over every thread's ranges and ends in a partial one
                int n = 3 * (int) CpuThreads.ELEMENTWISE_RANGE * 4 + 777;
                long seed = 0x6a09e667f3bcc909L ^ Double.doubleToLongBits(p);
                SplitMix64 oneByOne = new SplitMix64(seed), counter = new SplitMix64(seed);
                float scale = (float) (1 / (1 - p));
                float[] want = new float[n];
                int dropped = 0;
                for (int i = 0; i < n; i++) {
                    want[i] = oneByOne.nextDouble() < p ? 0f : scale;
                    if (want[i] == 0f) dropped++;
                }
                Tensor keep = cpu.workspace().zeros(n);
                cpu.dropoutFactors(keep, counter.state(), p);
                float[] got = keep.toArray();
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]), "p " + p + ", element " + i);
                }
                counter.setState(counter.state() + n * CounterStream.GOLDEN_GAMMA);
                assertEquals(oneByOne.state(), counter.state(), "the state after the draws");
                assertEquals(oneByOne.nextLong(), counter.nextLong(), "the next draw");
                assertTrue(Math.abs(dropped / (double) n - p) < 0.01, "dropped share " + dropped / (double) n + " for p " + p);
            }
        }
    }
}
