package org.mrine.cli;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.mrine.bench.ChildJvm;

/**
 * One {@code mrine} command in a child JVM that sees no CUDA device: this JVM's flags and class path,
 * with CUDA_VISIBLE_DEVICES empty. On a machine without a GPU that is what any run gets; on the GPU
 * machine (bench/gpu-run.sh) the driver is there and no device is visible, as for a user whose
 * devices are hidden or given to another container. So the no-device behaviour is checked on both,
 * where a test in this JVM could check it only where there is no device. The run's stderr leaves out
 * the JVM's own notice of the incubating Vector API.
 */
public final class NoDeviceRun {
    private NoDeviceRun() {
    }

    public static CliRun of(String... args) {
        return of(List.of(), args);
    }

    /** The same, with {@code jvmFlags} added to this JVM's (-XX:ActiveProcessorCount=4, -Dmrine.cache.dir=...). */
    public static CliRun of(List<String> jvmFlags, String... args) {
        List<String> cmd = ChildJvm.javaAndFlags();
        cmd.addAll(jvmFlags);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(Main.class.getName());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("CUDA_VISIBLE_DEVICES", "");
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            String err = read(p.getErrorStream());
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("mrine " + String.join(" ", args) + " in a child JVM ran past 5 minutes");
            }
            return new CliRun(p.exitValue(), out.join(), withoutVectorNotice(err));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start a child JVM: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * This JVM's class path: java.class.path, and before it the URLs of the class loaders that loaded
     * this class (the JUnit console launcher of the device run loads the classes through one; its
     * java.class.path holds only the launcher).
     */
    static String classPath() {
        Set<String> parts = new LinkedHashSet<>();
        for (ClassLoader l = NoDeviceRun.class.getClassLoader(); l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) {
                    try {
                        parts.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        // not a file: a child cannot use it
                    }
                }
            }
        }
        for (String p : System.getProperty("java.class.path", "").split(File.pathSeparator)) if (!p.isEmpty()) parts.add(p);
        return String.join(File.pathSeparator, parts);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String withoutVectorNotice(String err) {
        StringBuilder b = new StringBuilder();
        for (String line : err.split("\n", -1)) {
            if (!line.startsWith("WARNING: Using incubator modules")) b.append(line).append('\n');
        }
        return b.toString().strip();
    }
}
