package org.mrine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.mrine.tensor.HostTensor;

/**
 * Reader and writer of the safetensors format.
 *
 * <pre>
 *   u64 little-endian   N, the header length in bytes
 *   N bytes             UTF-8 JSON object:
 *                         {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
 *                          "__metadata__": {"key": "string value", ...}}     (metadata optional)
 *   rest of the file    the data buffer; offsets are relative to its start, values little-endian
 * </pre>
 *
 * Everything is read into float32 {@link HostTensor}s (other dtypes are converted); everything is
 * written as F32. Every defect of an input file is reported as a {@link FormatException} naming the
 * file, the tensor or field, and what was expected. I/O failures (missing file, permissions) are
 * {@link UncheckedIOException}s naming the file.
 */
public final class SafeTensors {

    /** Largest header accepted (and written): a bigger one means a corrupt or hostile file. */
    public static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    /** The reserved header key holding string-to-string metadata. */
    public static final String METADATA_KEY = "__metadata__";

    /** Most elements one tensor may have: the practical limit of a Java float[]. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** I/O chunk; a multiple of 8 so no element of any dtype straddles two chunks. */
    private static final int CHUNK_BYTES = 1 << 20;

    private SafeTensors() {
    }

    /**
     * What a file holds: tensors and metadata, both in file order.
     *
     * @param source the file they were read from, for error messages
     */
    public record Contents(String source, LinkedHashMap<String, HostTensor> tensors, LinkedHashMap<String, String> metadata) {

        public Contents {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(tensors, "tensors");
            Objects.requireNonNull(metadata, "metadata");
        }

        /** The tensor called {@code name}; a {@link FormatException} naming the file if it is absent. */
        public HostTensor get(String name) {
            HostTensor t = tensors.get(name);
            if (t == null) {
                throw new FormatException(source + ": tensor " + name + " is missing (the file holds "
                        + tensors.size() + " tensors)");
            }
            return t;
        }

        public boolean has(String name) {
            return tensors.containsKey(name);
        }

        /** The tensors whose name starts with {@code prefix}, with the prefix stripped, in file order. */
        public Map<String, HostTensor> withPrefix(String prefix) {
            LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
            tensors.forEach((name, t) -> {
                if (name.startsWith(prefix)) out.put(name.substring(prefix.length()), t);
            });
            return out;
        }
    }

    /** The element types we read; names and sizes as in the safetensors specification. */
    private enum DType {
        F64(8), F32(4), F16(2), BF16(2),
        I64(8), I32(4), I16(2), I8(1),
        U64(8), U32(4), U16(2), U8(1),
        BOOL(1);

        final int size;

        DType(int size) {
            this.size = size;
        }

        static DType byName(String name) {
            for (DType d : values()) {
                if (d.name().equals(name)) return d;
            }
            return null;
        }
    }

    /** One validated header entry; offsets relative to the data buffer. */
    private record Entry(String name, DType dtype, int[] shape, int numel, long begin, long end) {
    }

    // ------------------------------------------------------------------ reading

