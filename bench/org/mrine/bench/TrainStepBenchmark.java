package org.mrine.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.model.Batch;
import org.mrine.model.MrineModel;
import org.mrine.model.TrainingNoise;
import org.mrine.train.SplitMix64;
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
 * One fwd+bwd training step at the paper's size: n_s = n_y = 20, n_a = n_x = 64, hidden 128x3,
 * fusion 128, B = 32, with training noise (dropout 0.1, time dropout 0.3) as in training.
 * Divide the reported time by B*T for milliseconds per sample-step (the reference: ~5.1 ms at
 * T = 50 on this machine type).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class TrainStepBenchmark {
    public static final int TRIALS = 32;

    @Param({"50", "100"})
    public int steps;

    @Param({"cpu"})
    public String backend;

    private Backend be;
    private MrineModel model;
    private Batch batch;

    @Setup(Level.Trial)
    public void setup() {
        be = Backends.create(backend);
        model = new MrineModel(BenchSetups.paper(), be);
        model.initialize(new SplittableRandom(1));
        batch = BenchSetups.batch(BenchSetups.paper(), TRIALS, steps, 5, 2);
    }

    @Benchmark
    public double trainStep() {
        return model.lossAndGradient(batch, new TrainingNoise(0.1, 0.3, new SplitMix64(3))).get("total_loss");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        be.close();
    }
}
