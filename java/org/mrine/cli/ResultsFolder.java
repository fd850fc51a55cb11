package org.mrine.cli;

import java.nio.file.Path;
import org.mrine.eval.Report;
import org.mrine.io.Outputs;

/** The results folder of {@code evaluate} and {@code demo}, claimed before any fold trains. */
final class ResultsFolder {
    private ResultsFolder() {
    }

    /**
     * Locks {@code out} and checks every file the results are written to, and the fold checkpoints
     * under {@code checkpoints/} (an earlier run's need {@code resume} or {@code --force}).
     *
     * @param more further files the command writes there (the demo's data.safetensors)
     */
    static Outputs.Folder claim(Outputs outputs, Path out, String option, boolean resume, String... more) {
        Outputs.Folder f = outputs.folder(out, option, resume);
        try {
            for (String name : Report.FILES) f.file(name);
            for (String name : more) f.file(name);
            f.checkpoints("checkpoints", resume);
            f.begin();
            return f;
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }
}
