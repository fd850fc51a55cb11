package org.mrine.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;
import org.mrine.backend.cpu.VectorJit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code mrine dist}: a self-contained CPU deployment: a jlink runtime image with only the
 * modules the engine needs, the application jars, and a launcher, so that {@code stream} runs
 * where no JDK or Maven exists.
 */
@Command(name = "dist", mixinStandardHelpOptions = true,
        description = "Builds a self-contained CPU deployment (jlink runtime + jars + launcher) and prints its size.")
final class DistCommand implements Callable<Integer> {
    /**
     * What streaming, import and bench use (from jdeps). Plots need java.desktop (AWT), which
     * doubles the image: only with --plots.
     */
    static final String MODULES = "java.base,java.sql,java.management,jdk.management,jdk.unsupported,jdk.incubator.vector";

    @Option(names = "--plots", description = "include java.desktop so that train/evaluate/demo can draw their PNG plots")
    boolean plots;

    @Option(names = "--out", defaultValue = "dist/mrine", description = "output folder; an earlier dist there is replaced (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--force", description = "replace --out even when it is not a folder an earlier mrine dist made (it is deleted!)")
    boolean force;

    /** The file that marks a folder as made by dist, so that a later dist may replace it. */
    static final String MARKER = ".mrine-dist";

    @Override
    public Integer call() throws IOException {
        Path code = codeSource();
        checkOut(code, code.resolveSibling("lib")); // before anything else: a refusal must not depend on how mrine was built
        Path jar = applicationJar(code);
        Path lib = jar.getParent().resolve("lib");
        if (!Files.isDirectory(lib)) throw new IllegalArgumentException("no dependency folder next to " + jar + " (build with mvn package)");
        ToolProvider jlink = ToolProvider.findFirst("jlink")
                .orElseThrow(() -> new IllegalArgumentException("jlink is not available: run mrine dist from a JDK, not a runtime image"));
        // staging beside the result, named with our pid: one whose process is gone is a killed run's leftover
        Path abs = out.toAbsolutePath().normalize();
        Files.createDirectories(abs.getParent());
        removeAbandonedStaging(abs);
        Path staging = abs.resolveSibling("." + abs.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        deleteTree(staging);
        Files.createDirectories(staging.resolve("lib"));
        Files.writeString(staging.resolve(MARKER), "made by mrine dist; a later mrine dist replaces this folder\n");
        StringWriter log = new StringWriter();
        int rc = jlink.run(new PrintWriter(log), new PrintWriter(log), "--add-modules", plots ? MODULES + ",java.desktop" : MODULES, "--output", staging.resolve("runtime").toString(),
                "--strip-debug", "--no-header-files", "--no-man-pages", "--compress", "zip-6");
        if (rc != 0) throw new IllegalStateException("jlink failed (" + rc + "): " + log);
        Files.copy(jar, staging.resolve("lib").resolve(jar.getFileName()));
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path p : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
                Files.copy(p, staging.resolve("lib").resolve(p.getFileName()));
            }
        }
        Path launcher = staging.resolve("bin").resolve("mrine");
        Files.createDirectories(launcher.getParent());
        Files.writeString(launcher, launcher());
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        deleteTree(abs);
        Files.move(staging, abs, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf("%s: %.1f MiB (runtime %.1f MiB, jars %.1f MiB); run %s%n", out, size(out) / 1048576.0,
                size(out.resolve("runtime")) / 1048576.0, size(out.resolve("lib")) / 1048576.0, out.resolve("bin/mrine"));
        return 0;
    }

    /** The launcher script of the deployment: the bundled runtime with the development launcher's JVM flags. */
    static String launcher() {
        return String.join("\n", List.of(
                "#!/bin/sh",
                "# mrine, self-contained: the bundled runtime and jars, no JDK needed.",
                "here=$(cd \"$(dirname \"$0\")/..\" && pwd)",
                "# the same JVM flags as the development launcher (./mrine explains -Xmn64m, the loop flags, ZGC for serve, the Unsafe flag and -Dmrine.tune.auto)",
                "gc=\"-XX:+UseParallelGC -Xmn64m " + VectorJit.LOOP_FLAGS + "\"",
                "if [ \"${1:-}\" = serve ]; then gc=-XX:+UseZGC; fi",
                "exec \"$here/runtime/bin/java\" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
                        + " --sun-misc-unsafe-memory-access=allow $gc -Dmrine.tune.auto=true $MRINE_JAVA_OPTS \\",
                "    -cp \"$here/lib/*\" org.mrine.cli.Main \"$@\"", ""));
    }

    /** --out may be replaced only when it is an earlier dist (or --force), and never when it holds what we run from. */
    private void checkOut(Path jar, Path lib) throws IOException {
        if (!Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        Path real = out.toRealPath();
        for (Path in : List.of(jar, lib)) {
            if (Files.exists(in) && in.toRealPath().startsWith(real)) {
                throw new IllegalArgumentException(out + ": holds " + in + ", which mrine runs from; choose another --out");
            }
        }
        if (force) return;
        if (!Files.isDirectory(out)) {
            throw new IllegalArgumentException(out + ": exists and is a file; choose another --out, or add --force to replace it");
        }
        List<String> names;
        try (Stream<Path> s = Files.list(out)) {
            names = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        boolean earlierDist = names.contains(MARKER) || names.equals(List.of("bin", "lib", "runtime"));
        if (!earlierDist && !names.isEmpty()) {
            throw new IllegalArgumentException(out + ": is a folder mrine dist did not make (it holds " + String.join(", ", names.subList(0, Math.min(3, names.size())))
                    + (names.size() > 3 ? ", ..." : "") + "); dist replaces its whole --out: choose another, or add --force to delete it");
        }
    }

    /** Deletes staging folders of earlier dist runs to the same --out whose process is gone (killed). */
    private static void removeAbandonedStaging(Path out) throws IOException {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("." + out.getFileName() + ".") + "(\\d+)\\.tmp");
        try (Stream<Path> s = Files.list(out.getParent())) {
            for (Path d : s.toList()) {
                java.util.regex.Matcher m = p.matcher(d.getFileName().toString());
                if (m.matches() && Files.isDirectory(d) && Files.exists(d.resolve(MARKER))
                        && ProcessHandle.of(Long.parseLong(m.group(1))).map(h -> !h.isAlive()).orElse(true)) {
                    deleteTree(d);
                }
            }
        }
    }

    /** Where mrine's classes come from: the packaged jar, or a classes folder (tests). */
    private static Path codeSource() {
        try {
            return Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path applicationJar(Path p) {
        if (!p.toString().endsWith(".jar")) throw new IllegalArgumentException("mrine dist needs the packaged jar (mvn package), not classes in " + p);
        return p;
    }

    static long size(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
