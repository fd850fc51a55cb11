package org.mrine.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Where one command writes, checked before it writes anything, so that nothing a user owns is lost.
 *
 * <ul>
 * <li>An output never replaces an input of the same command, however it is named (links and
 *     relative paths included), not even with {@code --force}.</li>
 * <li>A single output file may replace only a file of the kind the command writes (a dataset over
 *     a dataset); anything else needs {@code --force}.</li>
 * <li>An output folder that mrine created (it was new or empty; {@value #LOCK_NAME} says so) is
 *     mrine's to write in. In a folder of the user's, a command adds its files beside theirs but
 *     replaces none of theirs without {@code --force}.</li>
 * <li>While a command writes in a folder it holds a lock on {@value #LOCK_NAME}: a second command
 *     on the same folder is refused. The lock dies with its process (kill -9 included).</li>
 * <li>Temporary files a killed run left there (see {@link TempFiles}) are removed.</li>
 * </ul>
 *
 * Every refusal is an {@link IllegalArgumentException} whose one-line message names the path and
 * what to do instead; the CLI turns it into exit status 2.
 */
public final class Outputs {
    /** The lock of an output folder; its first line marks a folder mrine created. */
    public static final String LOCK_NAME = ".mrine.lock";
    private static final String OURS = "mrine output folder";

    private record Input(Path path, String option) {
    }

    private final String command;
    private final boolean force;
    private final List<Input> inputs = new ArrayList<>();

    /**
     * @param command the command, for the lock file ("train")
     * @param force   the user's {@code --force}: replace files of another kind or of the user's
     */
    public Outputs(String command, boolean force) {
        this.command = command;
        this.force = force;
    }

    /** Declares an input file or folder (null: none); outputs may never be it. */
    public Outputs input(Path path, String option) {
        if (path != null) inputs.add(new Input(path, option));
        return this;
    }

    /** Refuses when {@code out} is one of the inputs, or lies inside a folder given as an input. */
    private void notAnInput(Path out, String outOption) {
        if (!Files.exists(out)) return;
        for (Input in : inputs) {
            if (!Files.exists(in.path())) continue;
            if (same(out, in.path())) {
                throw new IllegalArgumentException(out + ": is this command's " + in.option() + " (an input); mrine never writes over "
                        + "its inputs: choose another " + outOption);
            }
        }
    }

    private static boolean same(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /** Whether an input lies at or below {@code dir}. */
    private Input inputWithin(Path dir) {
        Path d = real(dir);
        for (Input in : inputs) {
            if (Files.exists(in.path()) && real(in.path()).startsWith(d)) return in;
        }
        return null;
    }

    private static Path real(Path p) {
        try {
            return p.toRealPath();
        } catch (IOException e) {
            return p.toAbsolutePath().normalize();
        }
    }

    /**
     * A single output file that the command writes atomically. Refused when it is an input, a
     * folder, below a file, or an existing file whose kind ({@code kindOf}) is not {@code kind}
     * unless {@code --force}. Temporary files of earlier killed writes to it are removed.
     *
     * @param kind   what the command writes, in words ("a mrine dataset")
     * @param kindOf what an existing file is, in the same words
     */
    public void file(Path out, String option, String kind, Function<Path, String> kindOf) {
        notAnInput(out, option);
        if (Files.isDirectory(out)) throw new IllegalArgumentException(out + ": is a folder; " + option + " takes a file name");
        Path parent = out.toAbsolutePath().getParent();
        for (Path p = parent; p != null; p = p.getParent()) {
            if (Files.exists(p) && !Files.isDirectory(p)) {
                throw new IllegalArgumentException(out + ": cannot write there: " + p + " is a file, not a folder");
            }
            if (Files.isDirectory(p)) break;
        }
        if (Files.exists(out) && !force) {
            String is = kindOf.apply(out);
            if (!kind.equals(is)) {
                throw new IllegalArgumentException(out + ": exists and is " + is + ", not " + kind + "; choose another " + option
                        + ", or add --force to replace it");
            }
        }
        TempFiles.removeLeftoversOf(out);
    }

    /**
     * An output folder, created if missing and locked until {@link Folder#close()}. Refused when it
     * is a file, or another command holds its lock.
     *
     * @param adopt the user says the folder holds an earlier mrine run ({@code --resume}): treat it as
     *              mrine's even when it carries no mark (an earlier version made it)
     */
    public Folder folder(Path dir, String option, boolean adopt) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": exists and is a file; " + option + " takes a folder");
        }
        if (Files.exists(dir)) notAnInput(dir, option);
        boolean ours;
        Path lockFile = dir.resolve(LOCK_NAME);
        if (!Files.exists(dir)) {
            ours = true;
        } else {
            ours = adopt || markedOurs(lockFile) || isEmpty(dir);
        }
        try {
            Files.createDirectories(dir);
        } catch (FileSystemException e) {
            throw new IllegalArgumentException(dir + ": cannot create the folder: " + why(e));
        } catch (IOException e) {
            throw new UncheckedIOException(dir + ": cannot create the folder: " + e.getMessage(), e);
        }
        Folder f = new Folder(dir, option, ours, lock(lockFile, dir, option, ours));
        if (ours) TempFiles.removeLeftovers(dir, 4);
        return f;
    }

    private static String why(FileSystemException e) {
        if (e instanceof java.nio.file.FileAlreadyExistsException) return e.getFile() + " is a file, not a folder";
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied (" + e.getFile() + ")";
        return e.getReason() != null ? e.getReason() + " (" + e.getFile() + ")" : String.valueOf(e.getFile());
    }

    private static boolean markedOurs(Path lockFile) {
        try {
            return Files.isRegularFile(lockFile) && Files.readString(lockFile, StandardCharsets.UTF_8).startsWith(OURS);
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    private static boolean isEmpty(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.noneMatch(p -> !p.getFileName().toString().equals(LOCK_NAME));
        } catch (IOException e) {
            return false;
        }
    }

    /** Takes the folder's lock (tryLock: a held lock means a live command) and says who holds it. */
    private FileChannel lock(Path lockFile, Path dir, String option, boolean ours) {
        FileChannel ch;
        try {
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (FileSystemException e) {
            throw new IllegalArgumentException(dir + ": cannot write in the folder: " + why(e));
        } catch (IOException e) {
            throw new UncheckedIOException(lockFile + ": cannot open: " + e.getMessage(), e);
        }
        try {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                String holder = holder(lockFile);
                ch.close();
                throw new IllegalArgumentException(dir + ": another mrine command is writing in this folder (" + holder
                        + "); wait for it to finish, or choose another " + option);
            }
            return ch;
        } catch (IOException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the first failure is the one to report
            }
            throw new UncheckedIOException(lockFile + ": cannot lock: " + e.getMessage(), e);
        }
    }

    /** Who holds a lock, from the lock file's last line (read without the lock: it is a note for the user, not state). */
    private static String holder(Path lockFile) {
        try {
            List<String> lines = Files.readAllLines(lockFile, StandardCharsets.UTF_8);
            String last = lines.isEmpty() ? "" : lines.get(lines.size() - 1).strip();
            return last.isEmpty() ? "its lock " + lockFile + " is held" : last;
        } catch (IOException | UncheckedIOException e) {
            return "its lock " + lockFile + " is held";
        }
    }

    /** " (epoch N)" from a checkpoint's metadata, or nothing when it cannot be read. */
    private static String epochOf(Path checkpoint) {
        try {
            String e = SafeTensors.readHeader(checkpoint).metadata().get("epoch");
            return e == null ? "" : " (epoch " + e + ")";
        } catch (RuntimeException e) {
            return "";
        }
    }

    /** A locked output folder: ask it for each file before writing it. */
    public final class Folder implements AutoCloseable {
        private final Path dir;
        private final String option;
        private final boolean ours;
        private final FileChannel lock;

        private Folder(Path dir, String option, boolean ours, FileChannel lock) {
            this.dir = dir;
            this.option = option;
            this.ours = ours;
            this.lock = lock;
        }

        public Path dir() {
            return dir;
        }

        /** Whether mrine created this folder (else it is the user's, and their files in it stay theirs). */
        public boolean ours() {
            return ours;
        }

        /**
         * A file the command writes at {@code relative}: refused when it is an input, or when it
         * exists in a folder of the user's (unless {@code --force}).
         */
        public Path file(String relative) {
            Path p = dir.resolve(relative);
            notAnInput(p, option);
            if (!ours && Files.exists(p) && !force) {
                throw new IllegalArgumentException(p + ": exists, and " + dir + " is a folder mrine did not create; choose another "
                        + option + ", or add --force to replace " + p.getFileName());
            }
            TempFiles.removeLeftoversOf(p); // in a folder of the user's only ours, by name
            return p;
        }

        /**
         * A training checkpoint at {@code relative}: also refused when one exists and the user did
         * not ask to continue it ({@code resume}) or to replace it ({@code --force}).
         */
        public Path checkpoint(String relative, boolean resume) {
            Path p = dir.resolve(relative);
            notAnInput(p, option);
            if (Files.exists(p) && !resume && !force) {
                throw new IllegalArgumentException(p + ": holds a checkpoint of an earlier run" + epochOf(p)
                        + "; add --resume to continue it, or --force to start over and replace it");
            }
            TempFiles.removeLeftoversOf(p);
            return p;
        }

        /**
         * A subfolder of checkpoints (one per fold): also refused when it holds checkpoints and the
         * user did not ask to continue them ({@code resume}) or to replace them ({@code --force}).
         */
        public Path checkpoints(String relative, boolean resume) {
            Path p = tree(relative);
            if (Files.isDirectory(p) && !resume && !force) {
                long n;
                try (Stream<Path> s = Files.walk(p, 4)) {
                    n = s.filter(f -> f.getFileName().toString().endsWith(".safetensors") && Files.isRegularFile(f)).count();
                } catch (IOException | UncheckedIOException e) {
                    n = 0;
                }
                if (n > 0) {
                    throw new IllegalArgumentException(p + ": holds " + n + " checkpoint" + (n == 1 ? "" : "s") + " of an earlier run; "
                            + "add --resume to continue them, or --force to start over and replace them");
                }
            }
            return p;
        }

        /** A subfolder the command fills: refused when an input lies inside it. */
        public Path tree(String relative) {
            Path p = dir.resolve(relative);
            if (Files.exists(p)) {
                Input in = inputWithin(p);
                if (in != null) {
                    throw new IllegalArgumentException(in.path() + ": is this command's " + in.option() + " (an input), inside " + p
                            + " where the command writes; move it, or choose another " + option);
                }
                if (!ours && !force) {
                    throw new IllegalArgumentException(p + ": exists, and " + dir + " is a folder mrine did not create; choose another "
                            + option + ", or add --force to write in it");
                }
            }
            return p;
        }

        /**
         * Called once every file is claimed, before the first is written: notes in the lock file who
         * holds it (and that mrine made the folder). Until then a refused command changes nothing.
         */
        public void begin() {
            String text = (ours ? OURS + "\n" : "") + "mrine " + command + ", pid " + ProcessHandle.current().pid() + ", since "
                    + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME) + "\n";
            try {
                lock.truncate(0);
                lock.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), 0);
            } catch (IOException e) {
                throw new UncheckedIOException(dir.resolve(LOCK_NAME) + ": cannot write: " + e.getMessage(), e);
            }
        }

        /** Releases the lock; the lock file stays, marking the folder. */
        @Override
        public void close() {
            try {
                lock.close();
            } catch (IOException ignored) {
                // closing releases the lock whatever else fails
            }
        }
    }
}
