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

    @Option(names = "--out", defaultValue = "dist/mrine", description = "output folder, replaced if it exists (default: ${DEFAULT-VALUE})")
    Path out;

    @Override
    public Integer call() throws IOException {
        Path jar = applicationJar();
        Path lib = jar.getParent().resolve("lib");
        if (!Files.isDirectory(lib)) throw new IllegalArgumentException("no dependency folder next to " + jar + " (build with mvn package)");
        ToolProvider jlink = ToolProvider.findFirst("jlink")
                .orElseThrow(() -> new IllegalArgumentException("jlink is not available: run mrine dist from a JDK, not a runtime image"));
        Path staging = out.resolveSibling(out.getFileName() + ".tmp");
        deleteTree(staging);
        Files.createDirectories(staging.resolve("lib"));
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
        Files.writeString(launcher, String.join("\n", List.of(
                "#!/bin/sh",
                "# mrine, self-contained: the bundled runtime and jars, no JDK needed.",
                "here=$(cd \"$(dirname \"$0\")/..\" && pwd)",
                "# the same JVM flags as the development launcher (./mrine explains -Xmn64m and -Dmrine.tune.auto)",
                "exec \"$here/runtime/bin/java\" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m -Dmrine.tune.auto=true $MRINE_JAVA_OPTS \\",
                "    -cp \"$here/lib/*\" org.mrine.cli.Main \"$@\"", "")));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        deleteTree(out);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.move(staging, out, StandardCopyOption.ATOMIC_MOVE);
        System.out.printf("%s: %.1f MiB (runtime %.1f MiB, jars %.1f MiB); run %s%n", out, size(out) / 1048576.0,
                size(out.resolve("runtime")) / 1048576.0, size(out.resolve("lib")) / 1048576.0, out.resolve("bin/mrine"));
        return 0;
    }

    private static Path applicationJar() {
        try {
            Path p = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!p.toString().endsWith(".jar")) throw new IllegalArgumentException("mrine dist needs the packaged jar (mvn package), not classes in " + p);
            return p;
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
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
