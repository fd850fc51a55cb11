package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * Run only by the pom's avx2-kernels and narrow-kernels executions (the default one excludes it),
 * which name the vector width they asked the JVM for: a JVM that ignored -XX:UseAVX=2 or
 * -XX:MaxVectorSize=16 would test the 16-lane kernels again and the 8- or 4-lane ones never.
 */
class AskedVectorWidthTest {
    @Test
    void runsAtTheVectorWidthThisExecutionAskedFor() {
        String expected = System.getProperty("mrine.expect.vector.bits");
        assertNotNull(expected, "mrine.expect.vector.bits: this test belongs to the avx2-kernels and narrow-kernels executions, which set it");
        assertEquals(Integer.parseInt(expected), FloatVector.SPECIES_PREFERRED.vectorBitSize());
    }
}
