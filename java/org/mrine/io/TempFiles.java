package org.mrine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The temporary files of atomic writes ({@code .<name>.<hex>.tmp} beside the target, forced to
 * disk, renamed over it). A writer holds an exclusive lock on its temporary file from creation
 * to rename, so a temporary file nobody holds is what a killed run left behind: the next run that
 * writes there removes it ({@link #removeLeftovers}).
 */
public final class TempFiles {
    /** {@code .<name>.<hex>.tmp}: the names {@link #create} gives. */
    private static final Pattern NAME = Pattern.compile("\\..+\\.[0-9a-f]{1,16}\\.tmp");
    private static final Pattern SUFFIX = Pattern.compile("\\.[0-9a-f]{1,16}\\.tmp");

    private TempFiles() {
    }

    /** A file name cut to 100 characters, so the temporary name stays within file system limits. */
    private static String shortened(String name) {
        return name.length() > 100 ? name.substring(0, 100) : name;
    }

    /** A new temporary file beside a target, open for writing and locked until closed. */
    public record Temp(Path path, FileChannel channel) {
    }

    /**
     * Creates {@code .<name>.<random hex>.tmp} in the target's folder (created if missing) and locks
     * it. CREATE_NEW with a random name rather than Files.createTempFile: the latter makes the file
     * owner-only (0600), which the renamed result would then keep.
     */
    public static Temp create(Path target) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        String base = shortened(target.getFileName().toString());
        for (int attempt = 0; ; attempt++) {
            Path candidate = dir.resolve("." + base + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                FileChannel ch = FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                try {
                    ch.lock();
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    Files.deleteIfExists(candidate);
                    throw e;
                }
                return new Temp(candidate, ch);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    /**
     * Moves a finished temporary file over its target (atomically where the file system can) while
     * its channel is still open and locked, so no other run takes it for a leftover in between.
     */
    public static void commit(Temp t, Path target) throws IOException {
        try {
            Files.move(t.path(), target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(t.path(), target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes a small text file atomically: temporary file, fsync, rename. */
    public static void writeString(Path file, String text) {
        Path target = file.toAbsolutePath();
        Temp t = null;
        boolean moved = false;
        try {
            t = create(target);
            try (FileChannel ch = t.channel()) {
                ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
                commit(t, target);
                moved = true;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write: " + (e.getMessage() != null ? e.getMessage() : e), e);
        } finally {
            if (!moved && t != null) {
                try {
                    Files.deleteIfExists(t.path());
                } catch (IOException ignored) {
                    // the write failure is the one worth reporting
                }
            }
        }
    }

    /**
     * Removes the temporary files in {@code dir} and its subfolders (down to {@code depth} levels)
     * that no running process holds locked: those of a killed run. Returns how many went.
     */
    public static int removeLeftovers(Path dir, int depth) {
        if (!Files.isDirectory(dir)) return 0;
        List<Path> candidates;
        try (Stream<Path> s = Files.walk(dir, depth)) {
            candidates = s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)).toList();
        } catch (IOException | UncheckedIOException e) {
            return 0; // an unreadable corner of the folder: nothing we wrote can be there
        }
        int removed = 0;
        for (Path p : candidates) if (removeIfAbandoned(p)) removed++;
        return removed;
    }

    /** The leftovers of one target only ({@code .<name>.<hex>.tmp} beside it). */
    public static int removeLeftoversOf(Path target) {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) return 0;
        String prefix = "." + shortened(abs.getFileName().toString());
        int removed = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                if (n.startsWith(prefix) && SUFFIX.matcher(n.substring(prefix.length())).matches() && removeIfAbandoned(p)) removed++;
            }
        } catch (IOException | UncheckedIOException e) {
            return removed;
        }
        return removed;
    }

    /** Deletes a temporary file if no process holds its lock (one that does is being written right now). */
    private static boolean removeIfAbandoned(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                return false; // this JVM is writing it
            }
            if (lock == null) return false; // another process is writing it
            try {
                Files.delete(p);
                return true;
            } finally {
                lock.release();
            }
        } catch (IOException e) {
            return false;
        }
    }
}
