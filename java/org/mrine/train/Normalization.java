package org.mrine.train;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.io.Json;
import org.mrine.model.Likelihood;

/**
 * Per-channel z-scoring of Gaussian modalities with statistics of the training trials over their
 * available samples only (missing samples hold arbitrary values). Poisson counts stay counts. The
 * same statistics are applied to held-out trials and saved in checkpoints.
 *
 * @param mean per Gaussian modality name, the channel means [N]
 * @param std  per Gaussian modality name, the channel standard deviations [N] (population; 1 where 0)
 */
public record Normalization(Map<String, double[]> mean, Map<String, double[]> std) {

    public Normalization {
        mean = Map.copyOf(mean);
        std = Map.copyOf(std);
    }

    public static Normalization none() {
        return new Normalization(Map.of(), Map.of());
    }

    /** Statistics of the given trials' available samples of every Gaussian modality. */
    public static Normalization fit(Dataset data, int[] trials) {
        Map<String, double[]> means = new LinkedHashMap<>(), stds = new LinkedHashMap<>();
        final int T = data.steps();
        for (ModalityData m : data.modalities()) {
            if (m.likelihood() != Likelihood.GAUSSIAN) continue;
            final int N = m.channels();
            ChannelMeans training = ChannelMeans.of(m, trials, T);
            long count = training.samples();
            double[] mu = training.mean(), sq = new double[N], sd = new double[N];
            for (int b : trials) {
                for (int t = 0; t < T; t++) {
                    int cell = b * T + t;
                    if (m.mask()[cell] <= 0) continue;
                    for (int n = 0; n < N; n++) {
                        double d = m.values()[cell * N + n] - mu[n];
                        sq[n] += d * d;
                    }
                }
            }
            for (int n = 0; n < N; n++) {
                double s = count > 0 ? Math.sqrt(sq[n] / count) : 0;
                sd[n] = s > 0 && Double.isFinite(s) ? s : 1;
            }
            means.put(m.name(), mu);
            stds.put(m.name(), sd);
        }
        return new Normalization(means, stds);
    }

    /** The dataset with Gaussian modalities z-scored; missing samples are set to 0. */
    public Dataset apply(Dataset data) {
        List<ModalityData> mods = new ArrayList<>();
        for (ModalityData m : data.modalities()) {
            double[] mu = mean.get(m.name()), sd = std.get(m.name());
            if (mu == null) {
                mods.add(m);
                continue;
            }
            if (mu.length != m.channels()) {
                throw new IllegalArgumentException("normalization of modality " + m.name() + " has " + mu.length
                        + " channels, the data has " + m.channels());
            }
            final int N = m.channels();
            float[] out = new float[m.values().length];
            for (int cell = 0; cell < m.mask().length; cell++) {
                if (m.mask()[cell] <= 0) continue;
                for (int n = 0; n < N; n++) out[cell * N + n] = (float) ((m.values()[cell * N + n] - mu[n]) / sd[n]);
            }
            mods.add(new ModalityData(m.name(), m.likelihood(), N, out, m.mask()));
        }
        return data.withModalities(mods);
    }

    public Map<String, Object> toJson() {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String name : mean.keySet()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("mean", list(mean.get(name)));
            e.put("std", list(std.get(name)));
            out.put(name, e);
        }
        return out;
    }

    public static Normalization fromJson(Object json, String where) {
        Map<String, double[]> means = new LinkedHashMap<>(), stds = new LinkedHashMap<>();
        Json.object(json, where).forEach((name, v) -> {
            Map<String, Object> e = Json.object(v, where + "." + name);
            means.put(name, doubles(e.get("mean"), where + "." + name + ".mean"));
            stds.put(name, doubles(e.get("std"), where + "." + name + ".std"));
        });
        return new Normalization(means, stds);
    }

    private static List<Object> list(double[] a) {
        List<Object> l = new ArrayList<>();
        for (double d : a) l.add(d);
        return l;
    }

    private static double[] doubles(Object o, String what) {
        List<Object> l = Json.array(o, what);
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = Json.number(l.get(i), what + "[" + i + "]");
        return out;
    }
}
