package org.mrine.cli;

import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.mrine.backend.cpu.CpuCalibration;
import org.mrine.backend.cpu.CpuIdentity;
import org.mrine.backend.cpu.CpuTuning;
import org.mrine.backend.cpu.VectorJit;
import org.mrine.io.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code mrine tune}: measures this machine and stores the CPU backend's choices for it. */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"Calibrates the CPU backend on this machine (under a minute): threads, GEMM tile, when products",
                "split over the threads, whether a native BLAS takes the large products. Stored per machine and CPU",
                "model under ~/.cache/mrine/cpu-tuning/ and used by every later run (the mrine launcher runs it once",
                "on first use). -Dmrine.<choice>=VALUE overrides a stored choice for one run."})
final class TuneCommand implements Callable<Integer> {

    @Option(names = "--show", description = "print the choices in force and where they come from; measure nothing")
    boolean show;

    @Option(names = "--dry-run", description = "measure and print, store nothing")
    boolean dryRun;

    @Option(names = "--set", paramLabel = "CHOICE=VALUE", description = {"store this choice instead of the measured one (repeatable):",
            "threads, gemm.tile (4x2, 6x2, 8x2, 4x4, 6x4), gemm.block_kb, parallel.work, spin.us, blas (java, openblas, blis), blas.work"})
    List<String> set = List.of();

    @Override
    public Integer call() {
        if (show) {
            System.out.println(Json.write(Map.of("cpu", CpuIdentity.current().describe(), "choices", CpuTuning.current().toJson(), "source", CpuTuning.source(),
                    "blas_kernels", CpuTuning.nativeBlasKernels(), "stored_file", CpuTuning.storedPath().toString(),
                    "loop_strip_mining", VectorJit.loopStripMining())));
            return 0;
        }
        CpuCalibration.Result r = CpuCalibration.calibrate(System.err);
        CpuTuning t = r.tuning();
        for (String kv : set) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--set " + kv + ": expected CHOICE=VALUE");
            t = t.with(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
        }
        if (!dryRun) CpuTuning.store(t, r.measured());
        System.out.println(Json.write(Map.of("cpu", CpuIdentity.current().describe(), "choices", t.toJson(), "measured", r.measured(),
                "blas_kernels", CpuTuning.nativeBlasKernels(), "stored_file", dryRun ? "(dry run: not stored)" : CpuTuning.storedPath().toString())));
        return 0;
    }
}
