package org.mrine.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.IChart;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.mrine.data.Dataset;
import org.mrine.train.EpochStats;

/**
 * The PNG figures of a cross-validation, drawn headless with XChart: loss curves, true vs decoded
 * behavior, latent trajectories, the CC bar chart and the drop-robustness curve. Each method
 * returns the file name it wrote.
 */
public final class Plots {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728),
            new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2)};

    /** Trials of the first held-out fold drawn in the time-series figures and in the trajectories. */
    static final int TRIALS_SHOWN = 3, TRAJECTORY_TRIALS = 8;

    private Plots() {
    }

    private static Color color(int i) {
        return PALETTE[i % PALETTE.length];
    }

    private static XYChart xy(String title, String x, String y, int width, int height) {
        XYChart c = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(x).yAxisTitle(y).build();
        Styler s = c.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setLegendPosition(Styler.LegendPosition.InsideNE);
        s.setLegendBackgroundColor(new Color(255, 255, 255, 200));
        c.getStyler().setMarkerSize(6);
        return c;
    }

    private static void line(XYSeries s, Color color, float width) {
        s.setMarker(SeriesMarkers.NONE);
        s.setLineColor(color);
        s.setLineStyle(new BasicStroke(width));
    }

    private static void save(List<? extends IChart> charts, int rows, int cols, Path file) {
        try {
            BitmapEncoder.saveBitmap(charts, rows, cols, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write the plot: " + e.getMessage(), e);
        }
    }

    /** Training loss (mean over folds) and held-out loss per epoch, one panel per trained model; null if there is none. */
    public static String lossCurves(CvResult r, Path dir) {
        List<XYChart> charts = new ArrayList<>();
        for (ModelChoice m : r.models()) {
            XYChart c = xy(m.name(), "epoch", "total loss", 480, 360);
            List<FoldResult> folds = r.folds(m.name());
            int epochs = folds.stream().mapToInt(f -> f.history().size()).min().orElse(0);
            if (epochs == 0) continue;
            double[] x = new double[epochs], train = new double[epochs];
            List<Double> vx = new ArrayList<>(), vy = new ArrayList<>();
            for (int e = 0; e < epochs; e++) {
                x[e] = e + 1;
                double t = 0, v = 0;
                boolean hasValid = true;
                for (FoldResult f : folds) {
                    EpochStats s = f.history().get(e);
                    t += s.trainTotal();
                    v += s.validTotal();
                    hasValid &= Double.isFinite(s.validTotal());
                }
                train[e] = t / folds.size();
                if (hasValid) {
                    vx.add(e + 1.0);
                    vy.add(v / folds.size());
                }
            }
            line(c.addSeries("train (with dropout)", x, train), color(0), 2f);
            if (!vx.isEmpty()) {
                XYSeries s = c.addSeries("held-out fold", vx, vy);
                line(s, color(1), 2f);
                if (vx.size() < 30) {
                    s.setMarker(SeriesMarkers.CIRCLE);
                    s.setMarkerColor(color(1));
                }
            }
            charts.add(c);
        }
        if (charts.isEmpty()) return null;
        String name = "loss_curves.png";
        save(charts, 1, charts.size(), dir.resolve(name));
        return name;
    }

    /** The first held-out trials of fold 1: true behavior and each model's decoding, filtered and smoothed. */
    public static String behavior(CvResult r, Dataset data, Path dir) {
        final int T = data.steps(), D = data.behaviorDim();
        FoldResult first = r.folds(r.models().get(0).name()).get(0);
        int shown = Math.min(TRIALS_SHOWN, first.testTrials().length), n = shown * T;
        double[] time = new double[n];
        for (int i = 0; i < n; i++) time[i] = i * data.binMs() / 1000;
        List<XYChart> charts = new ArrayList<>();
        boolean anySmoothed = r.models().stream().anyMatch(m -> r.folds(m.name()).get(0).decodedSmoothed() != null);
        boolean[] columns = anySmoothed ? new boolean[] {false, true} : new boolean[] {false};
        for (int k = 0; k < D; k++) {
            for (boolean smoothed : columns) {
                String title = data.behaviorNames().get(k) + (smoothed ? " — smoothed" : " — filtered (causal)");
                XYChart c = xy(title, "time (s), " + shown + " held-out trials", "behavior", 640, 260);
                double[] truth = new double[n];
                for (int i = 0; i < n; i++) {
                    int trial = first.testTrials()[i / T];
                    truth[i] = data.behavior()[(trial * T + i % T) * D + k];
                }
                line(c.addSeries("true", time, truth), Color.BLACK, 2.5f);
                int mi = 0;
                for (ModelChoice m : r.models()) {
                    FoldResult f = r.folds(m.name()).get(0);
                    float[] dec = smoothed ? f.decodedSmoothed() : f.decodedFiltered();
                    if (dec == null) { // causal only (Wiener filter): keep its color, leave it out of this panel
                        mi++;
                        continue;
                    }
                    double[] y = new double[n];
                    for (int i = 0; i < n; i++) y[i] = dec[i * D + k];
                    line(c.addSeries(m.name(), time, y), color(mi++), 1.5f);
                }
                charts.add(c);
            }
        }
        String name = "behavior.png";
        save(charts, D, columns.length, dir.resolve(name));
        return name;
    }

    /**
     * Trajectories over the first held-out trials of fold 1: the true latent and each model's
     * smoothed decoding in the plane of the first and last behavior dimensions (the Lorenz
     * butterfly for the simulator), and each model's latents on their top two principal components.
     */
    public static String latents(CvResult r, Dataset data, Path dir) {
        final int T = data.steps(), D = data.behaviorDim();
        int a = 0, b = D - 1;
        // models with latents only (not the Wiener filter); null when there is none
        List<ModelChoice> models = r.models().stream().filter(m -> r.folds(m.name()).get(0).latentsSmoothed() != null).toList();
        if (models.isEmpty()) return null;
        FoldResult first = r.folds(r.models().get(0).name()).get(0);
        int shown = Math.min(TRAJECTORY_TRIALS, first.testTrials().length), n = shown * T;
        List<XYChart> charts = new ArrayList<>();
        double[] tx = new double[n], ty = new double[n];
        for (int i = 0; i < n; i++) {
            int cell = first.testTrials()[i / T] * T + i % T;
            tx[i] = data.behavior()[cell * D + a];
            ty[i] = data.behavior()[cell * D + b];
        }
        String xName = data.behaviorNames().get(a), yName = data.behaviorNames().get(b);
        XYChart truth = xy("true latent", xName, yName, 400, 380);
        line(truth.addSeries("true", tx, ty), Color.BLACK, 1.5f);
        charts.add(truth);
        int mi = 0;
        for (ModelChoice m : models) {
            FoldResult f = r.folds(m.name()).get(0);
            double[] x = new double[n], y = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = f.decodedSmoothed()[i * D + a];
                y[i] = f.decodedSmoothed()[i * D + b];
            }
            XYChart c = xy(m.name() + ": decoded (smoothed)", xName, yName, 400, 380);
            line(c.addSeries(m.name(), x, y), color(mi++), 1.5f);
            charts.add(c);
        }
        mi = 0;
        if (D > 2) {
            // a second view of the truth keeps the principal components under the decodings
            double[] ux = new double[n], uy = new double[n];
            for (int i = 0; i < n; i++) {
                int cell = first.testTrials()[i / T] * T + i % T;
                ux[i] = data.behavior()[cell * D];
                uy[i] = data.behavior()[cell * D + 1];
            }
            XYChart other = xy("true latent", xName, data.behaviorNames().get(1), 400, 380);
            line(other.addSeries("true", ux, uy), Color.BLACK, 1.5f);
            charts.add(other);
        } else {
            charts.add(truth);
        }
        for (ModelChoice m : models) {
            FoldResult f = r.folds(m.name()).get(0);
            double[][] pcs = Pca.project(f.latentsSmoothed(), f.latentDim(), n, 2);
            XYChart c = xy(m.name() + ": latents, PC1 vs PC2", "PC1", "PC2", 400, 380);
            line(c.addSeries(m.name(), pcs[0], pcs[1]), color(mi++), 1.5f);
            charts.add(c);
        }
        String name = "latents.png";
        save(charts, 2, models.size() + 1, dir.resolve(name));
        return name;
    }

    /** Mean CC ± s.e.m. over folds per model, filtered and smoothed side by side. */
    public static String ccBars(CvResult r, Path dir) {
        CategoryChart c = new CategoryChartBuilder().width(720).height(440).title("Behavior decoding, " + r.folds() + "-fold CV")
                .xAxisTitle("model").yAxisTitle("Pearson CC (mean ± s.e.m.)").build();
        c.getStyler().setChartBackgroundColor(Color.WHITE);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setErrorBarsColor(Color.BLACK);
        c.getStyler().setLabelsVisible(true);
        c.getStyler().setDecimalPattern("0.000");
        List<String> names = r.models().stream().map(ModelChoice::name).toList();
        double lo = 1;
        for (boolean smoothed : new boolean[] {false, true}) {
            List<Double> means = new ArrayList<>(), sems = new ArrayList<>();
            for (ModelChoice m : r.models()) {
                Summary s = Summary.of(r.folds(m.name()), smoothed ? Scores::smoothed : Scores::filtered);
                boolean na = Double.isNaN(s.mean()); // no smoothed score (Wiener filter): no bar
                means.add(na ? null : s.mean());
                sems.add(na || Double.isNaN(s.sem()) ? 0.0 : s.sem());
                if (!na) lo = Math.min(lo, s.mean() - 0.05);
            }
            c.addSeries(smoothed ? "smoothed" : "filtered (causal)", names, means, sems).setFillColor(color(smoothed ? 1 : 0));
        }
        c.getStyler().setYAxisMin(Math.max(0, Math.floor(lo * 10) / 10));
        c.getStyler().setYAxisMax(1.0);
        String name = "cc_bars.png";
        save(List.of(c), 1, 1, dir.resolve(name));
        return name;
    }

    /** Filtered CC as the swept modality loses samples, per model. */
    public static String dropRobustness(CvResult r, Path dir) {
        XYChart c = xy("Robustness to missing " + r.dropModality() + " samples", "drop probability of " + r.dropModality(),
                "Pearson CC, filtered (mean ± s.e.m.)", 640, 420);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSW);
        double[] x = r.dropLevels();
        int mi = 0;
        for (ModelChoice m : r.models()) {
            if (r.folds(m.name()).get(0).dropScores().isEmpty()) { // no sweep (Wiener filter)
                mi++;
                continue;
            }
            List<Summary> s = Metrics.dropSummaries(r, m.name(), Scores::filtered);
            double[] y = new double[x.length], e = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                y[i] = s.get(i).mean();
                e[i] = Double.isNaN(s.get(i).sem()) ? 0 : s.get(i).sem();
            }
            XYSeries series = c.addSeries(m.name(), x, y, e);
            Color col = color(mi++);
            line(series, col, 2f);
            series.setMarker(SeriesMarkers.CIRCLE);
            series.setMarkerColor(col);
        }
        String name = "drop_robustness.png";
        save(List.of(c), 1, 1, dir.resolve(name));
        return name;
    }
}
