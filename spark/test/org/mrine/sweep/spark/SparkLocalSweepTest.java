package org.mrine.sweep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sweep on Spark's embedded local[2] master gives, cell for cell and bit for bit, what the
 * sweep on plain threads gives, and so the same choices, nested estimates and final setting.
 */
class SparkLocalSweepTest {
    @TempDir
    Path dir;

    @Test
    void localSparkEqualsThreadsBitForBit() throws Exception {
        Path[] in = SweepRuns.prepare(dir, SweepRuns.GRID);
        Path threads = dir.resolve("threads"), spark = dir.resolve("spark");
        SweepRuns.Run a = SweepRuns.sweep(in[0], in[1], threads, 3, "--executor", "local", "--threads", "2", "--no-final");
        assertEquals(0, a.status(), a.out());
        SweepRuns.Run b = SweepRuns.sweep(in[0], in[1], spark, 3, "--master", "local[2]");
        assertEquals(0, b.status(), b.out());
        assertTrue(b.out().contains("on Spark 4.2.0, master local[2]"), b.out());

        Map<String, String> ca = SweepRuns.cells(threads), cb = SweepRuns.cells(spark);
        assertEquals(SweepRuns.cellCount(3), ca.size());
        assertEquals(ca, cb);
        assertEquals(SweepRuns.conclusions(threads), SweepRuns.conclusions(spark));
        assertTrue(Files.readString(spark.resolve("results.csv")).contains("/executor-driver"));
        assertTrue(Files.exists(spark.resolve("final/mrine/checkpoint.safetensors")), b.out());
    }
}
