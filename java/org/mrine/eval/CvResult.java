package org.mrine.eval;

import java.util.List;
import java.util.Map;

/**
 * Every fold of every model.
 *
 * @param slowModality the modality whose samples define the slow rate, or null
 * @param dropModality the modality of the drop sweep, or null
 * @param dropLevels   the sweep's drop probabilities
 * @param dropRetrained whether each drop level had models of its own (else the fold models inferred from dropped data)
 */
public record CvResult(List<ModelChoice> models, int folds, Map<String, List<FoldResult>> byModel, String slowModality,
                       String dropModality, double[] dropLevels, boolean dropRetrained) {

    public List<FoldResult> folds(String model) {
        return byModel.get(model);
    }
}
