package org.mrine.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The JVM flags of the two launchers as a user runs them, read from the launchers themselves (the
 * development script {@code ./mrine} and the text {@code mrine dist} writes), so that a child JVM of a
 * test runs as a user's does and a flag a launcher drops fails the tests that need it.
 */
public final class LauncherFlags {
    private LauncherFlags() {
    }

    /** The development launcher's flags for training and every command but serve (its GC choice included). */
    public static List<String> dev() {
        String script = devScript();
        List<String> out = flags(script, "exec java ");
        out.addAll(words(match(script, "(?m)^gc_opts=\\((.*)\\)$")));
        return out;
    }

    /** The same for the deployment's launcher ({@code mrine dist}). */
    public static List<String> dist() {
        String script = DistCommand.launcher();
        List<String> out = flags(script, "exec \"$here/runtime/bin/java\" ");
        out.addAll(words(match(script, "(?m)^gc=\"(.*)\"$")));
        return out;
    }

    private static String devScript() {
        try {
            return Files.readString(Path.of("mrine"));
        } catch (IOException e) {
            throw new UncheckedIOException("the development launcher ./mrine: " + e.getMessage(), e);
        }
    }

    private static String match(String script, String regex) {
        Matcher m = Pattern.compile(regex).matcher(script);
        assertTrue(m.find(), "no " + regex + " in the launcher");
        return m.group(1);
    }

    private static List<String> words(String s) {
        return new ArrayList<>(Arrays.asList(s.trim().split("\\s+")));
    }

    /** The JVM options of a launcher's java line (up to -cp), without shell variables (the GC choice, user options). */
    static List<String> flags(String script, String start) {
        String joined = script.replace("\\\n", " ");
        int at = joined.indexOf(start);
        assertTrue(at >= 0, "no '" + start + "' in the launcher");
        List<String> out = new ArrayList<>();
        for (String tok : joined.substring(at + start.length()).trim().split("\\s+")) {
            if (tok.equals("-cp")) break;
            if (!tok.contains("$") && !tok.equals("\\")) out.add(tok);
        }
        return out;
    }
}
