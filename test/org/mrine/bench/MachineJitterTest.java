package org.mrine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mrine.model.ModelConfig;

/** The machine's own tail, put beside every streaming figure of {@code mrine bench --json}. */
class MachineJitterTest {
    @Test
    void aSpinLastsAtLeastItsLengthAndItsPercentilesAreOrdered() {
        Map<String, Object> spin = MachineJitter.spin(5, 3000);
        double p50 = (double) spin.get("p50_us"), p99 = (double) spin.get("p99_us"), p999 = (double) spin.get("p999_us"), max = (double) spin.get("max_us");
        assertEquals(5.0, (double) spin.get("spin_us"));
        assertTrue(p50 >= 5.0 && p50 <= p99 && p99 <= p999 && p999 <= max, spin.toString());
        double share = (double) spin.get("delayed_20us_share");
        assertTrue(share >= 0 && share <= 1, spin.toString());
    }

    @Test
    void everyStreamingFigureCarriesTheSpinOfItsMedian() {
        ModelConfig paper = BenchSetups.paper();
        Map<String, Object> figure = StreamLatency.measure(paper, 5, true, 200, 500, 1);
        @SuppressWarnings("unchecked")
        Map<String, Object> spin = (Map<String, Object>) figure.get("machine_spin");
        assertEquals((double) figure.get("p50_us"), (double) spin.get("spin_us"), 1e-3, figure.toString());
        assertTrue((double) spin.get("p50_us") >= (double) spin.get("spin_us"), spin.toString());
    }
}
