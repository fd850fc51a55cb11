package org.mrine.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel images the backend hands the driver, from the classpath: {@code /kernels/<module>.fatbin}
 * (cubins for every GPU generation kernels/build.sh names, plus PTX for compute_80, which the driver
 * JIT-compiles for a GPU no cubin fits), or, with {@code -Dmrine.cuda.kernels=ptx}, the PTX alone
 * ({@code /kernels/<module>.ptx}: every GPU then JIT-compiles it). Also what they need of the
 * driver: the CUDA release that built them ({@code fatbin.manifest}), and the one line that says so
 * when a driver is too old to load them.
 */
final class KernelImages {
    /** Driver error codes that mean "this image is newer than I am" (or its code is for no GPU I know). */
    private static final int[] TOO_NEW = {200 /* INVALID_IMAGE */, 209 /* NO_BINARY_FOR_GPU */, 218 /* INVALID_PTX */,
        222 /* UNSUPPORTED_PTX_VERSION */, 221 /* JIT_COMPILER_NOT_FOUND */};

    private KernelImages() {
    }

    /** Whether the PTX alone is loaded (-Dmrine.cuda.kernels=ptx) rather than the fat binary. */
    static boolean ptxOnly() {
        return "ptx".equals(System.getProperty("mrine.cuda.kernels"));
    }

    /** The resource name of a module's image. */
    static String resource(String module) {
        return "/kernels/" + module + (ptxOnly() ? ".ptx" : ".fatbin");
    }

    /** A module's image, NUL-terminated where it is text (the driver reads PTX up to the NUL). */
    static byte[] load(String module) {
        String resource = resource(module);
        try (InputStream in = KernelImages.class.getResourceAsStream(resource)) {
            if (in == null) throw new IllegalStateException("kernel image " + resource + " is missing from the classpath");
            byte[] bytes = in.readAllBytes();
            return resource.endsWith(".ptx") ? Arrays.copyOf(bytes, bytes.length + 1) : bytes;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + resource, e);
        }
    }

    /** The nvcc release that built the kernels ("13.0.88"), from the manifest, or null when it is missing. */
    static String nvccRelease() {
        try (InputStream in = KernelImages.class.getResourceAsStream("/kernels/fatbin.manifest")) {
            if (in == null) return null;
            Matcher m = Pattern.compile("nvcc=(\\d+\\.\\d+(?:\\.\\d+)?)").matcher(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** cuDriverGetVersion's encoding of a release: 1000 major + 10 minor ("13.0" is 13000). */
    static int driverVersionOf(String release) {
        String[] p = release.split("\\.");
        return 1000 * Integer.parseInt(p[0]) + 10 * (p.length > 1 ? Integer.parseInt(p[1]) : 0);
    }

    /** "12.4" for 12040. */
    static String release(int driverVersion) {
        return (driverVersion / 1000) + "." + (driverVersion % 1000) / 10;
    }

    /** The first Linux driver branch of a CUDA major release (that release's .0 needs at least it). */
    static String linuxDriverFor(int major) {
        return switch (major) {
            case 11 -> "450";
            case 12 -> "525";
            case 13 -> "580";
            default -> null;
        };
    }

    /**
     * The one line for a driver that cannot load the kernels because it is older than the CUDA
     * release that built them, or null when that is not the reason (the driver is new enough, or the
     * error says something else).
     *
     * @param driverVersion cuDriverGetVersion (e.g. 12040 for CUDA 12.4)
     * @param error         the driver's error code from loading the image
     * @param builtWith     the nvcc release that built the kernels ("13.0.88")
     */
    static String driverTooOld(int driverVersion, int error, String builtWith) {
        if (builtWith == null || Arrays.stream(TOO_NEW).noneMatch(e -> e == error)) return null;
        int needed = driverVersionOf(builtWith);
        if (driverVersion >= needed) return null;
        String linux = linuxDriverFor(needed / 1000);
        return String.format(Locale.ROOT, "the NVIDIA driver here supports CUDA %s, but mrine's GPU kernels were built with CUDA %s and need"
                        + " a driver for CUDA %s or newer%s: update the driver, or run with --backend cpu",
                release(driverVersion), release(needed), release(needed), linux == null ? "" : " (NVIDIA Linux driver " + linux + " or newer)");
    }
}
