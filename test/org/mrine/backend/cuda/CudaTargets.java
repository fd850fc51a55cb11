package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CUDA backends the tests run: the real device and the CPU emulation of the kernels, with the
 * workspaces in shared memory or, on an emulated device with little shared memory, in global scratch.
 *
 * <p>A target that is not there skips its tests, saying why, unless it is required:
 * {@code -Dmrine.require=cuda,cublas,emulation,nvcc} (any of them) turns the skip into a failure:
 * "cuda" for the device tests, "cublas" for those of cuBLAS products (the device with a libcublas
 * that loads), "emulation" for the emulated ones, "nvcc" for the checks that rebuild the committed
 * kernels with the nvcc that made them. The device run (bench/gpu-run.sh) requires cuda and cublas;
 * the Maven build requires emulation and nvcc by default (pom.xml's mrine.require: the toolchain
 * has g++ and nvcc), so CI cannot pass with them skipped.
 */
final class CudaTargets {
    /** The default block sizes (at n = 64 the covariance kernels run 256 threads a block). */
    static final CudaBackend.Options EMULATION = new CudaBackend.Options(Launch.MATRIX_THREADS, 256, 1L << 30, false, false, false);

    private CudaTargets() {
    }

    /** What -Dmrine.require names (lower case). */
    static Set<String> required() {
        String v = System.getProperty("mrine.require", "");
        return Arrays.stream(v.split(",")).map(String::strip).map(String::toLowerCase).filter(x -> !x.isEmpty()).collect(Collectors.toSet());
    }

    /** Skips, or fails when {@code what} is required, unless the condition holds. */
    static void need(boolean condition, String what, String why) {
        if (condition) return;
        if (required().contains(what)) fail("-Dmrine.require=" + what + " but " + why);
        assumeTrue(false, why);
    }

    static void needDevice() {
        need(CudaDevice.available(), "cuda", "no CUDA device: " + CudaDevice.reason());
    }

    /** The device with the default options (cuBLAS where a libcublas loads). */
    static CudaBackend device() {
        needDevice();
        return new CudaBackend();
    }

    /** The device with cuBLAS for the dense layers: skipped (or, required, failed) where no libcublas loads. */
    static CudaBackend deviceWithCublas() {
        CudaBackend be = device();
        if (!be.usesCublas()) {
            String why = "cuBLAS does not load on " + be.deviceName() + ": " + be.gemmEngine();
            be.close();
            need(false, "cublas", why);
        }
        return be;
    }

    /** The device with the sgemm kernel for the dense layers even where cuBLAS loads. */
    static CudaBackend deviceWithoutCublas() {
        needDevice();
        return new CudaBackend(JCudaApi.open(0), CudaBackend.Options.DEFAULT.withoutCublas());
    }

    /** -Dmrine.cuda.emulation=false skips the emulation (on the GPU machine, where the device tests matter). */
    static void assumeEmulation() {
        boolean on = !"false".equals(System.getProperty("mrine.cuda.emulation"));
        need(on, "emulation", "emulation turned off (-Dmrine.cuda.emulation=false)");
        String why = EmulatedApi.unavailableReason();
        need(why == null, "emulation", why);
    }

    static CudaBackend emulated() {
        assumeEmulation();
        return new CudaBackend(new EmulatedApi(), EMULATION);
    }

    /** The emulation with its blocks, warps and lanes in orders shuffled from the seed (0: in order). */
    static CudaBackend emulatedShuffled(long seed) {
        assumeEmulation();
        return new CudaBackend(new EmulatedApi(227 * 1024, seed, 2), EMULATION);
    }

    /** The emulation of an H100 (132 multiprocessors, 227 KiB of shared memory): the device's launch configurations. */
    static CudaBackend emulatedH100() {
        assumeEmulation();
        return new CudaBackend(new EmulatedApi(227 * 1024, 0, 132), EMULATION);
    }

    /** An emulated device whose 4 KiB of shared memory pushes every covariance workspace to global scratch. */
    static CudaBackend emulatedWithoutSharedWorkspaces() {
        assumeEmulation();
        return new CudaBackend(new EmulatedApi(4096), new CudaBackend.Options(96, 32, 1L << 16, false, false, false));
    }
}
