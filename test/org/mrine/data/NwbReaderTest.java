package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.model.Likelihood;

/** NWB files made for the tests (make_test_nwb.py), and the real pynapple file. */
class NwbReaderTest {

    /** Expected counts [B, T, N] of the generated units in the given trials, by the file's formula. */
    private static float[] expectedCounts(int units, double duration, double[] starts, int T, double bin, java.util.function.DoublePredicate keep) {
        float[] out = new float[starts.length * T * units];
        for (int b = 0; b < starts.length; b++) {
            for (int u = 0; u < units; u++) {
                for (int k = 0; ; k++) {
                    double t = TestFiles.spike(u, k);
                    if (t >= duration) break;
                    if (!keep.test(t)) continue;
                    int j = TestFiles.step(t, starts[b], bin);
                    if (j >= 0 && j < T) out[(b * T + j) * units + u]++;
                }
            }
        }
        return out;
    }

    @Test
    void spikesLfpAtALowerRateAndBehaviorCutByTheTrialsTable() {
        ImportOptions o = new ImportOptions();
        o.velocity = true;
        Dataset d = Datasets.open(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), o);
        // 4 trials starting at 1, 3, 5.5, 8 s; the longest lasts 2 s: 200 steps of 10 ms.
        assertEquals(4, d.trials());
        assertEquals(200, d.steps());
        assertEquals(10, d.binMs());
        assertEquals(List.of("spikes", "lfp"), d.modalityNames());

        ModalityData s = d.modality("spikes");
        assertEquals(Likelihood.POISSON, s.likelihood());
        assertEquals(6, s.channels());
        assertEquals(1.0, s.availability());
        double[] starts = {1.0, 3.0, 5.5, 8.0};
        assertArrayEquals(expectedCounts(6, 10.0, starts, 200, 0.01, t -> true), s.values());

        // LFP at 50 Hz on a 100 Hz grid: a sample every other step, value (c * 1000 + i) * 1e-3, never interpolated.
        ModalityData lfp = d.modality("lfp");
        assertEquals(Likelihood.GAUSSIAN, lfp.likelihood());
        assertEquals(4, lfp.channels());
        assertEquals(0.5, lfp.availability());
        for (int b = 0; b < 4; b++) {
            for (int j = 0; j < 200; j++) {
                int cell = b * 200 + j;
                assertEquals(j % 2 == 0 ? 1f : 0f, lfp.mask()[cell], "mask at trial " + b + " step " + j);
                if (j % 2 != 0) continue;
                int i = (int) Math.round((starts[b] + j * 0.01) * 50);
                for (int c = 0; c < 4; c++) assertEquals((c * 1000 + i) * 1e-3, lfp.values()[cell * 4 + c], 1e-6);
            }
        }

