package org.mrine.bench;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the machine alone does to a tail percentile: a plain spin on the clock, as long as a
 * measured step's median, timed as often as the steps were. On a virtual machine the hypervisor
 * and the timer interrupt take tens of microseconds about a thousand times a second; a step of
 * 13 us then holds one such gap in about 1.5% of its runs, so its p99 is set by the machine, not
 * by the code (measured on the 2-core AMD EPYC VM of bench/README: a 13 us spin, p99 46 us). Put
 * beside a latency figure, this says how much of its tail any code of that length would show here.
 */
public final class MachineJitter {
    private MachineJitter() {
    }

    /** {@code p50_us}, {@code p99_us}, {@code p999_us}, {@code max_us} of {@code steps} spins of {@code spinUs} each, and the share of spins delayed by 20 us or more. */
    public static Map<String, Object> spin(double spinUs, int steps) {
        long[] took = new long[steps];
        long length = Math.max(1, Math.round(spinUs * 1e3));
        long delayed = 0;
        for (int i = 0; i < steps; i++) {
            long t0 = System.nanoTime(), end = t0 + length, t;
            do {
                t = System.nanoTime();
            } while (t < end);
            took[i] = t - t0;
            if (took[i] >= length + 20_000) delayed++;
        }
        Arrays.sort(took);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("spin_us", Stats.round(spinUs, 3));
        out.put("p50_us", Stats.sortedUs(took, 0.5));
        out.put("p99_us", Stats.sortedUs(took, 0.99));
        out.put("p999_us", Stats.sortedUs(took, 0.999));
        out.put("max_us", Stats.sortedUs(took, 1));
        out.put("delayed_20us_share", Stats.round((double) delayed / steps, 5));
        return out;
    }
}
