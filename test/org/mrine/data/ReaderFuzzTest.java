package org.mrine.data;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.io.FormatException;
import org.mrine.io.SafeTensors;
import org.mrine.model.Likelihood;

/**
 * A bounded, seeded fuzz run of the binary readers: valid files mutated (bytes flipped, runs
 * overwritten with digits or 0xff, cut short, bytes inserted or removed). A reader may accept a
 * mutant or reject it with a FormatException; any other exception fails the test with
 * the seed and iteration that reproduce it.
 */
class ReaderFuzzTest {
    @TempDir
    Path dir;

    private static final long SEED = 20261125L;

    /**
     * Where mutants are written: a RAM disk when there is one (/dev/shm: a small file is written in
     * microseconds there, in milliseconds on a busy overlay disk), else the test's temporary folder.
     */
    private Path scratch() throws IOException {
        Path shm = Path.of("/dev/shm");
        return Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "mrine-fuzz") : dir;
    }

    private void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
        if (!file.getParent().equals(dir)) Files.deleteIfExists(file.getParent());
    }

    /** One mutation of {@code valid}, drawn from {@code rng}. */
    static byte[] mutate(byte[] valid, Random rng) {
        byte[] b = valid.clone();
        int kinds = 1 + rng.nextInt(3);
        for (int k = 0; k < kinds; k++) {
            if (b.length == 0) break;
            switch (rng.nextInt(6)) {
                case 0 -> { // flip a few bits, biased to the header where the structure is
                    int n = 1 + rng.nextInt(4);
                    for (int i = 0; i < n; i++) {
                        int at = rng.nextBoolean() ? rng.nextInt(Math.min(b.length, 160)) : rng.nextInt(b.length);
                        b[at] ^= (byte) (1 << rng.nextInt(8));
                    }
                }
                case 1 -> b = Arrays.copyOf(b, rng.nextInt(b.length)); // truncate
                case 2 -> { // overwrite a run with digits (numbers in headers grow or shrink)
                    int at = rng.nextInt(Math.min(b.length, 160)), n = 1 + rng.nextInt(6);
                    for (int i = at; i < Math.min(b.length, at + n); i++) b[i] = (byte) ('0' + rng.nextInt(10));
                }
                case 3 -> { // overwrite a run with 0xff (huge lengths, negative numbers)
                    int at = rng.nextInt(b.length), n = 1 + rng.nextInt(8);
                    for (int i = at; i < Math.min(b.length, at + n); i++) b[i] = (byte) 0xff;
                }
                case 4 -> { // insert random bytes
                    int at = rng.nextInt(b.length + 1), n = 1 + rng.nextInt(8);
                    byte[] ins = new byte[n];
                    rng.nextBytes(ins);
                    byte[] out = new byte[b.length + n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(ins, 0, out, at, n);
                    System.arraycopy(b, at, out, at + n, b.length - at);
                    b = out;
                }
                default -> { // remove a run
                    int at = rng.nextInt(b.length), n = Math.min(b.length - at, 1 + rng.nextInt(8));
                    byte[] out = new byte[b.length - n];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + n, out, at, b.length - at - n);
                    b = out;
                }
            }
        }
        return b;
    }

    interface Reader {
        void read(byte[] bytes) throws Exception;
    }

    /** Runs {@code iterations} mutants of each seed input; returns how many were accepted. */
    private static int fuzz(String what, List<byte[]> seeds, int iterations, long seed, Reader reader) {
        Random rng = new Random(seed);
        int accepted = 0;
        for (int i = 0; i < iterations; i++) {
            byte[] input = mutate(seeds.get(i % seeds.size()), rng);
            try {
                reader.read(input);
                accepted++;
            } catch (FormatException expected) {
                // the one allowed failure
            } catch (Throwable t) {
                fail(what + ": iteration " + i + " (seed " + seed + ") threw " + t, t);
            }
        }
        return accepted;
    }

    private static List<byte[]> npySeeds() {
        List<byte[]> s = new ArrayList<>();
        s.add(NpzWriter.npy(new int[] {2, 3}, new double[] {1, 2, 3, 4, 5, 6}, true));
        s.add(NpzWriter.npy(new int[] {4}, new double[] {1, -1, 0.5, Double.NaN}, false));
        s.add(NpzWriter.npy(new int[0], new double[] {7}, true));
        return s;
    }

    @Test
    void npyReader() {
        int accepted = fuzz("npy", npySeeds(), 3000, SEED, b -> NpyReader.read(new ByteArrayInputStream(b), "x", "fuzz.npy"));
        assertTrue(accepted > 0 && accepted < 3000, "accepted " + accepted);
    }

    @Test
    void npzReader() throws IOException {
        Map<String, NumericArray> arrays = new LinkedHashMap<>();
        arrays.put("a", new NumericArray("a", "<f8", new int[] {3, 2}, new double[] {1, 2, 3, 4, 5, 6}));
        arrays.put("b", new NumericArray("b", "<f8", new int[] {2}, new double[] {-1, 1}));
        List<byte[]> seeds = new ArrayList<>();
        for (boolean compressed : new boolean[] {false, true}) {
            Path f = dir.resolve("seed" + compressed + ".npz");
            NpzWriter.write(f, arrays, compressed, compressed);
            seeds.add(Files.readAllBytes(f));
        }
        seeds.add(Files.readAllBytes(TestFiles.resource("numpy_recording.npz")));
        Path file = scratch().resolve("fuzz.npz");
        int accepted;
        try {
            accepted = fuzz("npz", seeds, 1500, SEED + 1, b -> {
                Files.write(file, b);
                NpzReader.readAll(file);
            });
        } finally {
            delete(file);
        }
        assertTrue(accepted < 1500, "accepted " + accepted);
    }

    @Test
    void safeTensorsReaderAndDatasetLoader() throws IOException {
        float[] values = new float[2 * 5 * 3], mask = new float[2 * 5], beh = new float[2 * 5];
        for (int i = 0; i < values.length; i++) values[i] = i % 4;
        Arrays.fill(mask, 1);
        Dataset d = new Dataset(List.of(new ModalityData("spikes", Likelihood.POISSON, 3, values, mask)), 2, 5, beh, 1,
                List.of("x"), 10, Map.of("source", "fuzz"));
        Path seedFile = dir.resolve("seed.safetensors");
        d.save(seedFile);
        List<byte[]> seeds = List.of(Files.readAllBytes(seedFile));
        Path file = scratch().resolve("fuzz.safetensors");
        int accepted;
        try {
            accepted = fuzz("safetensors", seeds, 2000, SEED + 2, b -> {
                Files.write(file, b);
                SafeTensors.read(file);
            });
            fuzz("dataset", seeds, 1000, SEED + 3, b -> {
                Files.write(file, b);
                Dataset.load(file);
            });
        } finally {
            delete(file);
        }
        assertTrue(accepted < 2000, "accepted " + accepted);
    }
}
