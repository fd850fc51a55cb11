package org.mrine.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.mrine.data.Dataset;
import org.mrine.data.ModalityData;
import org.mrine.io.Outputs;
import org.mrine.sim.LorenzOptions;
import org.mrine.sim.LorenzSimulator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine simulate}: the stochastic Lorenz benchmark as a dataset file. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = {"Simulates the stochastic Lorenz benchmark: 20 Poisson spike channels and 20 Gaussian field channels "
                + "driven by a noisy Lorenz system; the behavior is the (z-scored) latent state. Deterministic for a seed.", ""})
final class SimulateCommand implements Callable<Integer> {
    private static final LorenzOptions D = LorenzOptions.DEFAULTS;

    @Option(names = "--out", required = true, description = "dataset file to write (.safetensors)")
    Path out;

    @Option(names = "--trials", description = "number of trials (default: ${DEFAULT-VALUE})")
    int trials = D.trials();

    @Option(names = "--steps", description = "steps per trial (default: ${DEFAULT-VALUE})")
    int steps = D.steps();

    @Option(names = "--field-ratio", description = "the field is sampled every Nth step (default: ${DEFAULT-VALUE})")
    int fieldRatio = D.fieldRatio();

    @Option(names = "--spike-drop", description = "probability that a spike sample is missing (default: ${DEFAULT-VALUE})")
    double spikeDrop = D.spikeDrop();

    @Option(names = "--field-drop", description = "probability that a field sample is missing (default: ${DEFAULT-VALUE})")
    double fieldDrop = D.fieldDrop();

    @Option(names = "--field-noise", description = "noise s.d. of each field channel (default: ${DEFAULT-VALUE})")
    double fieldNoise = D.fieldNoise();

    @Option(names = "--spike-gain", description = "norm of each spike channel's log-rate loading (default: ${DEFAULT-VALUE})")
    double spikeGain = D.spikeGain();

    @Option(names = "--seed", description = "seed of the latent trajectory and observations (default: ${DEFAULT-VALUE})")
    long seed = D.seed();

    @Option(names = "--drop-seed", description = "seed of the random sample drops (default: ${DEFAULT-VALUE})")
    long dropSeed = D.dropSeed();

    @Option(names = "--force", description = "replace --out even when it is not a mrine dataset")
    boolean force;

    @Override
    public Integer call() throws Exception {
        OutputKinds.requireDatasetName(out, "--out");
        new Outputs("simulate", force).file(out, "--out", OutputKinds.DATASET, OutputKinds::of);
        LorenzOptions o = D.withSize(trials, steps).withFieldRatio(fieldRatio).withDrops(spikeDrop, fieldDrop)
                .withNoise(fieldNoise, spikeGain).withSeeds(seed, dropSeed);
        Dataset d = LorenzSimulator.simulate(o);
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        d.save(out);
        System.out.println(describe(d) + "\nwritten to " + out);
        return 0;
    }

    static String describe(Dataset d) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%d trials x %d steps of %.0f ms", d.trials(), d.steps(), d.binMs()));
        for (ModalityData m : d.modalities()) {
            double sum = 0;
            for (int c = 0; c < m.mask().length; c++) {
                if (m.mask()[c] > 0) for (int n = 0; n < m.channels(); n++) sum += m.values()[c * m.channels() + n];
            }
            double avail = m.availability() * m.mask().length;
            String level = m.likelihood() == org.mrine.model.Likelihood.POISSON
                    ? String.format(Locale.ROOT, "mean rate %.1f spikes/s", sum / (avail * m.channels()) / (d.binMs() / 1000))
                    : String.format(Locale.ROOT, "mean %.2f", sum / (avail * m.channels()));
            sb.append(String.format(Locale.ROOT, "%n  %s: %s, %d channels, %.0f%% of steps sampled, %s", m.name(), m.likelihood().key,
                    m.channels(), 100 * m.availability(), level));
        }
        sb.append(String.format(Locale.ROOT, "%n  behavior: %s", d.behaviorNames()));
        return sb.toString();
    }
}