        // Position at 100 Hz: one sample per step; velocity from it, (0.5, -0.25) m/s.
        assertEquals(List.of("position_x", "position_y", "position_x_vel", "position_y_vel"), d.behaviorNames());
        for (int b = 0; b < 4; b++) {
            for (int j = 0; j < 200; j += 37) {
                int cell = b * 200 + j;
                double t = starts[b] + j * 0.01;
                assertEquals(0.5 * t, d.behavior()[cell * 4], 1e-5);
                assertEquals(-0.25 * t, d.behavior()[cell * 4 + 1], 1e-5);
                assertEquals(0.5, d.behavior()[cell * 4 + 2], 1e-3);
                assertEquals(-0.25, d.behavior()[cell * 4 + 3], 1e-3);
            }
        }
        assertTrue(d.info().get("trials").contains("/intervals/trials"), d.info().toString());
    }

    @Test
    void calciumAt30HzWithSpikesBinnedAt120Hz() {
        ImportOptions o = new ImportOptions();
        o.binMs = 1000.0 / 120;
        Dataset d = Datasets.open(TestFiles.resource("nwb_calcium.nwb"), o);
        // Trials of 3 s at 0, 4, 8 s: 360 steps of 8.33 ms.
        assertEquals(3, d.trials());
        assertEquals(360, d.steps());
        assertEquals(List.of("spikes", "calcium"), d.modalityNames());
        double bin = 1.0 / 120;
        double[] starts = {0, 4, 8};
        assertArrayEquals(expectedCounts(4, 12.0, starts, 360, bin, t -> true), d.modality("spikes").values());

        // Fluorescence at 30 Hz: every 4th step, the same phase in every trial.
        ModalityData ca = d.modality("calcium");
        assertEquals(3, ca.channels());
        assertEquals(0.25, ca.availability(), 1e-12);
        for (int b = 0; b < 3; b++) {
            for (int j = 0; j < 360; j++) {
                int cell = b * 360 + j;
                assertEquals(j % 4 == 0 ? 1f : 0f, ca.mask()[cell], "mask at trial " + b + " step " + j);
                if (j % 4 == 0) {
                    int i = (int) (starts[b] * 30) + j / 4;
                    for (int c = 0; c < 3; c++) assertEquals(c * 1000 + i, ca.values()[cell * 3 + c], 1e-3);
                }
            }
        }
        // Running speed at 30 Hz as behavior: held between samples (0.1 per sample index).
        assertEquals(List.of("running_speed"), d.behaviorNames());
        for (int j = 0; j < 360; j++) {
            int i = (int) (4 * 30) + j / 4;
            assertEquals(0.1 * i, d.behavior()[360 + j], 1e-4, "behavior at trial 1 step " + j);
        }
    }

    @Test
    void timestampsWithAPauseAndObservationIntervals() {
        ImportOptions o = new ImportOptions();
        Dataset d = Datasets.open(TestFiles.resource("nwb_timestamps_gaps.nwb"), o);
        // No trials table, 600 bins: one trial of the whole recording.
        assertEquals(1, d.trials());
        assertEquals(600, d.steps());
        ModalityData s = d.modality("spikes"), lfp = d.modality("lfp");
        for (int j = 0; j < 600; j++) {
            float expected = j >= 200 && j < 300 ? 0 : 1; // units unobserved and LFP paused from 2 s to 3 s
            assertEquals(expected, s.mask()[j], "spike mask at step " + j);
            assertEquals(expected, lfp.mask()[j], "lfp mask at step " + j);
            if (expected == 1) {
                int i = j < 200 ? j : j - 100; // sample index in the timestamped data
                assertEquals(2 * (1000 + i), lfp.values()[j * 2 + 1], 1e-3); // channel_conversion 2
            }
        }
        assertArrayEquals(expectedCounts(3, 6.0, new double[] {0}, 600, 0.01, t -> t < 2 || t >= 3), s.values());
        // Position at 50 Hz with the same pause: held through it, at the last value before it (t = 1.98 s).
        assertEquals(0.5 * 1.98, d.behavior()[250 * 2], 1e-5);
        assertEquals(0.5 * 3.0, d.behavior()[300 * 2], 1e-5);

        // Windows of 1 s: the one inside the pause holds nothing and is dropped.
        o.trialMs = 1000.0;
        Alignment.Result r = Importer.importFile(TestFiles.resource("nwb_timestamps_gaps.nwb"), Importer.Format.NWB, o);
        assertEquals(5, r.dataset().trials());
        assertEquals(100, r.dataset().steps());
        assertTrue(r.notes().stream().anyMatch(n -> n.contains("1 of 6 windows held no sample")), r.notes().toString());
    }

    @Test
    void namedSeriesAndIgnoredTrials() {
        ImportOptions o = new ImportOptions();
        o.spikes = "none";
        o.fields = List.of("/processing/ecephys/LFP/LFP");
        o.behavior = List.of("processing/behavior/Position/position");
        o.ignoreTrials = true;
        o.trialMs = 2500.0;
        o.binMs = 20.0;
        Dataset d = Datasets.open(TestFiles.resource("nwb_spikes_lfp_behavior.nwb"), o);
        assertEquals(List.of("lfp"), d.modalityNames());
        assertEquals(4, d.trials()); // 10 s in windows of 2.5 s
        assertEquals(125, d.steps());
        assertEquals(1.0, d.modality("lfp").availability()); // 50 Hz on a 50 Hz grid
        // Position at 100 Hz averaged over the two samples of each 20 ms bin.
        assertEquals(0.5 * 0.005, d.behavior()[0], 1e-6);
    }

    @Test
    void realPynappleFile() {
        Recording r = NwbReader.read(TestFiles.shared("pynapple_A8604-211122.nwb"), new ImportOptions());
        SpikeTrains st = r.spikes();
        assertEquals(3, st.units());
        assertEquals(21354, st.totalSpikes());
        assertEquals(List.of("unit 6", "unit 191", "unit 206"), st.unitLabels());
        assertEquals(11020, st.times()[0].length);
        assertEquals(4690, st.times()[1].length);
        assertEquals(5644, st.times()[2].length);
        assertEquals(0.030333, st.times()[0][0], 1e-12);
        assertEquals(0.028133, st.first(), 1e-12);
        assertEquals(1087.352833, st.last(), 1e-9);
        assertNull(st.observed());
        assertTrue(r.neural().isEmpty());
        assertTrue(r.behavior().isEmpty());
        assertNull(r.trials()); // it has epochs, no trials
        assertEquals(0, r.start(), 0); // the epoch starts at 0
        assertEquals(1087.5289, r.end(), 1e-9);

        ImportOptions o = new ImportOptions();
        o.trialMs = 10_000.0;
        Dataset d = Importer.importFile(TestFiles.shared("pynapple_A8604-211122.nwb"), Importer.Format.NWB, o).dataset();
        assertEquals(108, d.trials());
        assertEquals(1000, d.steps());
        assertEquals(0, d.behaviorDim());
        float[] v = d.modality("spikes").values();
        double[] perUnit = new double[3];
        float max = 0;
        for (int i = 0; i < v.length; i++) {
            perUnit[i % 3] += v[i];
            max = Math.max(max, v[i]);
        }
        // Spikes before 1080 s (h5py/numpy count): 10943, 4632, 5595.
        assertArrayEquals(new double[] {10943, 4632, 5595}, perUnit);
        assertEquals(4, max); // most spikes of one unit in one 10 ms bin (unit 191)
    }

    @Test
    void addressesOfObjectReferencesMapToPaths() {
        try (Hdf5 h = Hdf5.open(TestFiles.shared("pynapple_A8604-211122.nwb"))) {
            var units = h.group("/units", "units");
            String[] groups = h.referencePaths(h.dataset(units, "electrode_group", "references"));
            assertArrayEquals(new String[] {"/general/extracellular_ephys/group0_psb", "/general/extracellular_ephys/group0_psb",
                "/general/extracellular_ephys/group0_psb"}, groups);
            long target = ((Number) h.attr(h.find("/units/spike_times_index"), "target")).longValue();
            assertEquals("/units/spike_times", h.pathOf(target));
        }
    }
}
