package org.mrine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.tensor.HostTensor;

/** Filtered and smoothed covariances stay symmetric positive definite over T = 1000 steps. */
class LongSequenceCovarianceTest {

    @Test
    void covariancesStaySpdOverThousandSteps() {
        ModelConfig cfg = TestModels.config(6, 6,
                List.of(TestModels.poisson("s", 8, 8), TestModels.gaussian("y", 4, 8)), 8);
        final int T = 1000;
        Batch batch = TestModels.batch(cfg, 2, T, 0.5, 77);
        try (CpuBackend be = new CpuBackend()) {
            MrineModel model = new MrineModel(cfg, be);
            TestModels.randomize(model, 41);
            model.lossAndGradient(batch);
            for (String name : List.of("Sigma_filter", "Sigma_smooth")) {
                HostTensor sigma = model.outputs().get(name);
                int n = cfg.latentDim();
                for (int m = 0; m < sigma.data().length / (n * n); m++) {
                    double[][] a = new double[n][n];
                    double scale = 0;
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            a[i][j] = sigma.data()[m * n * n + i * n + j];
                            scale = Math.max(scale, Math.abs(a[i][j]));
                        }
                    }
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < i; j++) {
                            assertTrue(Math.abs(a[i][j] - a[j][i]) <= 1e-6 * scale, name + " not symmetric at matrix " + m);
                        }
                    }
                    assertTrue(minCholeskyPivot(a) > 0, name + " not positive definite at matrix " + m);
                }
            }
            double total = model.lossAndGradient(batch).get("total_loss");
            assertTrue(Double.isFinite(total));
        }
    }

    /** Smallest pivot of a double-precision Cholesky factorization (negative: not SPD). */
    private static double minCholeskyPivot(double[][] a) {
        int n = a.length;
        double[][] l = new double[n][n];
        double min = Double.POSITIVE_INFINITY;
        for (int j = 0; j < n; j++) {
            double d = a[j][j];
            for (int k = 0; k < j; k++) d -= l[j][k] * l[j][k];
            min = Math.min(min, d);
            if (d <= 0) return d;
            l[j][j] = Math.sqrt(d);
            for (int i = j + 1; i < n; i++) {
                double s = a[i][j];
                for (int k = 0; k < j; k++) s -= l[i][k] * l[j][k];
                l[i][j] = s / l[j][j];
            }
        }
        return min;
    }
}
