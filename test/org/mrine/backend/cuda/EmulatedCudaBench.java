package org.mrine.backend.cuda;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;
import org.mrine.bench.CudaBench;

/**
 * {@link CudaBench} on the kernel emulation: what bench/gpu-run.sh --emulate runs in place of the
 * device benchmarks, so the whole script (its phases, timeouts and result JSON) is exercised on a
 * machine without a GPU. Same arguments as CudaBench; the sizes are always the small ones.
 */
public final class EmulatedCudaBench {
    private EmulatedCudaBench() {
    }

    public static void main(String[] args) throws Exception {
        String why = EmulatedApi.unavailableReason();
        if (why != null) throw new IllegalStateException(why);
        Path out = null;
        for (int i = 1; i < args.length; i++) if (args[i].equals("--out")) out = Path.of(args[++i]);
        Function<CudaBackend.Options, CudaBackend> open = o -> new CudaBackend(new EmulatedApi(),
                o.profileLaunches() ? CudaTargets.EMULATION.profiling() : CudaTargets.EMULATION);
        Map<String, Object> result = args[0].equals("train")
                ? CudaBench.train(open, true, "cuda-emulated", "none (emulation)")
                : CudaBench.stream(open, true, "cuda-emulated");
        CudaBench.write(result, out);
    }
}
