package org.mrine.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.ModelConfig;
import org.mrine.model.MrineModel;
import org.mrine.stream.LinearReadout;
import org.mrine.stream.StreamingDecoder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One {@link StreamingDecoder#push} at steady state (spikes every step, the second modality every
 * 5th at paper size, every 4th at 800 + 800 channels), single thread; and with the full
 * covariance update every step (shortcut off).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StreamBenchmark {
    @Param({"paper", "high_channel"})
    public String size;

    @Param({"true", "false"})
    public boolean shortcut;

    private Backend be;
    private StreamingDecoder dec;
    private float[][][] samples;
    private int every;
    private long t;

    @Setup(Level.Trial)
    public void setup() {
        ModelConfig cfg = size.equals("paper") ? BenchSetups.paper() : BenchSetups.highChannel();
        every = size.equals("paper") ? 5 : 4;
        be = Backends.create("cpu");
        MrineModel model = new MrineModel(cfg, be);
        model.initialize(new SplittableRandom(1));
        int X = cfg.latentDim();
        dec = new StreamingDecoder(model, be, new LinearReadout(X, 2, new float[2 * X], new float[2]), shortcut);
        SplittableRandom rng = new SplittableRandom(2);
        samples = new float[1000][][];
        int ns = cfg.modalities().get(0).channels(), ny = cfg.modalities().get(1).channels();
        for (int i = 0; i < samples.length; i++) {
            float[] s = new float[ns], y = new float[ny];
            for (int k = 0; k < ns; k++) s[k] = rng.nextInt(3);
            for (int k = 0; k < ny; k++) y[k] = (float) rng.nextGaussian();
            samples[i] = new float[][] {s, i % every == 0 ? y : null};
        }
        for (int i = 0; i < 3000 && shortcut; i++) push();
    }

    @Benchmark
    public float push() {
        dec.push(samples[(int) (t++ % samples.length)]);
        return dec.latent()[0];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }
}
