package org.mrine.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mrine.backend.cpu.Segments.at;
import static org.mrine.backend.cpu.Segments.gaussian;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The register-block transposes against the plain loops, bit for bit: shapes with whole blocks
 * only, with strips right of and below them, and smaller than one block; leading dimensions wider
 * than the rows; symmetrizing in place and M + M^T out of place.
 */
class TransposeTest {
    private static final int[] SIZES = {1, 5, 8, 16, 17, 24, 33, 64, 70};
    private final SplittableRandom rng = new SplittableRandom(11);

    @Test
    void transposeMovesEveryEntry() {
        int checked = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int m : SIZES) {
                for (int n : SIZES) {
                    int lds = n + 3, ldd = m + 5;
                    MemorySegment src = gaussian(arena, rng, (long) m * lds + 2), dst = gaussian(arena, rng, (long) n * ldd);
                    float[] before = dst.toArray(ValueLayout.JAVA_FLOAT);
                    Transpose.transpose(m, n, src, 2, lds, dst, 0, ldd);
                    for (int j = 0; j < n; j++) {
                        for (int i = 0; i < ldd; i++) {
                            float want = i < m ? at(src, 2 + (long) i * lds + j) : before[j * ldd + i];
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(at(dst, (long) j * ldd + i)),
                                    m + "x" + n + ": dst(" + j + "," + i + ")" + (i < m ? "" : " is padding and must stay"));
                            checked++;
                        }
                    }
                }
            }
        }
        int want = 0;
        for (int m : SIZES) for (int n : SIZES) want += n * (m + 5);
        assertEquals(want, checked);
    }

    @Test
    void sumWithTransposeIsThePairwiseFormula() {
        int checked = 0;
        try (Arena arena = Arena.ofConfined()) {
            for (int n : SIZES) {
                for (boolean inPlace : new boolean[] {false, true}) {
                    MemorySegment m = gaussian(arena, rng, (long) n * n);
                    float[] orig = m.toArray(ValueLayout.JAVA_FLOAT);
                    MemorySegment out = inPlace ? m : gaussian(arena, rng, (long) n * n);
                    float scale = inPlace ? 0.5f : 1f;
                    boolean keepDiagonal = inPlace;
                    if (inPlace) {
                        Blas.symmetrize(n, m, 0);
                    } else {
                        Blas.addTransposeInto(n, m, 0, out, 0);
                    }
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            float want = i == j && keepDiagonal ? orig[i * n + i] : scale * (orig[i * n + j] + orig[j * n + i]);
                            assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(at(out, (long) i * n + j)),
                                    (inPlace ? "symmetrize " : "M + M^T ") + n + " at " + i + "," + j);
                            checked++;
                        }
                    }
                }
            }
        }
        int want = 0;
        for (int n : SIZES) want += 2 * n * n;
        assertEquals(want, checked);
    }
}
