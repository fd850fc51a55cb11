package org.mrine.train;

import java.nio.file.Path;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.data.Dataset;

/**
 * Run in child JVMs by {@link ResumeTest}: {@code straight DIR} trains 4 epochs into
 * DIR/straight.safetensors and 2 into DIR/split.safetensors; {@code resume DIR} continues
 * DIR/split.safetensors to 4 epochs. Only the checkpoint carries state from one process to the next.
 */
public final class ResumeProcess {
    private ResumeProcess() {
    }

    static final int[] TRAIN = TinyRuns.range(0, 20), VALID = TinyRuns.range(20, 24);

    static Dataset data() {
        return TinyRuns.data(24, 30);
    }

    static void train(TrainConfig cfg, Path file, Checkpoint resume) {
        Trainer.Run run = Trainer.Run.prepare(cfg, data(), TRAIN, VALID, TinyRuns.BOTH, resume);
        try (Backend be = Backends.create("cpu")) {
            Trainer t = new Trainer(run, be);
            if (resume != null) t.resume(resume, file.toString());
            t.fit(file, TrainingListener.SILENT);
        }
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[1]);
        TrainConfig cfg = TinyRuns.config(4, "");
        if (args[0].equals("straight")) {
            train(cfg, dir.resolve("straight.safetensors"), null);
            train(cfg.withEpochs(2), dir.resolve("split.safetensors"), null);
        } else {
            Path split = dir.resolve("split.safetensors");
            train(cfg, split, Checkpoint.load(split));
        }
    }
}
