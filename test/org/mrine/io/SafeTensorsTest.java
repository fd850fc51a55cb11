package org.mrine.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mrine.tensor.HostTensor;

class SafeTensorsTest {

    @TempDir
    Path dir;

    // ------------------------------------------------------------------ round trips

    @Test
    void roundTripKeepsTensorsMetadataAndOrder() throws IOException {
        SplittableRandom rng = new SplittableRandom(1);
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("zeta.weight", random(rng, 2, 3));
        tensors.put("scalar", new HostTensor(new int[0], new float[] {3.5f}));
        tensors.put("empty", new HostTensor(new int[] {0}, new float[0]));
        tensors.put("empty3d", new HostTensor(new int[] {2, 0, 3}, new float[0]));
        tensors.put("alpha.special", new HostTensor(new int[] {6}, new float[] {
            Float.NaN, -0.0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE}));
        tensors.put("big", random(rng, 300, 1000)); // > one 1 MiB I/O chunk
        LinkedHashMap<String, String> meta = new LinkedHashMap<>();
        meta.put("config", "{\"model\": {\"n_x\": 3}}");
        meta.put("note", "é 😀 \"quoted\"\n");

        Path file = dir.resolve("rt.safetensors");
        SafeTensors.write(file, tensors, meta);
        SafeTensors.Contents back = SafeTensors.read(file);

        assertEquals(file.toString(), back.source());
        assertEquals(new ArrayList<>(tensors.keySet()), new ArrayList<>(back.tensors().keySet()), "file order is kept");
        for (var e : tensors.entrySet()) {
            HostTensor got = back.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
            assertArrayEquals(e.getValue().data(), got.data(), e.getKey()); // bitwise: NaN, -0.0 kept
        }
        assertEquals(meta, back.metadata());
        assertEquals(new ArrayList<>(meta.keySet()), new ArrayList<>(back.metadata().keySet()));

        // The layout on disk is the standard one: padded header, exact field names, contiguous F32 data.
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header padded to a multiple of 8");
        String headerText = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
        Map<String, Object> header = Json.object(Json.parse(headerText), "header");
        assertEquals(List.of("__metadata__", "zeta.weight", "scalar", "empty", "empty3d", "alpha.special", "big"),
                new ArrayList<>(header.keySet()));
        Map<String, Object> zeta = Json.object(header.get("zeta.weight"), "zeta");
        assertEquals(List.of("dtype", "shape", "data_offsets"), new ArrayList<>(zeta.keySet()));
        assertEquals("F32", zeta.get("dtype"));
        assertEquals(List.of(2L, 3L), zeta.get("shape"));
        assertEquals(List.of(0L, 24L), zeta.get("data_offsets"));
        assertEquals(List.of(), Json.object(header.get("scalar"), "scalar").get("shape"));
        assertEquals(List.of(24L, 28L), Json.object(header.get("scalar"), "scalar").get("data_offsets"));
        assertEquals(8 + n + 4L * (6 + 1 + 6 + 300_000), bytes.length);
        float first = ByteBuffer.wrap(bytes, (int) (8 + n), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        assertEquals(tensors.get("zeta.weight").data()[0], first, "little-endian data at the buffer start");
    }

    @Test
    void emptyOrNullMetadataWritesNoMetadataEntry() throws IOException {
        Map<String, HostTensor> one = Map.of("x", new HostTensor(new int[] {1}, new float[] {1f}));
        for (Map<String, String> meta : Arrays.asList(Map.<String, String>of(), null)) {
            Path file = dir.resolve("nometa.safetensors");
            SafeTensors.write(file, one, meta);
            byte[] bytes = Files.readAllBytes(file);
            assertFalse(new String(bytes, StandardCharsets.UTF_8).contains("__metadata__"));
            assertTrue(SafeTensors.read(file).metadata().isEmpty());
        }
        SafeTensors.write(dir.resolve("none.safetensors"), Map.of(), null);
        assertTrue(SafeTensors.read(dir.resolve("none.safetensors")).tensors().isEmpty());
    }

    @Test
    void readsAndConvertsEveryDtype() throws IOException {
        RawFile f = new RawFile();
        f.tensor("f64", "F64", "[2]", le(16, b -> b.putDouble(1.5).putDouble(-1e300)));
        f.tensor("f16", "F16", "[3]", le(6, b -> b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF)));
        f.tensor("bf16", "BF16", "[2]", le(4, b -> b.putShort((short) 0x3FC0).putShort((short) 0xC2F7)));
        f.tensor("i64", "I64", "[2]", le(16, b -> b.putLong(-7).putLong(1L << 40)));
        f.tensor("i32", "I32", "[2]", le(8, b -> b.putInt(-123456).putInt(Integer.MAX_VALUE)));
        f.tensor("i16", "I16", "[2]", le(4, b -> b.putShort((short) -300).putShort((short) 32767)));
        f.tensor("i8", "I8", "[2]", new byte[] {-128, 127});
        f.tensor("u64", "U64", "[2]", le(16, b -> b.putLong(5).putLong(-1L)));
        f.tensor("u32", "U32", "[1]", le(4, b -> b.putInt(-1)));
        f.tensor("u16", "U16", "[1]", le(2, b -> b.putShort((short) -1)));
        f.tensor("u8", "U8", "[2, 1]", new byte[] {(byte) 255, 7});
        f.tensor("bool", "BOOL", "[3]", new byte[] {1, 0, 1});
        f.tensor("f32", "F32", "[]", le(4, b -> b.putFloat(2.25f)));
        Path file = f.save(dir.resolve("dtypes.safetensors"));

        SafeTensors.Contents c = SafeTensors.read(file);
        assertArrayEquals(new float[] {1.5f, Float.NEGATIVE_INFINITY}, c.get("f64").data());
        assertArrayEquals(new float[] {1f, -2f, 65504f}, c.get("f16").data());
        assertArrayEquals(new float[] {1.5f, -123.5f}, c.get("bf16").data());
        assertArrayEquals(new float[] {-7f, 0x1p40f}, c.get("i64").data());
        assertArrayEquals(new float[] {-123456f, (float) Integer.MAX_VALUE}, c.get("i32").data());
        assertArrayEquals(new float[] {-300f, 32767f}, c.get("i16").data());
        assertArrayEquals(new float[] {-128f, 127f}, c.get("i8").data());
        assertArrayEquals(new float[] {5f, 0x1p64f}, c.get("u64").data());
        assertArrayEquals(new float[] {4294967295f}, c.get("u32").data());
        assertArrayEquals(new float[] {65535f}, c.get("u16").data());
        assertArrayEquals(new float[] {255f, 7f}, c.get("u8").data());
        assertArrayEquals(new int[] {2, 1}, c.get("u8").shape());
        assertArrayEquals(new float[] {1f, 0f, 1f}, c.get("bool").data());
        assertArrayEquals(new int[0], c.get("f32").shape());
        assertArrayEquals(new float[] {2.25f}, c.get("f32").data());
    }

