package org.mrine.data;

import java.nio.file.Path;

/** Where the test recordings are: generated ones in test/resources, real ones in ../shared/data. */
final class TestFiles {
    private TestFiles() {
    }

    /** A file written by test/resources/make_test_nwb.py. */
    static Path resource(String name) {
        return Path.of("test", "resources", name);
    }

    /** A real recording (see ../shared/data/README.md); never modified. */
    static Path shared(String name) {
        return Path.of(System.getProperty("mrine.shared", "../shared"), "data", name);
    }

    /** Spike k of unit u in the generated NWB files (make_test_nwb.py: spike_times). */
    static double spike(int u, int k) {
        return u * 0.0013 + k * (0.05 + 0.01 * u);
    }

    /** The step a time falls in, with the grid's edge rule (a hair before an edge counts as after it). */
    static int step(double t, double start, double binSec) {
        return (int) Math.floor((t - start) / binSec + 1e-6);
    }
}
