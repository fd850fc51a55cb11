package org.mrine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.model.Likelihood;

/** Z-scoring over available training samples, and auto tau from its definition. */
class NormalizationTest {

    /** 2 trials x 3 steps; y has one channel, sample (trial 0, step 1) missing with a garbage value. */
    private static Dataset tiny() {
        float[] y = {1, 1000, 3, 5, 7, 9};
        float[] ym = {1, 0, 1, 1, 1, 1};
        float[] s = {0, 1, 2, 1, 0, 2};
        float[] sm = {1, 1, 1, 1, 1, 1};
        return new Dataset(List.of(new ModalityData("s", Likelihood.POISSON, 1, s, sm), new ModalityData("y", Likelihood.GAUSSIAN, 1, y, ym)),
                2, 3, new float[6], 1, List.of("b"), 10, Map.of());
    }

    @Test
    void statisticsUseOnlyAvailableTrainingSamples() {
        Dataset d = tiny();
        Normalization n = Normalization.fit(d, new int[] {0, 1});
        // available y: 1, 3, 5, 7, 9 -> mean 5, population s.d. sqrt(8)
        assertEquals(5, n.mean().get("y")[0], 1e-12);
        assertEquals(Math.sqrt(8), n.std().get("y")[0], 1e-12);
        Dataset z = n.apply(d);
        assertEquals((1 - 5) / Math.sqrt(8), z.modality("y").values()[0], 1e-6);
        assertEquals(0f, z.modality("y").values()[1], "missing samples become 0");
        assertEquals(d.modality("s").values()[2], z.modality("s").values()[2], "counts untouched");
        // only trial 1: 5, 7, 9
        assertEquals(7, Normalization.fit(d, new int[] {1}).mean().get("y")[0], 1e-12);
        Normalization back = Normalization.fromJson(org.mrine.io.Json.parse(org.mrine.io.Json.write(n.toJson())), "t");
        assertEquals(n.std().get("y")[0], back.std().get("y")[0], 0);
    }

    @Test
    void autoTauIsTheRatioOfMeanLogLikelihoodsUnderTrainingMeans() {
        Dataset d = Normalization.fit(tiny(), new int[] {0, 1}).apply(tiny());
        // Gaussian: z-scored, so the mean of -0.5 log 2pi - 0.5 z^2 is -0.5 log 2pi - 0.5
        double gauss = -0.5 * Math.log(2 * Math.PI) - 0.5;
        // Poisson: counts 0,1,2,1,0,2 with mean rate 1: mean of s log 1 - 1 - log s! = -1 - (0+0+log2+0+0+log2)/6
        double pois = -1 - 2 * Math.log(2) / 6;
        // log 2! through the Lanczos log-gamma: accurate to about 1e-8 relative
        assertEquals(Math.abs(gauss) / Math.abs(pois), AutoTau.compute(d, new int[] {0, 1}), 1e-7);
    }
}
