package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A calibration choice replaces the default only on a lead of more than 8% over the default itself. */
class CalibrationChoiceTest {
    /** The tile scores of a `mrine tune` on the 2-core AMD EPYC (2026-12-03, one thread, GFLOP/s), in CpuTuning.TILES order. */
    private static Map<String, Double> measured(double score4x4) {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("4x2", 69.8);
        s.put("8x2", 69.7);
        s.put("4x4", score4x4);
        s.put("6x2", 68.7);
        s.put("6x4", 84.5);
        return s;
    }

    @Test
    void aChallengerFivePercentAheadOfTheDefaultDoesNotReplaceIt() {
        // 4x4 beats 4x2 (the first challenger) by 27%, but the default 6x4 by 5% only
        assertEquals("6x4", CpuCalibration.choose(measured(88.8), "6x4"));
    }

    @Test
    void aChallengerMoreThanTheMarginAheadReplacesItAndTheBestChallengerWins() {
        assertEquals("4x4", CpuCalibration.choose(measured(92.0), "6x4"));
        Map<String, Double> s = measured(92.0);
        s.put("4x2", 99.0);
        assertEquals("4x2", CpuCalibration.choose(s, "6x4"), "the best of the challengers over the bar");
        // the default wherever it stands in the list: the block sizes have it second
        Map<Integer, Double> blocks = new LinkedHashMap<>(Map.of(128, 87.8, 256, 81.5, 512, 79.2));
        assertEquals(256, CpuCalibration.choose(blocks, 256), "128 KiB leads by 7.7%");
        blocks.put(128, 88.1);
        assertEquals(128, CpuCalibration.choose(blocks, 256), "128 KiB leads by 8.1%");
    }

    /**
     * The training step's thread counts, and the choice among them: `mrine tune` told it had 4 cores
     * on the 2-core AMD EPYC (2026-12-03, ms per sample-step) chose 2 threads over the kernels' 4.
     */
    @Test
    void theStepIsTimedAtPowersOfTwoAndEveryCore() {
        assertEquals(java.util.List.of(1), CpuCalibration.threadCounts(1));
        assertEquals(java.util.List.of(1, 2), CpuCalibration.threadCounts(2));
        assertEquals(java.util.List.of(1, 2, 4, 8, 12), CpuCalibration.threadCounts(12));
        assertEquals(java.util.List.of(1, 2, 4, 8, 16), CpuCalibration.threadCounts(16));
        Map<Integer, Double> speed = new LinkedHashMap<>();
        speed.put(1, 1 / 0.1664);
        speed.put(2, 1 / 0.0905);
        speed.put(4, 1 / 0.0998);
        assertEquals(2, CpuCalibration.choose(speed, 4), "2 threads lead 4 by 10%");
        speed.put(2, 1 / 0.0940);
        assertEquals(4, CpuCalibration.choose(speed, 4), "by 6% only");
    }
}
