package org.mrine.data;

import java.util.ArrayList;
import java.util.List;

/** Velocity from position: d/dt of the raw samples of a series, before binning. */
final class Velocity {
    private Velocity() {
    }

    /**
     * Central differences in the interior, one-sided at both ends and next to missing samples
     * (as numpy.gradient, with the real sample times); a sample with no valid neighbour is missing.
     * Names: {@code <channel>_vel}; units per second.
     */
    static Series of(Series pos) {
        final int S = pos.samples(), C = pos.channels();
        float[] v = pos.values(), out = new float[S * C];
        SampleTimes t = pos.times();
        for (int i = 0; i < S; i++) {
            boolean here = !Binner.hasNaN(v, i * C, C);
            boolean prev = i > 0 && !Binner.hasNaN(v, (i - 1) * C, C);
            boolean next = i + 1 < S && !Binner.hasNaN(v, (i + 1) * C, C);
            int a, b;
            if (here && prev && next) {
                a = i - 1;
                b = i + 1;
            } else if (here && next) {
                a = i;
                b = i + 1;
            } else if (here && prev) {
                a = i - 1;
                b = i;
            } else {
                for (int c = 0; c < C; c++) out[i * C + c] = Float.NaN;
                continue;
            }
            double dt = t.time(b) - t.time(a);
            for (int c = 0; c < C; c++) out[i * C + c] = (float) ((v[b * C + c] - v[a * C + c]) / dt);
        }
        List<String> names = new ArrayList<>();
        for (String n : pos.channelNames()) names.add(n + "_vel");
        String unit = pos.unit() == null || pos.unit().isEmpty() ? "1/s" : pos.unit() + "/s";
        return new Series(pos.name() + "_vel", "d/dt of " + pos.source(), Series.Role.BEHAVIOR, pos.likelihood(), false, C,
                out, t, names, unit);
    }
}
