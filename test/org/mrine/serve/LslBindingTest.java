package org.mrine.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The FFM binding against the real liblsl: version, clock, and one outlet-to-inlet round trip over loopback. */
class LslBindingTest {

    @Test
    void outletToInletOverLoopback() {
        ServeFixtures.lsl();
        Lsl lsl = Lsl.library();
        assertTrue(lsl.version() >= 114, "liblsl version " + lsl.version());
        // LSL's clock is the one System.nanoTime reads (CLOCK_MONOTONIC): bins are cut by comparing them
        double before = Lsl.seconds(System.nanoTime()), clock = lsl.localClock(), after = Lsl.seconds(System.nanoTime());
        assertTrue(clock >= before - 1e-3 && clock <= after + 1e-3, "lsl_local_clock " + clock + " vs nanoTime " + before + ".." + after);

        String name = "mrine-binding-" + ProcessHandle.current().pid();
        try (Lsl.Outlet out = new Lsl.Outlet(name, "Test", 3, 100, name)) {
            Lsl.Inlet in = Lsl.resolve("name", name, 5.0);
            assertNotNull(in, "stream " + name + " not resolved over loopback within 5 s");
            try (in) {
                assertEquals(3, in.info().channels());
                assertEquals(100.0, in.info().rateHz());
                assertTrue(in.open(5.0));
                assertTrue(out.waitForConsumers(5.0));
                float[] got = new float[3];
                double ts = lsl.localClock();
                out.push(new float[] {1.5f, -2f, 7f}, ts);
                double t = in.pull(got, 5.0);
                assertArrayEquals(new float[] {1.5f, -2f, 7f}, got);
                assertEquals(ts, t, 1e-3, "time stamp (clock synchronization on, one machine: correction ~0)");
            }
        }
    }
}
