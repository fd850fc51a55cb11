package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mrine.io.SafeTensors;
import org.mrine.reference.ReferenceFixture;

/**
 * The contract on the GPU: every out.*, loss.* and grad.* of the shared reference fixtures within
 * the same tolerances as on the CPU (1e-4 outputs and losses, 1e-3 gradients), through the whole
 * model (MrineModel on the CUDA backend), on the device and on its emulation.
 */
class CudaFixtureTest {
    static Path fixture(String name) {
        return Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", name + ".safetensors");
    }

    static void check(String name, CudaBackend be) {
        Path file = fixture(name);
        long expected = SafeTensors.read(file).tensors().keySet().stream()
                .filter(k -> k.startsWith("out.") || k.startsWith("loss.") || k.startsWith("grad.")).count();
        ReferenceFixture.Result r = ReferenceFixture.run(file, be);
        assertEquals(expected, r.comparisons().size(), "compared tensors");
        String failures = r.comparisons().stream().filter(c -> !c.passed())
                .map(c -> String.format("%s %.3e > %.0e", c.name(), c.relativeError(), c.tolerance()))
                .collect(Collectors.joining("\n  "));
        System.out.printf("[%s] %s: worst out %.2e, loss %.2e, grad %.2e%n", be.deviceName(), name,
                r.worst("out."), r.worst("loss."), r.worst("grad."));
        assertTrue(failures.isEmpty(), name + " on " + be.deviceName() + " out of tolerance:\n  " + failures);
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference-small", "reference-medium", "reference-pertrial"})
    void deviceMatchesReference(String name) {
        try (CudaBackend be = CudaTargets.device()) {
            check(name, be);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference-small", "reference-medium", "reference-pertrial"})
    void emulationMatchesReference(String name) {
        try (CudaBackend be = CudaTargets.emulated()) {
            check(name, be);
        }
    }
}
