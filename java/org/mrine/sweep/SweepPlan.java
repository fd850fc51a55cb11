package org.mrine.sweep;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.backend.Backend;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.data.Dataset;
import org.mrine.eval.Folds;
import org.mrine.model.MrineModel;
import org.mrine.train.ModalityInfo;
import org.mrine.train.TrainConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.IntNode;

/**
 * The cells of a nested cross-validation. K outer folds (contiguous blocks of trials); within each
 * outer fold's training trials, J inner folds (contiguous blocks of those). Every candidate is
 * trained and scored on every inner fold (to choose a candidate per outer fold) and on every outer
 * fold (to score the chosen one, never tuned on its own test trials, and to choose the final
 * candidate by plain K-fold cross-validation over all trials).
 *
 * <p>Candidates are the grid's MRINE settings and, as a baseline searched the same way, the
 * Wiener filter with each candidate number of lags.
 *
 * @param mrine      the MRINE candidates, in grid order
 * @param wiener     the Wiener filter candidates (empty when there is no count modality to read)
 * @param cells      inner cells first (selection needs them), then the outer ones
 * @param dataHash   SHA-256 of the dataset file: cell ids depend on it, so a rerun on other data reuses nothing
 */
public record SweepPlan(List<Candidate> mrine, List<Candidate> wiener, Folds outer, int innerFolds, List<CellSpec> cells,
                        String dataHash) {

    /**
     * One thing to train and score.
     *
     * @param values     the swept keys' values (the Wiener filter: its lags)
     * @param modalities what the model reads
     * @param size       for the one-SE rule: parameters, then training budget (optimizer steps or epochs)
     */
    public record Candidate(int index, boolean isWiener, Map<String, JsonNode> values, TrainConfig config, List<String> modalities,
                            int wienerLags, long[] size) {

        public String label() {
            return isWiener ? "wiener lags=" + wienerLags : Grid.describe(values);
        }
    }

    /**
     * @param settings       the grid's settings to try (all, or a random sample)
     * @param wienerModality the modality the Wiener filter reads, or null for no baseline
     */
    public static SweepPlan of(Grid grid, List<Map<String, JsonNode>> settings, Dataset raw, String wienerModality, int outerFolds,
                               int innerFolds, String dataHash) {
        Folds outer = new Folds(raw.trials(), outerFolds);
        int smallestOuterTrain = raw.trials() - (raw.trials() + outerFolds - 1) / outerFolds;
        if (innerFolds < 2) throw new IllegalArgumentException("--inner-folds must be at least 2, got " + innerFolds);
        if (smallestOuterTrain < innerFolds) {
            throw new IllegalArgumentException(raw.trials() + " trials make outer folds of " + smallestOuterTrain
                    + " training trials, too few for " + innerFolds + " inner folds");
        }
        List<Candidate> mrine = new ArrayList<>(), wiener = new ArrayList<>();
        try (Backend be = new CpuBackend()) {
            for (Map<String, JsonNode> s : settings) {
                TrainConfig cfg = grid.config(s);
                List<String> mods = cfg.model().modalities() != null ? cfg.model().modalities() : raw.modalityNames();
                List<ModalityInfo> infos = new ArrayList<>();
                for (String m : mods) {
                    try {
                        infos.add(ModalityInfo.of(raw.modality(m)));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(grid.source() + ": model.modalities: " + e.getMessage());
                    }
                }
                long params = new MrineModel(cfg.modelConfig(infos, 1.0), be).params.flat().size();
                long budget = cfg.training().autoEpochs() ? cfg.training().maxSteps() : cfg.training().epochs();
                mrine.add(new Candidate(mrine.size(), false, s, cfg, mods, -1, new long[] {params, budget}));
            }
        }
        if (wienerModality != null) {
            int channels = raw.modality(wienerModality).channels();
            for (int lags : grid.wienerLags()) {
                wiener.add(new Candidate(wiener.size(), true, Map.of("evaluation.wiener_lags", IntNode.valueOf(lags)), grid.base(),
                        List.of(wienerModality), lags, new long[] {(long) channels * (lags + 1) + 1, 0}));
            }
        }
        List<CellSpec> inner = new ArrayList<>(), outerCells = new ArrayList<>();
        for (int k = 0; k < outerFolds; k++) {
            int[] outerTrain = outer.train(k);
            Folds in = new Folds(outerTrain.length, innerFolds);
            for (List<Candidate> family : List.of(mrine, wiener)) {
                for (Candidate c : family) {
                    for (int j = 0; j < innerFolds; j++) {
                        inner.add(cell(c, k, j, pick(outerTrain, in.train(j)), pick(outerTrain, in.test(j)), dataHash));
                    }
                    outerCells.add(cell(c, k, -1, outerTrain, outer.test(k), dataHash));
                }
            }
        }
        List<CellSpec> cells = new ArrayList<>(inner);
        cells.addAll(outerCells);
        return new SweepPlan(List.copyOf(mrine), List.copyOf(wiener), outer, innerFolds, List.copyOf(cells), dataHash);
    }

    private static int[] pick(int[] from, int[] positions) {
        int[] out = new int[positions.length];
        for (int i = 0; i < out.length; i++) out[i] = from[positions[i]];
        return out;
    }

    private static CellSpec cell(Candidate c, int outer, int inner, int[] train, int[] test, String dataHash) {
        String yaml = c.config().toYaml();
        String key = dataHash + "\n" + yaml + "\n" + c.modalities() + "\n" + c.wienerLags() + "\n" + Arrays.toString(train) + "\n"
                + Arrays.toString(test);
        String id = (c.isWiener() ? "w" : "m") + sha256(key).substring(0, 20);
        return new CellSpec(id, c.index(), yaml, c.modalities(), c.wienerLags(), outer, inner, train, test);
    }

    /** The candidate a cell trains. */
    public Candidate candidate(CellSpec c) {
        return (c.isWiener() ? wiener : mrine).get(c.setting());
    }

    /** The swept keys, in grid order (the MRINE candidates' keys). */
    public List<String> sweptKeys() {
        Map<String, Boolean> keys = new LinkedHashMap<>();
        for (Candidate c : mrine) for (String k : c.values().keySet()) keys.put(k, true);
        return new ArrayList<>(keys.keySet());
    }

    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
