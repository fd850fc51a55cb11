package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Run only by the pom's avx2-kernels execution (the default one excludes it), which names the
 * vector width it asked the JVM for: a JVM that ignored -XX:UseAVX=2 would test the 16-lane
 * kernels twice and the 8-lane ones never.
 */
class AskedVectorWidthTest {
    @Test
    void runsAtTheVectorWidthThisExecutionAskedFor() {
        String expected = System.getProperty("mrine.expect.vector.bits");
        assertNotNull(expected, "mrine.expect.vector.bits: this test belongs to the avx2-kernels execution, which sets it");
        assertEquals(Integer.parseInt(expected), FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }
}
