package org.mrine.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.io.SafeTensors;

/** The contract: every out.*, loss.* and grad.* of the shared reference fixtures within tolerance. */
class ReferenceFixtureTest {
    static Path fixture(String name) {
        return Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", name + ".safetensors");
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference-small", "reference-medium", "reference-pertrial"})
    void matchesReference(String name) {
        Path file = fixture(name);
        long expected = SafeTensors.read(file).tensors().keySet().stream()
                .filter(k -> k.startsWith("out.") || k.startsWith("loss.") || k.startsWith("grad.")).count();
        try (CpuBackend be = new CpuBackend()) {
            ReferenceFixture.Result r = ReferenceFixture.run(file, be);
            // nothing the reference computed may be skipped silently
            assertEquals(expected, r.comparisons().size(), "compared tensors");
            String failures = r.comparisons().stream().filter(c -> !c.passed())
                    .map(c -> String.format("%s %.3e > %.0e", c.name(), c.relativeError(), c.tolerance()))
                    .collect(Collectors.joining("\n  "));
            assertTrue(failures.isEmpty(), name + " out of tolerance:\n  " + failures);
        }
    }
}
