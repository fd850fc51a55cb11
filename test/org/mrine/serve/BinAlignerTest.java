package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.mrine.model.Likelihood;

/** The bin-grid rules, with time stamps and arrival instants given explicitly (no clock, no threads). */
class BinAlignerTest {
    private static final Likelihood[] LIK = {Likelihood.POISSON, Likelihood.GAUSSIAN};
    private static final int[] CH = {2, 2};
    private static final double T0 = 1000.0;  // the first sample's time stamp (s)
    private static final long MS = 1_000_000L;

    private static BinAligner aligner() {
        // 10 ms bins, 20 ms lateness, grid from the first sample, 500 ms stall time; spikes 100 Hz, field 20 Hz
        BinAligner a = new BinAligner(LIK, CH, new boolean[] {true, true}, 0.010, 0.020, Double.NaN, 0.5);
        a.setPeriod(0, 0.010);
        a.setPeriod(1, 0.050);
        return a;
    }

    @Test
    void samplesAtBinCentresCompleteTheirBinOnArrival() {
        BinAligner a = aligner();
        float[][] out = new float[2][], buf = {new float[2], new float[2]};
        assertEquals(BinAligner.Status.BINNED, a.add(0, T0, 0, new float[] {1, 2}));
        assertEquals(T0 - 0.005, a.origin(), 1e-12);
        assertFalse(a.nextComplete(), "the field has not spoken yet: bin 0 waits for it (until its stall time or the deadline)");
        assertEquals(BinAligner.Status.BINNED, a.add(1, T0 + 0.0004, 0, new float[] {0.5f, -1}));  // jitter within half a bin
        assertTrue(a.nextComplete());
        a.pushNext(out, buf);
        assertArrayEquals(new float[] {1, 2}, out[0]);
        assertArrayEquals(new float[] {0.5f, -1}, out[1]);
        // the field's next sample is 50 ms later: bins 1..4 are complete for it; each spike completes its bin
        for (int k = 1; k <= 4; k++) {
            assertFalse(a.nextComplete());
            // bin 2's spike is 2 ms early (jitter, a clock-offset correction): still its bin, still complete
            a.add(0, T0 + k * 0.010 - (k == 2 ? 0.002 : 0), 0, new float[] {k, 0});
            assertTrue(a.nextComplete(), "bin " + k);
            a.pushNext(out, buf);
            assertArrayEquals(new float[] {k, 0}, out[0]);
            assertNull(out[1], "no field sample in bin " + k + ": missing, never interpolated");
        }
        a.add(0, T0 + 0.050, 0, new float[] {5, 5});
        assertFalse(a.nextComplete(), "bin 5 may still get the field's next sample");
        a.add(1, T0 + 0.050, 0, new float[] {3, 3});
        assertTrue(a.nextComplete());
        a.pushNext(out, buf);
        assertArrayEquals(new float[] {3, 3}, out[1]);
    }

    @Test
    void countsAreSummedFieldValuesAveragedLateSamplesDropped() {
        BinAligner a = new BinAligner(LIK, CH, new boolean[] {true, true}, 0.010, 0.020, 0.0, 0.5);
        float[][] out = new float[2][], buf = {new float[2], new float[2]};
        a.add(0, 0.001, 0, new float[] {1, 0});
        a.add(0, 0.009, 0, new float[] {2, 1});
        a.add(1, 0.002, 0, new float[] {1, 4});
        a.add(1, 0.008, 0, new float[] {2, 6});
        assertEquals(BinAligner.Status.REJECTED, a.add(0, 0.005, 0, new float[] {-1, 0}), "a negative spike count");
        assertFalse(a.nextComplete(), "without rates, a bin is complete once every input has a later sample");
        assertFalse(a.nextDue(0.029));
        assertTrue(a.nextDue(0.030), "deadline: the bin's end (10 ms) plus the lateness (20 ms)");
        a.pushNext(out, buf);
        assertArrayEquals(new float[] {3, 1}, out[0]);
        assertArrayEquals(new float[] {1.5f, 5}, out[1]);
        assertEquals(BinAligner.Status.LATE, a.add(1, 0.005, 0, new float[] {9, 9}));
        assertEquals(BinAligner.Status.AHEAD, a.add(1, 0.010 * (BinAligner.WINDOW + 1) + 0.005, 0, new float[] {9, 9}));
    }

    @Test
    void aStalledInputIsNotWaitedForAndIsPickedUpWhenItReturns() {
        BinAligner a = aligner();
        float[][] out = new float[2][], buf = {new float[2], new float[2]};
        a.add(0, T0, 0, new float[] {1, 1});
        a.add(1, T0, 0, new float[] {1, 1});
        a.pushNext(out, buf);
        for (int k = 1; k <= 4; k++) {
            a.add(0, T0 + k * 0.010, k * 10 * MS, new float[] {1, 1});
            a.pushNext(out, buf);
        }
        a.add(0, T0 + 0.050, 50 * MS, new float[] {1, 1});
        assertFalse(a.nextComplete(), "the field is waited for");
        assertEquals(-1, a.checkStalls(400 * MS));
        assertEquals(1, a.checkStalls(501 * MS), "the field stalls 500 ms after its last sample");
        assertEquals(-1, a.checkStalls(540 * MS), "reported once");
        assertTrue(a.stalled(1));
        assertTrue(a.nextComplete(), "a stalled input is not waited for");
        a.pushNext(out, buf);
        assertNull(out[1]);
        assertEquals(BinAligner.Status.BINNED, a.add(1, T0 + 0.060, 610 * MS, new float[] {2, 2}));
        assertTrue(a.returnedFromStall());
        assertFalse(a.stalled(1));
    }
}
