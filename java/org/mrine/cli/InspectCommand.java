package org.mrine.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.mrine.data.Inspector;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code mrine inspect FILE...}: what a recording or dataset holds, before training on it. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Shows what a file holds: series, rates, channel counts, durations, trials, and what mrine import "
                + "would make of it. Reads .nwb, .npz, .npy, .mat, .csv and .safetensors (mrine datasets and other tensors)."})
final class InspectCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "files to describe")
    List<Path> files;

    @Override
    public Integer call() {
        for (int i = 0; i < files.size(); i++) {
            if (i > 0) System.out.println();
            System.out.print(Inspector.describe(files.get(i)));
        }
        return 0;
    }
}
