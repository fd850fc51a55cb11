package org.mrine.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.mrine.backend.Backend;
import org.mrine.backend.Backends;
import org.mrine.reference.ReferenceFixture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine check}: every reference fixture in a folder against the engine, one table each. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = "Checks the engine against every *.safetensors reference fixture in a folder.")
final class CheckCommand implements Callable<Integer> {

    @Option(names = "--fixtures", defaultValue = "../shared/fixtures", description = "folder of fixtures (default: ${DEFAULT-VALUE})")
    Path folder;

    @Option(names = "--backend", defaultValue = "auto", description = "cpu, cuda or auto (default: ${DEFAULT-VALUE}; auto: CUDA when a device is found)")
    String backend;

    @Option(names = "--quiet", description = "print only one summary line per fixture")
    boolean quiet;

    @Override
    public Integer call() {
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list fixture folder " + folder + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) throw new IllegalArgumentException("no *.safetensors fixtures in " + folder);
        boolean all = true;
        for (Path f : files) {
            try (Backend be = Backends.create(backend)) {
                all &= FixtureTable.print(ReferenceFixture.run(f, be), quiet, System.out);
            }
            System.out.println();
        }
        System.out.println(all ? "all fixtures within tolerance" : "SOME FIXTURES FAILED");
        return all ? 0 : 1;
    }
}
