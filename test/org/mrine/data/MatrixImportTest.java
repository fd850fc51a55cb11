package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.model.Likelihood;
import us.hebi.matlab.mat.format.Mat5;
import us.hebi.matlab.mat.types.MatFile;
import us.hebi.matlab.mat.types.Matrix;

/** MATLAB (v5 and v7.3), CSV and NPZ files of binned rows, real and made for the tests. */
class MatrixImportTest {
    @TempDir
    Path dir;

    @Test
    void realArea2MatFile() {
        try (VariableSource src = MatReader.open(TestFiles.shared("s1_area2_miller.mat"))) {
            assertEquals("mat v5", src.format());
            assertEquals(List.of("pos", "spikes", "vel"), src.names().stream().sorted().toList());
            NumericArray spikes = src.read("spikes"), vel = src.read("vel");
            assertArrayEquals(new int[] {35129, 52}, spikes.shape());
            assertArrayEquals(new int[] {35129, 2}, vel.shape());
            double sum = 0, max = 0;
            for (double v : spikes.data()) {
                sum += v;
                max = Math.max(max, v);
            }
            assertEquals(842910, sum);
            assertEquals(15, max);
            assertEquals(0.15103688, vel.data()[0], 1e-8);
            assertEquals(0.15091548, vel.data()[1], 1e-8);
            assertEquals(-0.139471, vel.data()[2], 1e-6);
        }

        ImportOptions o = new ImportOptions();
        o.spikes = "spikes";
        o.behavior = List.of("vel");
        o.binMs = 50.0;
        o.trialMs = 5000.0;
        Dataset d = Datasets.open(TestFiles.shared("s1_area2_miller.mat"), o);
        assertEquals(351, d.trials()); // 35129 rows in windows of 100: the last 29 rows left out
        assertEquals(100, d.steps());
        assertEquals(50, d.binMs());
        ModalityData s = d.modality("spikes");
        assertEquals(52, s.channels());
        assertEquals(Likelihood.POISSON, s.likelihood());
        assertEquals(1.0, s.availability());
        double total = 0, row0 = 0;
        for (float v : s.values()) total += v;
        for (int c = 0; c < 52; c++) row0 += s.values()[c];
        assertEquals(842205, total); // numpy: spikes[:35100].sum()
        assertEquals(23, row0);
        assertEquals(List.of("vel_x", "vel_y"), d.behaviorNames());
        assertEquals(0.15103688f, d.behavior()[0], 1e-7f);
        assertEquals(-5.52026671f, d.behavior()[35099 * 2], 1e-6f); // the last row kept, bin for bin

        // 50 ms rows rebinned to 100 ms: counts summed, velocity averaged.
        o.sampleMs = 50.0;
        o.binMs = 100.0;
        o.trialMs = null;
        Dataset d2 = Datasets.open(TestFiles.shared("s1_area2_miller.mat"), o);
        assertEquals(100, d2.binMs());
        assertEquals(20, d2.steps()); // default windows of 2 s
        assertEquals(17564, (long) d2.trials() * d2.steps() + 4); // 17564 whole 100 ms bins, 878 windows of 20 steps
        float[] first = java.util.Arrays.copyOf(d2.modality("spikes").values(), 4);
        assertArrayEquals(new float[] {0, 0, 1, 2}, first);
        assertEquals((0.15103688 - 0.139471) / 2, d2.behavior()[0], 1e-6);
    }

    @Test
    void realMcMazeCsv() {
        try (CsvReader csv = CsvReader.open(TestFiles.shared("mc_maze_trial748.csv"))) {
            assertEquals(3236, csv.rows());
            assertEquals(191, csv.names().size());
            assertEquals(182, csv.matching("unit_*").size());
            assertEquals(2282.6, csv.read("timestamp").data()[0], 1e-9);
        }
        Alignment.Result r = Importer.importFile(TestFiles.shared("mc_maze_trial748.csv"), Importer.Format.CSV, new ImportOptions());
        Dataset d = r.dataset();
        // 1 ms rows with timestamps, 10 ms bins by default: 323 whole bins, one trial.
        assertEquals(10, d.binMs());
        assertEquals(1, d.trials());
        assertEquals(323, d.steps());
        ModalityData s = d.modality("spikes");
        assertEquals(182, s.channels());
        double total = 0, max = 0;
        for (float v : s.values()) {
            total += v;
            max = Math.max(max, v);
        }
        assertEquals(1651, total); // numpy: the unit columns of the first 3230 rows
        assertEquals(3, max);
        assertEquals(List.of("cursor_pos_x", "cursor_pos_y", "eye_pos_x", "eye_pos_y", "hand_pos_x", "hand_pos_y", "hand_vel_x",
                "hand_vel_y"), d.behaviorNames());
        assertEquals(-19.126007, d.behavior()[6], 1e-4); // hand_vel_x, mean of the first 10 rows
        assertEquals(7.8357513, d.behavior()[322 * 8 + 7], 1e-4); // hand_vel_y of the last bin

        // Columns by pattern; velocity by name.
        ImportOptions o = new ImportOptions();
        o.behavior = List.of("hand_vel_*");
        o.binMs = 20.0;
        Dataset d2 = Datasets.open(TestFiles.shared("mc_maze_trial748.csv"), o);
        assertEquals(List.of("hand_vel_x", "hand_vel_y"), d2.behaviorNames());
        assertEquals(161, d2.steps());
    }

