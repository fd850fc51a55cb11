package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.data.Dataset;

/** {@code mrine import} and {@code mrine inspect} on the real recordings and the test files. */
class ImportInspectCommandTest {
    @TempDir
    Path dir;

    private static String shared(String name) {
        return Path.of(System.getProperty("mrine.shared", "../shared"), "data", name).toString();
    }


    private static CliRun mrine(String... args) {
        return CliRun.of(args);
    }

    private static void contains(String text, String... parts) {
        for (String p : parts) assertTrue(text.contains(p), "'" + p + "' missing from:\n" + text);
    }

    @Test
    void importTheArea2MatFile() {
        Path out = dir.resolve("area2.safetensors");
        CliRun r = mrine("import", "--mat", shared("s1_area2_miller.mat"), "--spikes", "spikes", "--behavior", "vel", "--bin-ms", "50",
                "--trial-ms", "5000", "--out", out.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        contains(r.out(), "351 trials × 100 steps of 50 ms", "modality spikes: poisson, 52 channels", "behavior: vel_x, vel_y",
                "note: the last 29 bins (less than one window) were left out", "written to");
        Dataset d = Dataset.load(out);
        assertEquals(351, d.trials());
        assertEquals(52, d.modality("spikes").channels());

        CliRun i = mrine("inspect", out.toString());
        assertEquals(0, i.status(), i.err());
        contains(i.out(), "area2.safetensors: mrine dataset, 351 trials × 100 steps of 50 ms", "samples at 100% of steps (20 Hz)");
    }

    @Test
    void importNwbWithVelocity() {
        Path out = dir.resolve("nwb.safetensors");
        CliRun r = mrine("import", "--nwb", "test/resources/nwb_spikes_lfp_behavior.nwb", "--velocity", "--out", out.toString());
        assertEquals(0, r.status(), r.out() + r.err());
        contains(r.out(), "4 trials × 200 steps of 10 ms", "modality lfp: gaussian, 4 channels, samples at 50% of steps (50 Hz)",
                "behavior: position_x, position_y, position_x_vel, position_y_vel");
    }

    @Test
    void inspectTheRealRecordings() {
        CliRun r = mrine("inspect", shared("pynapple_A8604-211122.nwb"), shared("s1_area2_miller.mat"), shared("mc_maze_trial748.csv"));
        assertEquals(0, r.status(), r.err());
        contains(r.out(), "pynapple_A8604-211122.nwb: NWB 2.4.0, identifier A8604-211122",
                "units /units: 3 units, 21354 spike times from 0.028133 to 1087.35 s",
                "spikes per unit: min 4690, median 5644, max 11020",
                "electrode groups: /general/extracellular_ephys/group0_psb (3 units)",
                "time series: none", "intervals /intervals/epochs: 1 row",
                "no /intervals/trials table");
        contains(r.out(), "s1_area2_miller.mat: MATLAB v5 file, 3 variables", "spikes    35129×52 double", "sum 842910",
                "vel       35129×2 double", "35129 rows; their spacing is not stored in the file", "modality spikes (poisson): 52 channels");
        contains(r.out(), "mc_maze_trial748.csv: CSV table, 3236 rows × 191 columns",
                "182 spike columns unit_* (unit_1011 .. unit_2961): 1654 spikes in all",
                "3236 rows with timestamps from timestamp, 3.236 s", "bin: 10 ms");
    }

    @Test
    void inspectTestFiles() {
        CliRun r = mrine("inspect", "test/resources/nwb_calcium.nwb", "test/resources/nwb_timestamps_gaps.nwb", "test/resources/numpy_recording.npz");
        assertEquals(0, r.status(), r.err());
        contains(r.out(), "/processing/ophys/Fluorescence/RoiResponseSeries  RoiResponseSeries in Fluorescence",
                "360 samples × 3 channels, float32", "rate 30 Hz from 0 s, 12 s", "a Gaussian modality (calcium)",
                "intervals /intervals/trials: 3 rows",
                "timestamps from 0 to 5.99 s, median step 10 ms (100 Hz), 1 gap (longest 1.01 s)",
                "observed (obs_intervals, all units): 2 intervals, 5 s",
                "numpy_recording.npz: NumPy .npz archive, 5 variables", "lfp       300×3 <f4", "240 rows with NaN",
                "modality lfp (gaussian): 3 channels from lfp, 240 rows missing (NaN)");
    }

    @Test
    void badInputExitsWithStatusTwoAndOneLine() throws Exception {
        CliRun r = mrine("import", "--nwb", "test/resources/bad_nonmonotonic.nwb", "--out", dir.resolve("x.safetensors").toString());
        assertEquals(2, r.status());
        contains(r.err(), "mrine: test/resources/bad_nonmonotonic.nwb: /processing/ecephys/LFP/LFP/timestamps: timestamps are not increasing");
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(!Files.exists(dir.resolve("x.safetensors")));

        CliRun m = mrine("import", "--mat", shared("s1_area2_miller.mat"), "--out", dir.resolve("y.safetensors").toString());
        assertEquals(2, m.status());
        contains(m.err(), "the spacing of the rows is not stored", "expected --bin-ms B");

        CliRun n = mrine("inspect", dir.resolve("missing.nwb").toString());
        assertEquals(2, n.status());
        contains(n.err(), "missing.nwb: no such file");
    }
}
