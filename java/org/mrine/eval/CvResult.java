package org.mrine.eval;

import java.util.List;
import java.util.Map;

/**
 * Every fold of every model.
 *
 * @param slowModality the modality whose samples define the slow rate, or null
 * @param dropModality the modality of the drop sweep, or null
 * @param dropLevels   the sweep's drop probabilities
 */
public record CvResult(List<ModelChoice> models, int folds, Map<String, List<FoldResult>> byModel, String slowModality,
                       String dropModality, double[] dropLevels) {

    public List<FoldResult> folds(String model) {
        return byModel.get(model);
    }
}
