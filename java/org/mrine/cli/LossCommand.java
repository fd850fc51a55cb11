package org.mrine.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.io.Outputs;
import org.mrine.reference.ReferenceFixture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine loss --fixture IN --out OUT}: the stable contract with the reference. */
@Command(name = "loss", mixinStandardHelpOptions = true,
        description = {"Computes outputs, loss terms and gradients for the parameters, inputs and config of a fixture file,",
                "writes them as out.*, loss.* and grad.*, and compares with the expected values the file holds.",
                "Exit status: 0 all within tolerance (or nothing to compare), 1 a tensor out of tolerance, 2 bad input."})
final class LossCommand implements Callable<Integer> {

    @Option(names = "--fixture", required = true, description = "input safetensors: param.*, input.*, metadata config")
    Path fixture;

    @Option(names = "--out", description = "output safetensors (written atomically)")
    Path out;

    @Option(names = "--backend", defaultValue = "auto", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}; auto: CUDA when a device is found)")
    String backend;

    @Option(names = "--quiet", description = "print only the summary line")
    boolean quiet;

    @Option(names = "--force", description = "replace --out even when it is not an output of mrine loss (never the fixture)")
    boolean force;

    @Override
    public Integer call() {
        if (out != null) new Outputs("loss", force).input(fixture, "--fixture").file(out, "--out", OutputKinds.LOSS, OutputKinds::of);
        try (Backend be = Backends.create(backend)) {
            ReferenceFixture.Result r = ReferenceFixture.run(fixture, be);
            if (out != null) ReferenceFixture.write(r, out);
            return FixtureTable.print(r, quiet, System.out) ? 0 : 1;
        }
    }
}