    /** Reads and validates {@code file}; see the class comment for what is thrown. */
    public static Contents read(Path file) {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(ch, where);
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": cannot read: " + reason(e, where), e);
        }
    }

    /**
     * What a file holds without its data: metadata and tensor names, every entry checked as
     * {@link #read} checks it (offsets against the file's length included). Cheap on large files.
     */
    public record Header(String source, LinkedHashMap<String, String> metadata, List<String> tensors) {
    }

    /** Reads and validates the header of {@code file} only; see {@link Header}. */
    public static Header readHeader(Path file) {
        String where = file.toString();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Parsed p = parse(ch, where);
            return new Header(where, p.metadata, p.entries.stream().map(Entry::name).collect(java.util.stream.Collectors.toList()));
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": cannot read: " + reason(e, where), e);
        }
    }

    /** A validated header: metadata, entries, and where the data buffer starts. */
    private record Parsed(LinkedHashMap<String, String> metadata, List<Entry> entries, long dataStart) {
    }

    private static Contents read(FileChannel ch, String where) throws IOException {
        Parsed p = parse(ch, where);
        List<Entry> entries = p.entries;
        long dataStart = p.dataStart;
        long largest = 0;
        for (Entry e : entries) largest = Math.max(largest, e.end - e.begin);
        // Small files get a small buffer; rounded up to 8 so chunks stay element-aligned.
        ByteBuffer buf = ByteBuffer.allocate((int) Math.max(8, (Math.min(largest, CHUNK_BYTES) + 7) & ~7L))
                .order(ByteOrder.LITTLE_ENDIAN);
        LinkedHashMap<String, HostTensor> tensors = new LinkedHashMap<>();
        for (Entry e : entries) {
            tensors.put(e.name, new HostTensor(e.shape, readData(ch, e, dataStart, buf, where)));
        }
        return new Contents(where, tensors, p.metadata);
    }

    private static Parsed parse(FileChannel ch, String where) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new FormatException(where + ": file is " + size
                    + " bytes long; a safetensors file starts with an 8-byte header length");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, prefix, 0, where);
        long headerLen = prefix.getLong(0); // an unsigned u64: "negative" means above 2^63
        if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
            throw new FormatException(where + ": header length " + Long.toUnsignedString(headerLen)
                    + " bytes exceeds the limit of " + MAX_HEADER_BYTES + " bytes (not a safetensors file, or corrupt)");
        }
        if (headerLen > size - 8) {
            throw new FormatException(where + ": header length " + headerLen + " bytes is larger than the "
                    + (size - 8) + " bytes that follow it (file truncated, or not a safetensors file)");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLen);
        readFully(ch, headerBytes, 8, where);
        headerBytes.flip();

        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(headerBytes).toString();
        } catch (CharacterCodingException e) {
            throw new FormatException(where + ": header is not valid UTF-8", e);
        }
        Object root;
        try {
            root = Json.parse(text);
        } catch (IllegalArgumentException e) {
            throw new FormatException(where + ": header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> header)) {
            throw new FormatException(where + ": header must be a JSON object but is " + Json.describe(root));
        }

        long dataStart = 8 + headerLen;
        long bufferLen = size - dataStart;
        LinkedHashMap<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : header.entrySet()) {
            String name = (String) e.getKey(); // Json objects always have String keys
            if (METADATA_KEY.equals(name)) {
                metadata = parseMetadata(e.getValue(), where);
            } else {
                entries.add(parseEntry(name, e.getValue(), bufferLen, where));
            }
        }
        checkOverlaps(entries, where);
        return new Parsed(metadata, entries, dataStart);
    }

    private static LinkedHashMap<String, String> parseMetadata(Object value, String where) {
        try {
            LinkedHashMap<String, String> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : Json.object(value, where + ": " + METADATA_KEY).entrySet()) {
                out.put(e.getKey(), Json.string(e.getValue(), where + ": " + METADATA_KEY + " key " + e.getKey()));
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new FormatException(e.getMessage(), e);
        }
    }

    private static Entry parseEntry(String name, Object value, long bufferLen, String where) {
        String what = where + ": tensor " + name;
        try {
            Map<String, Object> info = Json.object(value, what);

            String dtypeName = Json.string(info.get("dtype"), what + ": dtype");
            DType dtype = DType.byName(dtypeName);
            if (dtype == null) {
                throw new FormatException(what + ": unknown dtype \"" + dtypeName + "\" (supported: "
                        + Arrays.toString(DType.values()) + ")");
            }

            List<Object> dims = Json.array(info.get("shape"), what + ": shape");
            int[] shape = new int[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = Json.integer(dims.get(i), what + ": shape[" + i + "]");
                if (shape[i] < 0) throw new FormatException(what + ": shape " + dims + " has a negative dimension");
            }
            int numel = numel(shape, dims, what);

            List<Object> offsets = Json.array(info.get("data_offsets"), what + ": data_offsets");
            if (offsets.size() != 2) {
                throw new FormatException(what + ": data_offsets must be [begin, end] but has "
                        + offsets.size() + " entries");
            }
            long begin = Json.longInteger(offsets.get(0), what + ": data_offsets[0]");
            long end = Json.longInteger(offsets.get(1), what + ": data_offsets[1]");
            String range = "data_offsets [" + begin + ", " + end + "]";
            if (begin < 0 || end < begin) {
                throw new FormatException(what + ": " + range + " must satisfy 0 <= begin <= end");
            }
            long need = (long) numel * dtype.size; // <= 2^31 * 8: no overflow
            if (end - begin != need) {
                throw new FormatException(what + ": " + range + " span " + (end - begin) + " bytes but shape "
                        + dims + " of " + dtype + " needs " + need);
            }
            if (end > bufferLen) {
                throw new FormatException(what + ": " + range + " reach past the end of the data buffer, which holds "
                        + bufferLen + " bytes (file truncated?)");
            }
            return new Entry(name, dtype, shape, numel, begin, end);
        } catch (IllegalArgumentException e) { // type mismatches from the Json accessors
            throw new FormatException(e.getMessage(), e);
        }
    }

    private static int numel(int[] shape, List<Object> dims, String what) {
        for (int d : shape) {
            if (d == 0) return 0;
        }
        long n = 1;
        for (int d : shape) {
            n *= d; // n <= MAX_ELEMENTS < 2^31 and d < 2^31 before this: cannot overflow
            if (n > MAX_ELEMENTS) {
                throw new FormatException(what + ": shape " + dims + " has more than " + MAX_ELEMENTS
                        + " elements, too many for one float32 heap tensor");
            }
        }
        return (int) n;
    }

    /** Two tensors sharing bytes is never intended; empty tensors occupy nothing and never overlap. */
    private static void checkOverlaps(List<Entry> entries, String where) {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.removeIf(e -> e.begin == e.end);
        sorted.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Entry a = sorted.get(i - 1);
            Entry b = sorted.get(i);
            if (b.begin < a.end) {
                throw new FormatException(where + ": tensors " + a.name + " [" + a.begin + ", " + a.end + ") and "
                        + b.name + " [" + b.begin + ", " + b.end + ") overlap in the data buffer");
            }
        }
    }

    /** Reads one tensor's bytes chunk by chunk and converts them to float32. */
    private static float[] readData(FileChannel ch, Entry e, long dataStart, ByteBuffer buf, String where)
            throws IOException {
        float[] out = new float[e.numel];
        long pos = dataStart + e.begin;
        long remaining = e.end - e.begin;
        int done = 0;
        while (remaining > 0) {
            int len = (int) Math.min(buf.capacity(), remaining);
            buf.clear().limit(len);
            readFully(ch, buf, pos, where);
            buf.flip();
            int count = len / e.dtype.size;
            convert(e, buf, out, done, count, where);
            done += count;
            pos += len;
            remaining -= len;
        }
        return out;
    }

    /** Converts {@code count} little-endian elements at the start of {@code buf} into {@code out[off..]}. */
    private static void convert(Entry e, ByteBuffer buf, float[] out, int off, int count, String where) {
        switch (e.dtype) {
            case F32 -> buf.asFloatBuffer().get(out, off, count);
            case F64 -> { // values beyond float range become +-Infinity, as a Java cast does
                for (int i = 0; i < count; i++) out[off + i] = (float) buf.getDouble(i << 3);
            }
            case F16 -> {
                for (int i = 0; i < count; i++) out[off + i] = Float.float16ToFloat(buf.getShort(i << 1));
            }
            case BF16 -> { // bfloat16 is the upper half of a float32
                for (int i = 0; i < count; i++) out[off + i] = Float.intBitsToFloat((buf.getShort(i << 1) & 0xffff) << 16);
            }
            case I64 -> { // rounds to the nearest float above 2^24
                for (int i = 0; i < count; i++) out[off + i] = (float) buf.getLong(i << 3);
            }
            case I32 -> {
                for (int i = 0; i < count; i++) out[off + i] = (float) buf.getInt(i << 2);
            }
            case I16 -> {
                for (int i = 0; i < count; i++) out[off + i] = buf.getShort(i << 1);
            }
            case I8 -> {
                for (int i = 0; i < count; i++) out[off + i] = buf.get(i);
            }
            case U64 -> {
                for (int i = 0; i < count; i++) {
                    long v = buf.getLong(i << 3);
                    // Unsigned to float: halve (keeping the low bit as a sticky bit so rounding is
                    // still correct), convert, double.
                    out[off + i] = v >= 0 ? (float) v : (float) ((v >>> 1) | (v & 1)) * 2f;
                }
            }
            case U32 -> {
                for (int i = 0; i < count; i++) out[off + i] = (float) (buf.getInt(i << 2) & 0xffffffffL);
            }
            case U16 -> {
                for (int i = 0; i < count; i++) out[off + i] = buf.getShort(i << 1) & 0xffff;
            }
            case U8 -> {
                for (int i = 0; i < count; i++) out[off + i] = buf.get(i) & 0xff;
            }
            case BOOL -> {
                for (int i = 0; i < count; i++) {
                    byte b = buf.get(i);
                    if (b != 0 && b != 1) {
                        throw new FormatException(where + ": tensor " + e.name + ": BOOL element " + (off + i)
                                + " holds the byte " + (b & 0xff) + ", expected 0 or 1");
                    }
                    out[off + i] = b;
                }
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String where) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new FormatException(where + ": file ended early at byte " + pos + " (did it shrink while being read?)");
            pos += n;
        }
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code tensors} as F32, in iteration order, and {@code metadata} (may be null or empty,
     * then no {@code __metadata__} entry is written) to {@code file}, atomically: the bytes go to a
     * temporary file in the same directory which is forced to disk and then renamed over
     * {@code file}, so readers see either the old file or the complete new one. Missing parent
     * directories are created.
     *
     * @throws IllegalArgumentException if a name is null or {@value #METADATA_KEY}, or a tensor's
     *                                  shape does not match its data
     * @throws UncheckedIOException     on I/O failure (the temporary file is then removed)
     */
    public static void write(Path file, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(tensors, "tensors");
        String where = file.toString();
        byte[] json = header(tensors, metadata, where).getBytes(StandardCharsets.UTF_8);
        // Padding the header with spaces (JSON whitespace) to a multiple of 8 aligns the data buffer.
        int padded = (json.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES) {
            throw new IllegalArgumentException(where + ": header would be " + padded + " bytes, over the "
                    + MAX_HEADER_BYTES + "-byte limit readers accept");
        }

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        TempFiles.Temp tmp = null;
        boolean moved = false;
        try {
            tmp = TempFiles.create(target);
            try (FileChannel out = tmp.channel()) {
                ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
                head.putLong(padded).put(json);
                while (head.hasRemaining()) head.put((byte) ' ');
                head.flip();
                writeFully(out, head);

                ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (HostTensor t : tensors.values()) {
                    float[] data = t.data();
                    for (int off = 0; off < data.length; ) {
                        int count = Math.min(CHUNK_BYTES / 4, data.length - off);
                        buf.clear();
                        buf.asFloatBuffer().put(data, off, count);
                        buf.limit(count * 4);
                        writeFully(out, buf);
                        off += count;
                    }
                }
                out.force(true); // the data must be on disk before the rename makes it visible
                TempFiles.commit(tmp, target); // renamed while still locked: never mistaken for a leftover
                moved = true;
            }
            syncDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(where + ": cannot write: " + reason(e, where), e);
        } finally {
            if (!moved && tmp != null) {
                try {
                    Files.deleteIfExists(tmp.path());
                } catch (IOException ignored) {
                    // Best effort: the original failure is the one worth reporting.
                }
            }
        }
    }

    private static String header(Map<String, HostTensor> tensors, Map<String, String> metadata, String where) {
        LinkedHashMap<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            metadata.forEach((k, v) -> {
                if (k == null || v == null) {
                    throw new IllegalArgumentException(where + ": metadata key " + k + " has null key or value");
                }
            });
            header.put(METADATA_KEY, new LinkedHashMap<>(metadata));
        }
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            String name = e.getKey();
            HostTensor t = e.getValue();
            if (name == null || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException(where + ": invalid tensor name " + name);
            }
            if (t == null) throw new IllegalArgumentException(where + ": tensor " + name + " is null");
            // HostTensor checks this when built, but its arrays are mutable: check again.
            if (HostTensor.numel(t.shape()) != t.data().length) {
                throw new IllegalArgumentException(where + ": tensor " + name + " has shape " + t.shapeString()
                        + " but " + t.data().length + " values");
            }
            List<Object> shape = new ArrayList<>(t.rank());
            for (int d : t.shape()) shape.add((long) d);
            long bytes = 4L * t.data().length;
            LinkedHashMap<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", "F32");
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(name, info);
            offset += bytes;
        }
        return Json.write(header);
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) ch.write(buf);
    }

    /** Makes the rename itself durable where the platform allows fsync on a directory (Linux does). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // Not supported here (e.g. Windows): the file itself is already on disk.
        }
    }

    /** A readable cause; the file system exceptions' own messages are often just a path. */
    private static String reason(IOException e, String where) {
        String detail = e.getMessage() == null || e.getMessage().equals(where) ? "" : " (" + e.getMessage() + ")";
        if (e instanceof NoSuchFileException) return "no such file or directory" + detail;
        if (e instanceof AccessDeniedException) return "permission denied" + detail;
        if (e instanceof FileAlreadyExistsException) return "file already exists" + detail;
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
