package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Every regular file under a folder with the SHA-256 of its bytes, to prove a command changed none of them. */
record FileSnapshot(Map<Path, String> digests) {

    static FileSnapshot of(Path root) {
        Map<Path, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) out.put(p, digest(p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new FileSnapshot(out);
    }

    static String digest(Path p) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every file of this snapshot still exists with the same bytes (new files may have appeared). */
    void assertUnchanged(String what) {
        for (Map.Entry<Path, String> e : digests.entrySet()) {
            if (!Files.isRegularFile(e.getKey())) fail(what + ": " + e.getKey() + " is gone");
            assertEquals(e.getValue(), digest(e.getKey()), what + ": " + e.getKey() + " changed");
        }
    }

    /**
     * A refusal or failure as the user must see it: the exit status, and on stderr exactly one line
     * starting with "mrine" that holds every part given (the file, tensor, key ...) and no stack trace.
     */
    static void assertOneLine(CliRun r, int status, String... parts) {
        assertEquals(status, r.status(), "exit status; stdout:\n" + r.out() + "\nstderr:\n" + r.err());
        String err = r.err().strip();
        assertEquals(1, err.lines().count(), "one line on stderr, got:\n" + r.err());
        assertTrue(err.startsWith("mrine"), err);
        assertFalse(err.contains("\tat ") || err.contains("Exception"), "no stack trace or exception name: " + err);
        for (String p : parts) assertTrue(err.contains(p), "'" + p + "' missing from: " + err);
    }
}
