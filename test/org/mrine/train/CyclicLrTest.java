package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The cyclic learning rate against values computed by hand (PyTorch CyclicLR, stepped per epoch). */
class CyclicLrTest {

    @Test
    void paperScheduleExpRange() {
        CyclicLr lr = CyclicLr.of(TrainConfig.defaults().training());
        double base = 1e-3, amp = 9e-3;
        assertEquals(base, lr.at(0), 1e-15, "first epoch at the base rate");
        assertEquals(base + amp * 0.5 * Math.pow(0.99, 5), lr.at(5), 1e-15);
        assertEquals(base + amp * Math.pow(0.99, 10), lr.at(10), 1e-15, "peak after 10 epochs up");
        assertEquals(base + amp * 0.5 * Math.pow(0.99, 15), lr.at(15), 1e-15);
        assertEquals(base, lr.at(20), 1e-15, "back at the base after 10 down");
        assertEquals(base + amp * 0.3 * Math.pow(0.99, 23), lr.at(23), 1e-15, "second cycle, 3 epochs up");
        assertEquals(base + amp * Math.pow(0.99, 30), lr.at(30), 1e-15, "second peak, decayed");
    }

    @Test
    void triangularModes() {
        CyclicLr tri = new CyclicLr(1, 3, 2, "triangular", 0.5);
        assertEquals(1, tri.at(0), 1e-15);
        assertEquals(2, tri.at(1), 1e-15);
        assertEquals(3, tri.at(2), 1e-15);
        assertEquals(2, tri.at(3), 1e-15);
        assertEquals(3, tri.at(6), 1e-15);
        CyclicLr tri2 = new CyclicLr(1, 3, 2, "triangular2", 0.5);
        assertEquals(3, tri2.at(2), 1e-15);
        assertEquals(2, tri2.at(6), 1e-15, "second cycle peaks at half the height");
        assertEquals(1.5, tri2.at(10), 1e-15);
    }
}
