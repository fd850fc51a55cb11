package org.mrine.data;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes .npy arrays and .npz archives as numpy does ('&lt;f8' or '&lt;f4', C order, version 1.0
 * header padded to 64 bytes), so Python users can read what we export: stored (numpy.savez) or
 * deflated (numpy.savez_compressed). Written to a temporary file and renamed into place.
 */
public final class NpzWriter {
    private NpzWriter() {
    }

    /** One .npy array: float64 when {@code f64}, else float32. */
    public static byte[] npy(int[] shape, double[] data, boolean f64) {
        StringBuilder sh = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) sh.append(i == 0 ? "" : ", ").append(shape[i]);
        sh.append(shape.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + (f64 ? "<f8" : "<f4") + "', 'fortran_order': False, 'shape': " + sh + ", }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.length * (f64 ? 8 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) header.length());
        b.put(header.getBytes(StandardCharsets.ISO_8859_1));
        for (double v : data) {
            if (f64) b.putDouble(v);
            else b.putFloat((float) v);
        }
        return b.array();
    }

    /** An .npz archive of the arrays, in map order. */
    public static void write(Path file, Map<String, NumericArray> arrays, boolean compressed, boolean f64) {
        Path target = file.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(System.nanoTime()) + ".tmp");
        try {
            Files.createDirectories(target.getParent());
            try (OutputStream os = Files.newOutputStream(tmp); ZipOutputStream zip = new ZipOutputStream(os)) {
                for (NumericArray a : arrays.values()) {
                    byte[] bytes = npy(a.shape(), a.data(), f64);
                    ZipEntry e = new ZipEntry(a.name() + ".npy");
                    if (!compressed) {
                        CRC32 crc = new CRC32();
                        crc.update(bytes);
                        e.setMethod(ZipEntry.STORED);
                        e.setSize(bytes.length);
                        e.setCompressedSize(bytes.length);
                        e.setCrc(crc.getValue());
                    } else {
                        e.setMethod(ZipEntry.DEFLATED);
                    }
                    zip.putNextEntry(e);
                    zip.write(bytes);
                    zip.closeEntry();
                }
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the write failure is what matters
            }
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }

    /** Writes one .npy file. */
    public static void writeNpy(Path file, int[] shape, double[] data, boolean f64) {
        try {
            Files.write(file, npy(shape, data, f64));
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + e.getMessage(), e);
        }
    }
}
