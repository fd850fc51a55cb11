package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mrine.io.FormatException;
import org.mrine.model.Likelihood;

/** The grid rules on small synthetic recordings. */
class AlignmentTest {

    private static Series series(String name, Series.Role role, boolean counts, int C, float[] v, SampleTimes t) {
        List<String> names = role == Series.Role.BEHAVIOR ? Series.axisNames(name, C) : java.util.Collections.nCopies(C, name);
        return new Series(name, name, role, counts ? Likelihood.POISSON : Likelihood.GAUSSIAN, counts, C, v, t, names, "");
    }

    private static Recording recording(SpikeTrains st, List<Series> neural, List<Series> behavior, Intervals trials) {
        double[] span = Recording.span(st, neural, behavior, trials);
        return new Recording("test", st, neural, behavior, trials, span[0], span[1], Double.NaN, Map.of());
    }

    @Test
    void spikesAtBinEdgesCountInTheLaterBin() {
        // Spikes at 0, 0.01 (an edge, computed as 3 * 0.01 / 3), 0.0199999, 0.025; grid of 10 ms over [0, 0.04).
        double[][] t = {{0, 3 * 0.01 / 3, 0.0199999, 0.025, 0.0399}};
        SpikeTrains st = new SpikeTrains("units", List.of("u"), t, null);
        Recording r = new Recording("test", st, List.of(), List.of(), null, 0, 0.04, Double.NaN, Map.of());
        ImportOptions o = new ImportOptions();
        Dataset d = Alignment.align(r, o).dataset();
        assertEquals(4, d.steps());
        assertArrayEquals(new float[] {1, 2, 1, 1}, d.modality("spikes").values());
    }

    @Test
    void countSeriesRebinnedOnlyWhereBinsAreComplete() {
        // 1 ms counts, one per row, row 13 missing (NaN): the 5 ms bin holding it is missing, not low.
        float[] v = new float[20];
        java.util.Arrays.fill(v, 1);
        v[13] = Float.NaN;
        Series s = series("c", Series.Role.NEURAL, true, 1, v, new SampleTimes.Regular(0, 1000, 20));
        ImportOptions o = new ImportOptions();
        o.binMs = 5.0;
        Dataset d = Alignment.align(recording(null, List.of(s), List.of(), null), o).dataset();
        assertArrayEquals(new float[] {1, 1, 0, 1}, d.modality("c").mask());
        assertArrayEquals(new float[] {5, 5, 0, 5}, d.modality("c").values());
    }

    @Test
    void continuousSeriesAveragedNeverInterpolated() {
        // Samples at 0, 15, 18 and 40 ms on a 10 ms grid: bins 0, 1 (mean of two), none, none, 4.
        double[] t = {0, 0.015, 0.018, 0.040};
        float[] v = {1, 2, 4, 8};
        Series s = series("y", Series.Role.NEURAL, false, 1, v, SampleTimes.Explicit.of(t, "y"));
        Series b = series("b", Series.Role.BEHAVIOR, false, 1, v, SampleTimes.Explicit.of(t, "b"));
        ImportOptions o = new ImportOptions();
        o.binMs = 10.0;
        Dataset d = Alignment.align(recording(null, List.of(s), List.of(b), null), o).dataset();
        // The span ends one median step (15 ms... the median of 15, 3, 22 ms is 15) after the last sample: 5 bins.
        assertEquals(5, d.steps());
        assertArrayEquals(new float[] {1, 1, 0, 0, 1}, d.modality("y").mask());
        assertEquals(1, d.modality("y").values()[0]);
        assertEquals(3, d.modality("y").values()[1]);
        assertEquals(8, d.modality("y").values()[4]);
        // Behavior: the same means, held through the empty bins.
        assertArrayEquals(new float[] {1, 3, 3, 3, 8}, d.behavior());
    }

    @Test
    void behaviorBeforeItsFirstSampleTakesTheFirstValue() {
        Series y = series("y", Series.Role.NEURAL, false, 1, new float[] {1, 1, 1, 1}, new SampleTimes.Regular(0, 100, 4));
        Series b = series("b", Series.Role.BEHAVIOR, false, 1, new float[] {5, 6}, new SampleTimes.Regular(0.02, 100, 2));
        Dataset d = Alignment.align(recording(null, List.of(y), List.of(b), null), new ImportOptions()).dataset();
        assertArrayEquals(new float[] {5, 5, 5, 6}, d.behavior());
    }

    @Test
    void trialsSnapToTheGridAndRunToTheLongestTrial() {
        Series y = series("y", Series.Role.NEURAL, false, 1, new float[100], new SampleTimes.Regular(0, 100, 100));
        Intervals trials = Intervals.of("trials", new double[] {0.105, 0.5}, new double[] {0.2, 0.73});
        ImportOptions o = new ImportOptions();
        TimeGrid g = Alignment.grid(recording(null, List.of(y), List.of(), trials), o, 10, new java.util.ArrayList<>());
        assertArrayEquals(new double[] {0.1, 0.5}, g.starts(), 1e-12);
        assertEquals(23, g.steps()); // 230 ms
        o.trialMs = 100.0;
        assertEquals(10, Alignment.grid(recording(null, List.of(y), List.of(), trials), o, 10, new java.util.ArrayList<>()).steps());
    }

    @Test
    void velocityUsesTheRealSampleTimes() {
        // x = t^2 at uneven times: central differences of neighbours, one-sided at the ends.
        double[] t = {0, 0.1, 0.3, 0.6};
        float[] x = new float[4];
        for (int i = 0; i < 4; i++) x[i] = (float) (t[i] * t[i]);
        Series v = Velocity.of(series("x", Series.Role.BEHAVIOR, false, 1, x, SampleTimes.Explicit.of(t, "x")));
        assertEquals(List.of("x_vel"), v.channelNames());
        assertEquals(0.1, v.values()[0], 1e-6);
        assertEquals(0.3, v.values()[1], 1e-6);
        assertEquals(0.7, v.values()[2], 1e-6);
        assertEquals(0.9, v.values()[3], 1e-6);
    }

    @Test
    void observationIntervalsIntersect() {
        Intervals a = Intervals.of("a", new double[] {0, 5}, new double[] {3, 9});
        Intervals b = Intervals.of("b", new double[] {2}, new double[] {6});
        Intervals c = a.intersect(b);
        assertArrayEquals(new double[] {2, 5}, c.starts());
        assertArrayEquals(new double[] {3, 6}, c.stops());
    }

    @Test
    void recordingShorterThanOneWindow() {
        Series y = series("y", Series.Role.NEURAL, false, 1, new float[10], new SampleTimes.Regular(0, 100, 10));
        ImportOptions o = new ImportOptions();
        o.trialMs = 500.0;
        FormatException e = assertThrows(FormatException.class, () -> Alignment.align(recording(null, List.of(y), List.of(), null), o));
        assertTrue(e.getMessage().contains("shorter than one 50-step --trial-ms window"), e.getMessage());
    }
}
