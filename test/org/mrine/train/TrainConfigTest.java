package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The YAML config: the paper's defaults, round trip, and clear errors for unknown keys and bad values. */
class TrainConfigTest {

    @Test
    void defaultsAreThePapers() {
        TrainConfig c = TrainConfig.defaults();
        assertEquals(64, c.model().embeddingDim());
        assertEquals(64, c.model().latentDim());
        assertArrayEquals(new int[] {128, 128, 128}, c.model().hidden());
        assertArrayEquals(new int[] {128}, c.model().fusionHidden());
        assertNull(c.loss().tau(), "auto tau");
        assertEquals(1e-3, c.loss().scaleL2());
        assertEquals(50, c.loss().smoothPoisson());
        assertEquals(5, c.loss().smoothGaussian());
        assertEquals(30, c.loss().smoothLatent());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, c.loss().stepsAhead());
        TrainConfig.Training t = c.training();
        // the paper trains 500 epochs; the budget here is counted in optimizer steps, whatever the dataset's size
        assertTrue(t.autoEpochs());
        assertEquals(TrainConfig.DEFAULT_MAX_STEPS, t.maxSteps());
        assertEquals(TrainConfig.DEFAULT_PATIENCE_STEPS, t.patienceSteps());
        assertTrue(t.earlyStopping());
        assertEquals(0.1, t.validationFraction());
        assertEquals(32, t.batchSize());
        assertEquals(1e-3, t.lrBase());
        assertEquals(1e-2, t.lrMax());
        assertEquals(10, t.lrStepUp());
        assertEquals("exp_range", t.lrMode());
        assertEquals(0.99, t.lrGamma());
        assertEquals(0.1, t.gradClip());
        assertEquals(0.1, t.dropout());
        assertEquals(0.3, t.timeDropout());
        assertTrue(t.zscoreGaussian());
        assertEquals(5, c.evaluation().folds());
    }

    @Test
    void writtenConfigReadsBackTheSame() {
        TrainConfig c = TrainConfig.parse("""
                model: {embedding_dim: 8, latent_dim: 6, hidden: [32], fusion_hidden: []}
                loss: {tau: 2.5, scale_l2: 0.0001}
                training: {epochs: 7, lr_base: 1e-4, lr_max: 2.5e-3, adam_eps: 1.0e-7, seed: 42}
                evaluation: {folds: 3}
                """, "test");
        assertEquals(1e-4, c.training().lrBase());
        assertEquals(2.5, c.loss().tau());
        String yaml = c.toYaml();
        TrainConfig back = TrainConfig.parse(yaml, "round trip");
        assertEquals(yaml, back.toYaml());
        assertEquals(1e-7, back.training().adamEps());
        assertEquals(42, back.training().seed());
        assertArrayEquals(new int[0], back.model().fusionHidden());
        assertEquals(TrainConfig.defaults().toYaml(), TrainConfig.parse(TrainConfig.defaults().toYaml(), "defaults").toYaml());
    }

    private static String error(String yaml) {
        return assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(yaml, "my.yaml")).getMessage();
    }

    @Test
    void unknownKeysAreErrorsNamingTheKey() {
        String m = error("training:\n  epoch: 10\n");
        assertTrue(m.contains("my.yaml") && m.contains("unknown key 'training.epoch'") && m.contains("epochs"), m);
        m = error("trainig: {epochs: 3}\n");
        assertTrue(m.contains("unknown key 'trainig'") && m.contains("training"), m);
        m = error("model: {n_a: 3}\n");
        assertTrue(m.contains("'model.n_a'"), m);
    }

    @Test
    void badValuesAreErrorsNamingKeyAndValue() {
        String m = error("training: {epochs: ten}\n");
        assertTrue(m.contains("training.epochs") && m.contains("integer") && m.contains("ten"), m);
        m = error("training: {dropout: 1.5}\n");
        assertTrue(m.contains("training.dropout") && m.contains("[0, 1)"), m);
        m = error("training: {lr_mode: cosine}\n");
        assertTrue(m.contains("training.lr_mode") && m.contains("exp_range"), m);
        m = error("training: {lr_base: 0.1, lr_max: 0.01}\n");
        assertTrue(m.contains("training.lr_max"), m);
        m = error("model: {hidden: [64, -1]}\n");
        assertTrue(m.contains("model.hidden[1]"), m);
        m = error("model: {hidden: 64}\n");
        assertTrue(m.contains("model.hidden") && m.contains("list"), m);
        m = error("loss: {tau: -1}\n");
        assertTrue(m.contains("loss.tau") && m.contains("auto"), m);
        m = error("training: {batch_size: 0}\n");
        assertTrue(m.contains("training.batch_size") && m.contains("positive"), m);
        m = error("evaluation: {folds: 1}\n");
        assertTrue(m.contains("evaluation.folds"), m);
        m = error("training: [1, 2]\n");
        assertTrue(m.contains("training") && m.contains("mapping"), m);
        m = error("training: {epochs: 3\n");
        assertTrue(m.contains("my.yaml") && m.contains("YAML"), m);
    }
}
