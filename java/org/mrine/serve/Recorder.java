package org.mrine.serve;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * {@code --record F}: every input sample and every output, in the order the node handled them, so
 * that {@code mrine stream --input F} replays the bins through a fresh decoder and checks that
 * it reproduces the outputs bit for bit. See {@link Recording} for the format.
 *
 * <p>The node's thread only copies into a 1 MiB buffer; a full buffer goes to a writer thread
 * (two buffers, swapped), so the node never waits on the disk unless the disk falls a whole
 * buffer behind. {@link #close} writes the rest and forces it to the device.
 */
final class Recorder implements AutoCloseable {
    private static final int SIZE = 1 << 20;
    private final Path file;
    private final FileChannel channel;
    private final BlockingQueue<ByteBuffer> full = new ArrayBlockingQueue<>(2), free = new ArrayBlockingQueue<>(2);
    private final Thread writer;
    private volatile IOException failure;
    private ByteBuffer buf;

    Recorder(Path file, String headerJson) {
        this.file = file;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("--record " + file + ": cannot write (" + e.getMessage() + ")", e);
        }
        buf = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        free.add(ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN));
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        buf.put(Recording.MAGIC).putInt(Recording.VERSION).putInt(json.length).put(json);
        writer = Thread.ofPlatform().daemon().name("mrine-serve-recorder").start(this::writeLoop);
    }

    private void writeLoop() {
        try {
            while (true) {
                ByteBuffer b = full.take();
                if (b.capacity() == 0) return;  // end marker
                b.flip();
                try {
                    while (b.hasRemaining()) channel.write(b);
                } catch (IOException e) {
                    failure = e;
                }
                b.clear();
                free.put(b);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private ByteBuffer room(int bytes) {
        if (buf.remaining() < bytes) {
            try {
                full.put(buf);
                buf = free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("recorder interrupted");
            }
            if (buf.capacity() < bytes) throw new IllegalStateException("record larger than the recorder's buffer");
        }
        return buf;
    }

    void origin(double origin) {
        room(9).put(Recording.ORIGIN).putDouble(origin);
    }

    void input(int m, BinAligner.Status status, long bin, double ts, long arrivalNanos, float[] values) {
        ByteBuffer b = room(1 + 1 + 1 + 8 + 8 + 8 + 4 * values.length);
        b.put(Recording.INPUT).put((byte) m).put((byte) status.ordinal()).putLong(bin).putDouble(ts).putLong(arrivalNanos);
        for (float v : values) b.putFloat(v);
    }

    void output(Output o) {
        ByteBuffer b = room(1 + 8 + 8 + 8 + 8 + o.present.length + 4 * (2 * o.latent.length + o.behavior.length));
        b.put(Recording.OUTPUT).putLong(o.bin).putDouble(o.ts).putLong(o.dueNanos).putLong(o.latencyNanos).put(o.present);
        for (float v : o.latent) b.putFloat(v);
        for (float v : o.covDiag) b.putFloat(v);
        for (float v : o.behavior) b.putFloat(v);
    }

    @Override
    public void close() {
        try {
            full.put(buf);
            full.put(ByteBuffer.allocate(0));
            writer.join();
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("--record " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure != null) throw new UncheckedIOException("--record " + file + ": " + failure.getMessage(), failure);
    }
}