    @Test
    void readsTheSharedReferenceFixture() {
        Path file = Path.of(System.getProperty("mrine.shared", "../shared"), "fixtures", "reference-small.safetensors");
        assertTrue(Files.isRegularFile(file), "fixture missing: " + file.toAbsolutePath());
        SafeTensors.Contents c = SafeTensors.read(file);
        assertTrue(c.has("param.ldm.A"));
        assertArrayEquals(new int[] {3, 3}, c.get("param.ldm.A").shape());
        Map<String, Object> config = Json.object(Json.parse(c.metadata().get("config")), "config");
        assertEquals(3, Json.integer(Json.object(config.get("model"), "model").get("n_x"), "model.n_x"));
        Map<String, HostTensor> params = c.withPrefix("param.");
        assertTrue(params.containsKey("ldm.A"));
        assertEquals(c.get("param.ldm.A"), params.get("ldm.A"));
    }

    @Test
    void accessorsByNameAndPrefix() {
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("param.b", HostTensor.zeros(1));
        t.put("grad.a", HostTensor.zeros(2));
        t.put("param.a", HostTensor.zeros(3));
        Path file = dir.resolve("names.safetensors");
        SafeTensors.write(file, t, Map.of());
        SafeTensors.Contents c = SafeTensors.read(file);
        assertTrue(c.has("grad.a"));
        assertFalse(c.has("grad.b"));
        assertEquals(List.of("b", "a"), new ArrayList<>(c.withPrefix("param.").keySet()));
        assertArrayEquals(new int[] {3}, c.withPrefix("param.").get("a").shape());
        FormatException e = assertThrows(FormatException.class, () -> c.get("param.missing"));
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains("param.missing"), e.getMessage());
    }

    // ------------------------------------------------------------------ writing is atomic

    @Test
    void writeReplacesAnExistingFileWholeAndLeavesNoTempFiles() throws IOException {
        Path file = dir.resolve("sub/dir/ckpt.safetensors"); // parents are created
        SafeTensors.write(file, Map.of("big", random(new SplittableRandom(2), 1000, 100)), Map.of("v", "1"));
        long bigSize = Files.size(file);

        HostTensor small = new HostTensor(new int[] {2}, new float[] {1f, 2f});
        SafeTensors.write(file, Map.of("small", small), Map.of("v", "2"));
        SafeTensors.Contents c = SafeTensors.read(file);
        assertEquals(List.of("small"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(small.data(), c.get("small").data());
        assertEquals(Map.of("v", "2"), c.metadata());
        assertTrue(Files.size(file) < bigSize, "no tail of the old file is left");
        assertEquals(List.of(file), list(file.getParent()), "only the target file is left in the directory");

        // A failing write (bad name) leaves the old file and nothing else.
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("__metadata__", small), Map.of()));
        assertEquals(List.of(file), list(file.getParent()));
        assertArrayEquals(small.data(), SafeTensors.read(file).get("small").data());
    }

    @Test
    void writeRejectsInconsistentTensors() {
        HostTensor t = new HostTensor(new int[] {2}, new float[] {1f, 2f});
        t.shape()[0] = 3; // records expose their arrays: HostTensor's own check can be bypassed
        Path file = dir.resolve("bad.safetensors");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("x", t), Map.of()));
        assertTrue(e.getMessage().contains("x"), e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void missingFileIsAnIoErrorNamingTheFile() {
        Path file = dir.resolve("nope.safetensors");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void rejectsFilesShorterThanTheLengthPrefix() throws IOException {
        expectBad("short.safetensors", new byte[] {1, 2, 3}, "8-byte header length");
        expectBad("zero.safetensors", new byte[0], "8-byte header length");
    }

    @Test
    void rejectsHeaderLengthsTooLarge() throws IOException {
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        expectBad("past-end.safetensors", raw(1000, header, new byte[0]), "header length 1000", "truncated");
        expectBad("over-cap.safetensors", raw(200L << 20, header, new byte[0]), "exceeds the limit");
        expectBad("unsigned.safetensors", raw(-1L, header, new byte[0]), "18446744073709551615");
    }

    @Test
    void rejectsHeadersThatAreNotJsonObjects() throws IOException {
        expectBad("badjson.safetensors", raw("{\"x\": {\"dtype\": \"F32\",}}", new byte[0]), "not valid JSON", "offset");
        expectBad("array.safetensors", raw("[1, 2]", new byte[0]), "must be a JSON object");
        expectBad("empty-header.safetensors", raw("", new byte[0]), "not valid JSON");
        byte[] latin1 = "{\"\u00e9\": 1}".getBytes(StandardCharsets.ISO_8859_1);
        expectBad("latin1.safetensors", raw(latin1.length, latin1, new byte[0]), "UTF-8");
        expectBad("dup.safetensors", raw("{\"a\": {}, \"a\": {}}", new byte[0]), "duplicate key");
    }

    @Test
    void rejectsBadTensorEntriesNamingTheTensor() throws IOException {
        byte[] data = new byte[16];
        expectBad("dtype.safetensors", entry("w", "{\"dtype\": \"Q4\", \"shape\": [4], \"data_offsets\": [0, 16]}", data),
                "tensor w", "unknown dtype \"Q4\"");
        expectBad("nodtype.safetensors", entry("w", "{\"shape\": [4], \"data_offsets\": [0, 16]}", data),
                "tensor w: dtype", "expected a string");
        expectBad("shapetype.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": \"4\", \"data_offsets\": [0, 16]}", data),
                "tensor w: shape", "expected an array");
        expectBad("dimtype.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [4.0], \"data_offsets\": [0, 16]}", data),
                "tensor w: shape[0]", "expected an integer");
        expectBad("negdim.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [-4], \"data_offsets\": [0, 16]}", data),
                "tensor w", "negative dimension");
        expectBad("huge.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [65536, 65536], \"data_offsets\": [0, 16]}", data),
                "tensor w", "too many");
        expectBad("nooffsets.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [4]}", data),
                "tensor w: data_offsets", "expected an array");
        expectBad("threeoffsets.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 8, 16]}", data),
                "tensor w", "[begin, end]");
        expectBad("mismatch.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 16]}", data),
                "tensor w", "span 16 bytes", "needs 12");
        expectBad("reversed.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [16, 0]}", data),
                "tensor w", "0 <= begin <= end");
        expectBad("past.safetensors", entry("w", "{\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [4, 20]}", data),
                "tensor w", "past the end");
        expectBad("notobject.safetensors", entry("w", "[1]", data), "tensor w", "expected an object");
        expectBad("bool.safetensors", entry("w", "{\"dtype\": \"BOOL\", \"shape\": [2], \"data_offsets\": [0, 2]}", new byte[] {1, 2}),
                "tensor w", "expected 0 or 1");
    }

    @Test
    void rejectsOverlapsBadMetadataAndTruncation() throws IOException {
        RawFile overlap = new RawFile();
        overlap.header.append("\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}, ")
                .append("\"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}");
        overlap.data.write(new byte[12]);
        expectBad("overlap.safetensors", overlap.bytes(), "tensors a", "and b", "overlap");

        expectBad("meta.safetensors", raw("{\"__metadata__\": {\"config\": {\"n\": 1}}}", new byte[0]),
                "__metadata__ key config", "expected a string");
        expectBad("meta2.safetensors", raw("{\"__metadata__\": [\"x\"]}", new byte[0]), "__metadata__", "expected an object");

        // A valid file cut short in its data: the message names the tensor that does not fit.
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("first", HostTensor.zeros(4));
        t.put("second", HostTensor.zeros(4));
        Path good = dir.resolve("good.safetensors");
        SafeTensors.write(good, t, Map.of());
        byte[] bytes = Files.readAllBytes(good);
        expectBad("truncated.safetensors", Arrays.copyOf(bytes, bytes.length - 1), "tensor second", "file truncated");
        expectBad("truncated-header.safetensors", Arrays.copyOf(bytes, 20), "header length", "truncated");
    }

    /**
     * Bounded fuzzing: random corruptions of valid files must be either read or rejected with a
     * FormatException; never another exception type, never a hang.
     */
    @Test
    void corruptedFilesFailOnlyWithFormatException() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        RawFile mixed = new RawFile();
        mixed.tensor("f16", "F16", "[2, 2]", le(8, b -> b.putShort((short) 0x3C00).putShort((short) 1).putShort((short) 2).putShort((short) 3)));
        mixed.tensor("bool", "BOOL", "[3]", new byte[] {1, 0, 1});
        mixed.tensor("i64", "I64", "[]", le(8, b -> b.putLong(42)));
        mixed.tensor("f32", "F32", "[2]", le(8, b -> b.putFloat(1f).putFloat(2f)));
        mixed.header.append(", \"__metadata__\": {\"config\": \"{\\\"a\\\": [1, 2.5e-3]}\"}");
        seeds.add(mixed.bytes());
        LinkedHashMap<String, HostTensor> t = new LinkedHashMap<>();
        t.put("param.w", random(new SplittableRandom(3), 3, 4));
        t.put("scalar", new HostTensor(new int[0], new float[] {1f}));
        t.put("empty", HostTensor.zeros(0, 2));
        Path written = dir.resolve("seed.safetensors");
        SafeTensors.write(written, t, Map.of("k", "v"));
        seeds.add(Files.readAllBytes(written));

        Path file = dir.resolve("fuzz.safetensors");
        SplittableRandom rng = new SplittableRandom(20240611);
        int[] outcomes = new int[2]; // [read ok, FormatException]
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            for (int iter = 0; iter < 3000; iter++) {
                byte[] seed = seeds.get(iter % seeds.size());
                byte[] b = mutate(seed, rng);
                Files.write(file, b);
                try {
                    SafeTensors.read(file);
                    outcomes[0]++;
                } catch (FormatException expected) {
                    outcomes[1]++;
                } catch (Throwable other) {
                    fail("iteration " + iter + ": " + other + " for bytes " + Arrays.toString(b), other);
                }
            }
        });
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0, "fuzzing should hit both outcomes: " + Arrays.toString(outcomes));
    }

    private static byte[] mutate(byte[] seed, SplittableRandom rng) {
        byte[] b = seed.clone();
        int headerEnd = (int) Math.min(b.length, 8 + ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong());
        String jsonChars = "0123456789-+.eE[]{},:\"\\ ufFtn";
        switch (rng.nextInt(6)) {
            case 0 -> { // flip random bits, mostly in the header where the structure is
                for (int k = 1 + rng.nextInt(3); k > 0; k--) {
                    int at = rng.nextInt(4) > 0 ? rng.nextInt(headerEnd) : rng.nextInt(b.length);
                    b[at] ^= (byte) (1 << rng.nextInt(8));
                }
            }
            case 1 -> { // JSON-significant characters into the header
                for (int k = 1 + rng.nextInt(2); k > 0; k--) {
                    b[8 + rng.nextInt(headerEnd - 8)] = (byte) jsonChars.charAt(rng.nextInt(jsonChars.length()));
                }
            }
            case 2 -> b = Arrays.copyOf(b, rng.nextInt(b.length)); // truncation
            case 3 -> { // a different header length
                long len = rng.nextBoolean() ? rng.nextLong() : rng.nextInt(b.length + 16);
                ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(len);
            }
            case 4 -> { // random bytes anywhere
                for (int k = 1 + rng.nextInt(4); k > 0; k--) b[rng.nextInt(b.length)] = (byte) rng.nextInt(256);
            }
            default -> { // garbage appended (a valid file with trailing bytes, or a header-length mismatch)
                byte[] extra = new byte[1 + rng.nextInt(16)];
                for (int i = 0; i < extra.length; i++) extra[i] = (byte) rng.nextInt(256);
                byte[] longer = Arrays.copyOf(b, b.length + extra.length);
                System.arraycopy(extra, 0, longer, b.length, extra.length);
                b = longer;
            }
        }
        return b;
    }

    // ------------------------------------------------------------------ helpers

    /** Writes {@code bytes} as {@code name}, expects a FormatException naming the file and each fragment. */
    private FormatException expectBad(String name, byte[] bytes, String... fragments) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        FormatException e = assertThrows(FormatException.class, () -> SafeTensors.read(file), name);
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "expected '" + f + "' in: " + e.getMessage());
        }
        return e;
    }

    private static HostTensor random(SplittableRandom rng, int... shape) {
        HostTensor t = HostTensor.zeros(shape);
        for (int i = 0; i < t.data().length; i++) t.data()[i] = (float) rng.nextGaussian();
        return t;
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    /** A file with one tensor entry {@code "name": infoJson}. */
    private static byte[] entry(String name, String infoJson, byte[] data) {
        return raw("{\"" + name + "\": " + infoJson + "}", data);
    }

    private static byte[] raw(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return raw(h.length, h, data);
    }

    /** Length prefix (as given, possibly wrong), header bytes, data. */
    private static byte[] raw(long headerLen, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(headerLen).put(header).put(data).array();
    }

    private interface Filler {
        void fill(ByteBuffer b);
    }

    private static byte[] le(int size, Filler f) {
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        f.fill(b);
        return b.array();
    }

    /** Builds a file by hand, with any dtype, tensors laid out contiguously. */
    private static final class RawFile {
        final StringBuilder header = new StringBuilder();
        final ByteArrayOutputStream data = new ByteArrayOutputStream();

        void tensor(String name, String dtype, String shape, byte[] bytes) {
            if (!header.isEmpty()) header.append(", ");
            header.append('"').append(name).append("\": {\"dtype\": \"").append(dtype).append("\", \"shape\": ")
                    .append(shape).append(", \"data_offsets\": [").append(data.size()).append(", ")
                    .append(data.size() + bytes.length).append("]}");
            data.writeBytes(bytes);
        }

        byte[] bytes() {
            return raw("{" + header + "}", data.toByteArray());
        }

        Path save(Path file) throws IOException {
            return Files.write(file, bytes());
        }
    }
}
