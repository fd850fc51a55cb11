package org.mrine.backend.cuda;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The CUDA backends the tests run: the real device (skipped, with the driver's reason, where there
 * is none; any failure to start on a machine that has one fails the test) and the CPU emulation of
 * the kernels (skipped only where g++ is missing), with the workspaces in shared memory or, on an
 * emulated device with little shared memory, in global scratch.
 */
final class CudaTargets {
    /** Small blocks keep the emulation quick; the kernels take any multiple of 32 threads. */
    static final CudaBackend.Options EMULATION = new CudaBackend.Options(64, 64, 1L << 26, false);

    private CudaTargets() {
    }

    static CudaBackend device() {
        assumeTrue(CudaDevice.available(), () -> "no CUDA device: " + CudaDevice.reason());
        return new CudaBackend();
    }

    /** -Dmrine.cuda.emulation=false skips the emulation (on the GPU machine, where the device tests matter). */
    static void assumeEmulation() {
        assumeTrue(!"false".equals(System.getProperty("mrine.cuda.emulation")), "emulation turned off (-Dmrine.cuda.emulation=false)");
        String why = EmulatedApi.unavailableReason();
        assumeTrue(why == null, why);
    }

    /** The device with the sgemm kernel for the dense layers even where cuBLAS loads. */
    static CudaBackend deviceWithoutCublas() {
        assumeTrue(CudaDevice.available(), () -> "no CUDA device: " + CudaDevice.reason());
        CudaBackend.Options d = CudaBackend.Options.DEFAULT;
        return new CudaBackend(JCudaApi.open(0), new CudaBackend.Options(d.maxMatrixThreads(), d.meanThreads(), d.scratchBudgetBytes(), false));
    }

    static CudaBackend emulated() {
        assumeEmulation();
        String why = EmulatedApi.unavailableReason();
        assumeTrue(why == null, why);
        return new CudaBackend(new EmulatedApi(), EMULATION);
    }

    /** An emulated device whose 4 KiB of shared memory pushes every covariance workspace to global scratch. */
    static CudaBackend emulatedWithoutSharedWorkspaces() {
        assumeEmulation();
        String why = EmulatedApi.unavailableReason();
        assumeTrue(why == null, why);
        return new CudaBackend(new EmulatedApi(4096), new CudaBackend.Options(96, 32, 1L << 16, false));
    }
}
