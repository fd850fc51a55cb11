package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.FormatException;

/** .npy and .npz: numpy's own files, our writer's round trips, hand-made headers. */
class NpyNpzTest {
    @TempDir
    Path dir;

    private static final double[] BASE = {1, 2, 3, 4, 5, 6};

    @Test
    void everyDtypeNumpyWrites() {
        Map<String, NumericArray> a = NpzReader.readAll(TestFiles.resource("numpy_dtypes.npz"));
        for (String name : List.of("xf2", "xf4", "xf8", "xi1", "xi2", "xi4", "xi8", "xu1", "xu2", "xu4", "xu8", "big_f8", "big_i4", "fortran")) {
            assertArrayEquals(new int[] {2, 3}, a.get(name).shape(), name);
            assertArrayEquals(BASE, a.get(name).data(), name);
        }
        assertEquals(">f8", a.get("big_f8").dtype());
        assertArrayEquals(new double[] {1, 0, 1, 0, 1, 0}, a.get("bool").data());
        assertArrayEquals(new int[0], a.get("scalar").shape());
        assertArrayEquals(new double[] {2.5}, a.get("scalar").data());
        assertArrayEquals(new int[] {0, 3}, a.get("empty").shape());
        assertArrayEquals(new double[] {18446744073709551615.0, 9223372036854775808.0}, a.get("u8max").data());
    }

    @Test
    void roundTripStoredAndDeflated() {
        SplittableRandom rng = new SplittableRandom(7);
        Map<String, NumericArray> arrays = new LinkedHashMap<>();
        double[] x = new double[5 * 7 * 3];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextGaussian();
        arrays.put("x", new NumericArray("x", "<f8", new int[] {5, 7, 3}, x));
        arrays.put("v", new NumericArray("v", "<f8", new int[] {4}, new double[] {Double.NaN, -0.0, 1e300, -1}));
        arrays.put("s", new NumericArray("s", "<f8", new int[0], new double[] {3}));
        arrays.put("e", new NumericArray("e", "<f8", new int[] {0}, new double[0]));
        for (boolean compressed : new boolean[] {false, true}) {
            Path file = dir.resolve(compressed ? "c.npz" : "s.npz");
            NpzWriter.write(file, arrays, compressed, true);
            Map<String, NumericArray> back = NpzReader.readAll(file);
            assertEquals(arrays.keySet(), back.keySet());
            for (String k : arrays.keySet()) {
                assertArrayEquals(arrays.get(k).shape(), back.get(k).shape(), k);
                assertArrayEquals(arrays.get(k).data(), back.get(k).data(), k);
                assertEquals("<f8", back.get(k).dtype());
            }
            // float32 rounds each value once.
            NpzWriter.write(file, arrays, compressed, false);
            NumericArray f = NpzReader.readAll(file).get("x");
            for (int i = 0; i < x.length; i++) assertEquals((float) x[i], f.data()[i]);
        }
    }

    @Test
    void npzImportRoundTrip() {
        // A recording written by our writer, imported with its variable names.
        int T = 120;
        double[] counts = new double[T * 3], pos = new double[T * 2];
        for (int t = 0; t < T; t++) {
            for (int n = 0; n < 3; n++) counts[t * 3 + n] = (t * (n + 1)) % 4;
            pos[t * 2] = 0.01 * t * t;
            pos[t * 2 + 1] = -t;
        }
        Map<String, NumericArray> arrays = new LinkedHashMap<>();
        arrays.put("counts", new NumericArray("counts", "<f8", new int[] {T, 3}, counts));
        arrays.put("position", new NumericArray("position", "<f8", new int[] {T, 2}, pos));
        arrays.put("dt", new NumericArray("dt", "<f8", new int[0], new double[] {0.01}));
        Path file = dir.resolve("rec.npz");
        NpzWriter.write(file, arrays, true, true);
        ImportOptions o = new ImportOptions();
        o.behavior = List.of("position");
        o.velocity = true;
        Dataset d = Datasets.open(file, o);
        assertEquals(10, d.binMs()); // dt = 0.01 s
        assertEquals(T, d.steps());
        for (int i = 0; i < counts.length; i++) assertEquals(counts[i], d.modality("spikes").values()[i]);
        assertEquals(List.of("position_x", "position_y", "position_x_vel", "position_y_vel"), d.behaviorNames());
        // d/dt of 0.01 t^2 (t in rows of 10 ms) at row 50: 0.02 * 50 per row = 100 per second.
        assertEquals(100, d.behavior()[50 * 4 + 2], 1e-3);
        assertEquals(-100, d.behavior()[50 * 4 + 3], 1e-3);
    }

    /** An .npy with the given header text (version 1.0) and data bytes. */
    private static byte[] npy(String dict, byte[] data) {
        byte[] h = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) h.length).put(h).put(data);
        return b.array();
    }

    private static NumericArray parse(byte[] bytes) throws IOException {
        return NpyReader.read(new ByteArrayInputStream(bytes), "a", "a.npy");
    }

    @Test
    void handMadeHeaders() throws IOException {
        ByteBuffer le = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(-2).putInt(3);
        NumericArray a = parse(npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", le.array()));
        assertArrayEquals(new double[] {1, -2, 3}, a.data());
        // Keys in another order, double quotes, no trailing comma, Python 2 long.
        a = parse(npy("{\"shape\": (1L, 3L), \"fortran_order\": False, \"descr\": \"<u4\"}", le.array()));
        assertArrayEquals(new int[] {1, 3}, a.shape());
        assertEquals(4294967294.0, a.data()[1]);
        // Version 2.0: a 4-byte header length.
        byte[] h = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n".getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer v2 = ByteBuffer.allocate(12 + h.length + 2).order(ByteOrder.LITTLE_ENDIAN);
        v2.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(h.length).put(h).put(new byte[] {(byte) 200, 7});
        assertArrayEquals(new double[] {200, 7}, parse(v2.array()).data());
        // Fortran order 2x3.
        ByteBuffer f = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : new double[] {1, 4, 2, 5, 3, 6}) f.putDouble(v);
        assertArrayEquals(BASE, parse(npy("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f.array())).data());
    }

    @Test
    void rejectsWhatItCannotRead() {
        FormatException e = assertThrows(FormatException.class,
                () -> parse(npy("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", new byte[20])));
        assertTrue(e.getMessage().contains("a.npy: dtype '<U5' is not supported"), e.getMessage());
        e = assertThrows(FormatException.class,
                () -> parse(npy("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new byte[4])));
        assertTrue(e.getMessage().contains("structured dtype"), e.getMessage());
        e = assertThrows(FormatException.class,
                () -> parse(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }", new byte[10])));
        assertTrue(e.getMessage().contains("a.npy: data holds 10 bytes but shape (3, 4) of <f8 needs 96 (truncated?)"), e.getMessage());
        e = assertThrows(FormatException.class,
                () -> parse(npy("{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", new byte[] {1, 9})));
        assertTrue(e.getMessage().contains("bool element 1 holds the byte 9"), e.getMessage());
        e = assertThrows(FormatException.class,
                () -> parse(npy("{'descr': '<f8', 'fortran_order': False, 'shape': (100000, 100000), }", new byte[0])));
        assertTrue(e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void singleNpyFile() throws IOException {
        Path file = dir.resolve("one.npy");
        NpzWriter.writeNpy(file, new int[] {2, 3}, BASE, false);
        NumericArray a = NpyReader.read(file);
        assertEquals("one", a.name());
        assertEquals("<f4", a.dtype());
        assertArrayEquals(BASE, a.data());
    }
}
