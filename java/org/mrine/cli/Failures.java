package org.mrine.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.mrine.io.FormatException;
import org.mrine.train.TrainingDivergedException;

/**
 * The one place where a failure becomes what the user sees: a single line on stderr starting with
 * {@code mrine:} and an exit status. 2: bad input (a file, option or config the user can fix: the
 * message names it and what was expected), 3: training diverged, 1: anything else, which is a bug
 * of ours (the line says so). No stack trace unless {@code --debug}.
 */
final class Failures {
    static final int BAD_INPUT = 2;
    static final int DIVERGED = 3;
    static final int INTERNAL = 1;

    private Failures() {
    }

    static int report(Throwable thrown, PrintWriter err, boolean debug) {
        Throwable ex = unwrap(thrown);
        int status;
        String line;
        if (ex instanceof TrainingDivergedException) {
            status = DIVERGED;
            line = ex.getMessage();
        } else if (ex instanceof FormatException || ex instanceof IllegalArgumentException || ex instanceof UncheckedIOException
                || ex instanceof org.mrine.backend.BackendUnavailableException) {  // asking for a GPU where there is none
            status = BAD_INPUT;
            line = ex.getMessage();
        } else if (ex instanceof IOException io) {
            status = BAD_INPUT;
            line = describe(io);
        } else if (ex instanceof OutOfMemoryError) {
            status = BAD_INPUT;
            line = String.format(java.util.Locale.ROOT, "out of memory: the sizes asked for need more than the %d MiB this JVM may use; "
                    + "choose smaller sizes, or allow more memory (MRINE_JAVA_OPTS=-Xmx16g)", Runtime.getRuntime().maxMemory() >> 20);
        } else if (ex instanceof IllegalStateException && ex.getMessage() != null) {
            status = INTERNAL; // a part that did not start (a GPU driver), said by the part itself
            line = ex.getMessage() + " (run again with --debug for the stack trace)";
        } else {
            status = INTERNAL;
            line = "internal error: " + ex + " (a bug in mrine: run again with --debug for the stack trace, and please report it)";
        }
        if (line == null || line.isBlank()) line = ex.getClass().getSimpleName();
        err.println("mrine: " + oneLine(line));
        if (debug) thrown.printStackTrace(err);
        err.flush();
        return status;
    }

    /** The exception a wrapper (a thread pool's, a fork-join task's) stands for. */
    private static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    /** A file system error in words, naming the file (the JDK's own messages are often just the path). */
    static String describe(IOException e) {
        if (e instanceof FileSystemException f && f.getFile() != null) {
            String file = f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "");
            String why;
            if (e instanceof NoSuchFileException) why = "no such file or folder";
            else if (e instanceof AccessDeniedException) why = "permission denied";
            else if (e instanceof FileAlreadyExistsException) why = "already exists (a file where a folder was expected?)";
            else if (e instanceof NotDirectoryException) why = "not a folder";
            else if (e instanceof DirectoryNotEmptyException) why = "folder not empty";
            else why = f.getReason() != null ? f.getReason() : "cannot access";
            return file + ": " + why;
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /** Several lines (a tool's log, a parser's excerpt) as one. */
    static String oneLine(String s) {
        if (s == null) return "";
        return String.join("; ", s.strip().lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }
}