    @Test
    void matlab73WithNaNRowsAndAStoredBinWidth() {
        Dataset d = Datasets.open(TestFiles.resource("mat73_small.mat"));
        assertEquals(20, d.binMs()); // meta.bin_ms
        assertEquals(1, d.trials());
        assertEquals(400, d.steps());
        ModalityData s = d.modality("spikes");
        assertEquals(5, s.channels());
        for (int r = 0; r < 400; r += 7) {
            for (int c = 0; c < 5; c++) assertEquals((r * (c + 1)) % 3, s.values()[r * 5 + c], "spikes row " + r + " col " + c);
        }
        // vel has NaN in every other row: held at the previous row's value.
        assertEquals(List.of("vel_x", "vel_y"), d.behaviorNames());
        assertEquals(10, d.behavior()[10 * 2]);
        assertEquals(10, d.behavior()[11 * 2]);
        assertEquals(-10, d.behavior()[11 * 2 + 1]);

        // As a field, the NaN rows are missing samples: mask 0.
        ImportOptions o = new ImportOptions();
        o.fields = List.of("vel");
        o.behavior = List.of("spikes");
        Dataset f = Datasets.open(TestFiles.resource("mat73_small.mat"), o);
        ModalityData vel = f.modality("vel");
        assertEquals(0.5, vel.availability());
        assertEquals(1, vel.mask()[10]);
        assertEquals(0, vel.mask()[11]);
    }

    @Test
    void matlabV5TransposedWithNaNRows() throws Exception {
        // Written with MFL: counts 6x40 (time on the columns), a field 40x2 with NaN rows, and bin_ms.
        MatFile mat = Mat5.newMatFile();
        Matrix counts = Mat5.newMatrix(6, 40);
        Matrix field = Mat5.newMatrix(40, 2);
        for (int t = 0; t < 40; t++) {
            for (int n = 0; n < 6; n++) counts.setDouble(n, t, (t + n) % 4);
            field.setDouble(t, 0, t % 3 == 0 ? t : Double.NaN);
            field.setDouble(t, 1, t % 3 == 0 ? -t : Double.NaN);
        }
        mat.addArray("S", counts).addArray("lfp", field).addArray("bin_ms", Mat5.newScalar(5));
        Path file = dir.resolve("v5.mat");
        Mat5.writeToFile(mat, file.toFile());

        ImportOptions o = new ImportOptions();
        o.binMs = 10.0; // two 5 ms rows per bin
        Dataset d = Datasets.open(file, o);
        assertEquals(List.of("spikes", "lfp"), d.modalityNames());
        assertEquals(20, d.steps());
        ModalityData s = d.modality("spikes");
        for (int j = 0; j < 20; j++) {
            for (int n = 0; n < 6; n++) assertEquals((2 * j + n) % 4 + (2 * j + 1 + n) % 4, s.values()[j * 6 + n]);
        }
        // The field: rows 0, 3, 6, ... exist; a bin holds the mean of its existing rows.
        ModalityData lfp = d.modality("lfp");
        for (int j = 0; j < 20; j++) {
            boolean any = (2 * j) % 3 == 0 || (2 * j + 1) % 3 == 0;
            assertEquals(any ? 1f : 0f, lfp.mask()[j], "lfp mask at step " + j);
            if (any) assertEquals((2 * j) % 3 == 0 ? 2 * j : 2 * j + 1, lfp.values()[j * 2]);
        }
    }

    @Test
    void numpyWrittenRecording() {
        Alignment.Result r = Importer.importFile(TestFiles.resource("numpy_recording.npz"), Importer.Format.NPZ, new ImportOptions());
        Dataset d = r.dataset();
        // Rows of 20 ms (bin_ms), spikes int16, the field a sample every 5th row, vel stored 2x300.
        assertEquals(20, d.binMs());
        assertEquals(List.of("spikes", "lfp"), d.modalityNames());
        assertEquals(1, d.trials());
        assertEquals(300, d.steps());
        ModalityData s = d.modality("spikes");
        double total = 0;
        for (float v : s.values()) total += v;
        assertEquals(1560, total);
        assertEquals(0.2, d.modality("lfp").availability(), 1e-12);
        assertEquals(1005, d.modality("lfp").values()[5 * 3 + 1]);
        assertEquals(List.of("vel_x", "vel_y"), d.behaviorNames());
        assertEquals(Math.sin(0.7), d.behavior()[7 * 2], 1e-6);
        assertEquals(Math.cos(0.7), d.behavior()[7 * 2 + 1], 1e-6);

        // Its trials variable: three trials of 2 s.
        ImportOptions o = new ImportOptions();
        o.trialsVar = "trials";
        Dataset t = Datasets.open(TestFiles.resource("numpy_recording.npz"), o);
        assertEquals(3, t.trials());
        assertEquals(100, t.steps());
        assertEquals(Math.sin(10.0), t.behavior()[(100 + 0) * 2], 1e-6);
    }

    @Test
    void timeAxisDetectionAndStatedAxis() {
        // Square-free shapes decide; a stated axis that contradicts the lengths is a clear error.
        ImportOptions o = new ImportOptions();
        o.timeAxis = "cols";
        o.binMs = 50.0;
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.mrine.io.FormatException.class,
                () -> Datasets.open(TestFiles.shared("s1_area2_miller.mat"), o));
        assertTrue(e.getMessage().contains("mismatched lengths"), e.getMessage());
        assertTrue(e.getMessage().contains("spikes 35129×52"), e.getMessage());
    }
}
