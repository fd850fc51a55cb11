package org.mrine.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;
import org.mrine.model.MrineModel;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;
import org.mrine.train.Inference;
import org.mrine.train.SplitMix64;
import org.mrine.train.TrainConfig;

/** Sample drops, model choices, the slow modality and chunked inference. */
class EvalPiecesTest {
    private final Dataset data = LorenzSimulator.simulate(LorenzOptions.DEFAULTS.withSize(12, 40));

    @Test
    void dropsAreNestedAndTouchOnlyTheChosenModality() {
        Dataset a = SampleDrop.apply(data, "s", 0.3, 5), b = SampleDrop.apply(data, "s", 0.7, 5);
        assertEquals(0.7, a.modality("s").availability(), 0.05);
        assertEquals(0.3, b.modality("s").availability(), 0.05);
        for (int c = 0; c < data.trials() * data.steps(); c++) {
            if (b.modality("s").mask()[c] > 0) assertEquals(1f, a.modality("s").mask()[c]);
        }
        assertArrayEquals(data.modality("y").mask(), b.modality("y").mask());
        assertTrue(SampleDrop.apply(data, "s", 0, 5) != null);
        assertThrows(IllegalArgumentException.class, () -> SampleDrop.apply(data, "lfp", 0.5, 5));
    }

    @Test
    void defaultModelsAndParsedChoices() {
        assertEquals(List.of("mrine", "spikes_only", "field_only"), ModelChoice.defaults(data).stream().map(ModelChoice::name).toList());
        List<ModelChoice> c = ModelChoice.parse(List.of("field_only", "mix=y+s"), data);
        assertEquals(List.of("y"), c.get(0).modalities());
        assertEquals(List.of("y", "s"), c.get(1).modalities());
        assertThrows(IllegalArgumentException.class, () -> ModelChoice.parse(List.of("mrine", "mrine"), data));
        assertThrows(IllegalArgumentException.class, () -> ModelChoice.parse(List.of("x=s+lfp"), data));
        assertEquals("y", CrossValidation.slowModality(data));
        assertEquals(null, CrossValidation.slowModality(LorenzSimulator.simulate(LorenzOptions.DEFAULTS.withSize(4, 20).withFieldRatio(1))));
    }

    @Test
    void chunkedInferenceGivesEveryTrialTheLatentsOfItsOwnForwardPass() {
        TrainConfig cfg = TrainConfig.parse("model: {embedding_dim: 4, latent_dim: 4, hidden: [8], fusion_hidden: [8]}", "t");
        try (Backend be = Backends.create("cpu")) {
            MrineModel model = new MrineModel(cfg.modelConfig(data.modalities().stream().map(org.mrine.train.ModalityInfo::of).toList(), 1.0), be);
            model.initialize(new SplitMix64(3));
            int[] trials = {0, 1, 2, 3, 4, 5, 6};
            Inference.Latents chunked = Inference.latents(model, data, trials, data.modalityNames(), 3); // 3 + 3 + 1 padded
            int per = data.steps() * 4;
            for (int i = 0; i < trials.length; i++) {
                Inference.Latents alone = Inference.latents(model, data, new int[] {trials[i]}, data.modalityNames(), 1);
                for (int j = 0; j < per; j++) {
                    assertEquals(alone.filtered()[j], chunked.filtered()[i * per + j], 1e-5, "trial " + i + " filtered " + j);
                    assertEquals(alone.smoothed()[j], chunked.smoothed()[i * per + j], 1e-5, "trial " + i + " smoothed " + j);
                }
            }
        }
    }

    @Test
    void behaviorGapsAreLeftOutOfFittingAndScoring() {
        float[] y = {1, 2, Float.NaN, 4, 5, 6};
        assertArrayEquals(new float[] {1, 0, 1}, Decoding.finiteRows(y, 2));
        assertArrayEquals(new float[] {1, 2, 5, 6}, Decoding.select(y, Decoding.finiteRows(y, 2), 2));
    }
}
