package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.FormatException;

/** Each defect is one FormatException whose message names the file, the path or field, and what was expected. */
class BadInputTest {
    @TempDir
    Path dir;

    private static FormatException fails(Path file, ImportOptions o) {
        return assertThrows(FormatException.class, () -> Datasets.open(file, o));
    }

    private static void says(FormatException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    }

    @Test
    void missingGroup() {
        ImportOptions o = new ImportOptions();
        o.fields = List.of("/processing/ecephys/nothing_here");
        says(fails(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), o),
                "nwb_spikes_lfp_behavior.nwb: /processing/ecephys/nothing_here: no such group", "expected a TimeSeries group");
        ImportOptions u = new ImportOptions();
        u.spikes = "/processing/units";
        says(fails(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), u), "/processing/units: no such group",
                "expected a units table with spike_times and spike_times_index");
        ImportOptions t = new ImportOptions();
        t.intervals = "blocks";
        says(fails(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), t), "/intervals/blocks: no such group",
                "expected an intervals table with start_time and stop_time");
        says(fails(TestFiles.resource("bad_no_data.nwb"), new ImportOptions()), "bad_no_data.nwb: no units table (/units)",
                "expected spikes or a neural TimeSeries");
    }

    @Test
    void notATimeSeries() {
        ImportOptions o = new ImportOptions();
        o.behavior = List.of("/processing/behavior/Position");
        says(fails(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), o), "/processing/behavior/Position is not a TimeSeries",
                "expected a group with a data dataset");
    }

    @Test
    void wrongDtype() {
        says(fails(TestFiles.resource("bad_dtype.nwb"), new ImportOptions()),
                "bad_dtype.nwb: /units/spike_times: holds variable-length strings, expected spike times in seconds");
    }

    @Test
    void mismatchedLengths() {
        says(fails(TestFiles.resource("bad_mismatch.nwb"), new ImportOptions()),
                "bad_mismatch.nwb: /processing/ecephys/LFP/LFP/timestamps: 15 timestamps for 20 samples of data",
                "expected one timestamp per sample");
    }

    @Test
    void mismatchedMatrixLengths() {
        Map<String, NumericArray> a = new LinkedHashMap<>();
        a.put("spikes", new NumericArray("spikes", "<f8", new int[] {100, 3}, new double[300]));
        a.put("vel", new NumericArray("vel", "<f8", new int[] {90, 2}, new double[180]));
        Path file = dir.resolve("mismatch.npz");
        NpzWriter.write(file, a, false, true);
        ImportOptions o = new ImportOptions();
        o.binMs = 10.0;
        says(fails(file, o), "mismatch.npz: mismatched lengths: spikes 100×3, vel 90×2",
                "expected every variable to have one common length along the time axis");
    }

    @Test
    void nonMonotonicTimestamps() throws IOException {
        says(fails(TestFiles.resource("bad_nonmonotonic.nwb"), new ImportOptions()),
                "bad_nonmonotonic.nwb: /processing/ecephys/LFP/LFP/timestamps: timestamps are not increasing at index 5 (0.1 after 0.2)",
                "expected strictly increasing");
        Path csv = dir.resolve("back.csv");
        Files.writeString(csv, "time,unit_1,x\n0.000,0,1\n0.001,1,2\n0.0005,0,3\n");
        says(fails(csv, new ImportOptions()), "back.csv: time: timestamps are not increasing at index 2");
    }

    @Test
    void truncatedFiles() throws IOException {
        byte[] nwb = Files.readAllBytes(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"));
        for (int keep : new int[] {4, 2000, nwb.length / 2}) {
            Path cut = dir.resolve("cut" + keep + ".nwb");
            Files.write(cut, Arrays.copyOf(nwb, keep));
            FormatException e = fails(cut, new ImportOptions());
            says(e, "cut" + keep + ".nwb");
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("not an HDF5 file"), e.getMessage());
        }
        Path npz = dir.resolve("cut.npz");
        byte[] z = Files.readAllBytes(TestFiles.resource("numpy_recording.npz"));
        Files.write(npz, Arrays.copyOf(z, z.length - 100));
        says(fails(npz, new ImportOptions()), "cut.npz: not a readable .npz (zip) archive (truncated or corrupt?)");

        Path npy = dir.resolve("cut.npy");
        NpzWriter.writeNpy(npy, new int[] {4, 5}, new double[20], true);
        byte[] y = Files.readAllBytes(npy);
        Files.write(npy, Arrays.copyOf(y, y.length - 8));
        FormatException e = assertThrows(FormatException.class, () -> NpyReader.read(npy));
        says(e, "cut.npy: data holds 152 bytes but shape (4, 5) of <f8 needs 160 (truncated?)");

        Path csv = dir.resolve("cut.csv");
        Files.writeString(csv, "timestamp,unit_1,unit_2,x\n0.000,0,1,0.5\n0.001,1,0,0.6\n0.002,0");
        says(fails(csv, new ImportOptions()), "cut.csv: line 4 has 2 fields, expected 4", "truncated file?");

        Path mat = dir.resolve("cut.mat");
        byte[] m = Files.readAllBytes(TestFiles.shared("s1_area2_miller.mat"));
        Files.write(mat, Arrays.copyOf(m, m.length / 3));
        says(fails(mat, new ImportOptions()), "cut.mat: cannot read the MATLAB v5 file (truncated or corrupt?)");
    }

    @Test
    void emptyUnits() {
        says(fails(TestFiles.resource("bad_empty_units.nwb"), new ImportOptions()),
                "bad_empty_units.nwb: /units: the units table holds no units; expected at least one unit with spike times");
    }

    @Test
    void badValuesInTables() throws IOException {
        Path csv = dir.resolve("text.csv");
        Files.writeString(csv, "timestamp,unit_1,x\n0.000,0,1\n0.001,one,2\n");
        says(fails(csv, new ImportOptions()), "text.csv: line 3, column unit_1: 'one' is not a number");
        Path neg = dir.resolve("neg.csv");
        Files.writeString(neg, "timestamp,unit_1,x\n0.000,0,1\n0.001,-1,2\n");
        says(fails(neg, new ImportOptions()), "neg.csv: spike counts", "expected non-negative counts");
        ImportOptions o = new ImportOptions();
        o.spikes = "neuron_*";
        says(fails(neg, o), "neg.csv: no variable matches 'neuron_*'");
    }

    @Test
    void countsCannotBeSplitIntoFinerBins() {
        ImportOptions o = new ImportOptions();
        o.sampleMs = 50.0;
        o.binMs = 20.0;
        says(fails(TestFiles.shared("s1_area2_miller.mat"), o), "s1_area2_miller.mat", "holds counts per 50 ms",
                "must be a whole multiple");
    }

    @Test
    void unknownRowSpacing() {
        says(fails(TestFiles.shared("s1_area2_miller.mat"), new ImportOptions()), "s1_area2_miller.mat: the spacing of the rows is not stored",
                "expected --bin-ms B (mrine import: the rows are bins of B ms)");
    }

    @Test
    void notTheFormatItClaims() throws IOException {
        Path fake = dir.resolve("fake.nwb");
        Files.writeString(fake, "this is not HDF5");
        says(fails(fake, new ImportOptions()), "fake.nwb: not an HDF5 file");
        Path mat = dir.resolve("fake.mat");
        Files.writeString(mat, "hello");
        says(fails(mat, new ImportOptions()), "fake.mat: not a MATLAB v5/v7/v7.3 file");
        Path npz = dir.resolve("fake.npz");
        Files.writeString(npz, "PK not really");
        says(fails(npz, new ImportOptions()), "fake.npz: not a readable .npz (zip) archive");
    }
}
