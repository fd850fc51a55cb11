package org.mrine.backend;

import java.io.PrintStream;
import org.mrine.backend.cpu.CpuBackend;
import org.mrine.backend.cuda.CudaBackend;
import org.mrine.backend.cuda.CudaDevice;

/**
 * Picks a backend by name: cpu, cuda, or auto (CUDA when a device and driver are found and the
 * backend starts, else the CPU, saying why in one line on stderr).
 */
public final class Backends {
    private Backends() {
    }

    public static Backend create(String name) {
        return create(name, System.err);
    }

    /** {@link #create(String)} writing auto's fallback line to {@code log}. */
    public static Backend create(String name, PrintStream log) {
        return switch (name) {
            case "cpu" -> new CpuBackend();
            case "cuda" -> createCuda();
            case "auto" -> auto(log);
            default -> throw new IllegalArgumentException("unknown backend '" + name + "', expected cpu, cuda or auto");
        };
    }

    /**
     * Throws what {@link #create} would for a backend this machine cannot have (cuda without a device),
     * without starting one: commands that write a results folder ask before they claim it, so a run
     * refused for its backend leaves nothing behind.
     */
    public static void requireAvailable(String name) {
        switch (name) {
            case "cpu", "auto" -> {
            }
            case "cuda" -> {
                CudaDevice.Probe probe = CudaDevice.probe();
                // asking for a GPU where there is none is the user's to fix: one line, exit 2
                if (!probe.available()) throw new BackendUnavailableException("backend cuda: " + probe.reason() + "; use --backend cpu or auto "
                        + "(training.backend in a config)", null);
            }
            default -> throw new IllegalArgumentException("unknown backend '" + name + "', expected cpu, cuda or auto");
        }
    }

    private static Backend createCuda() {
        requireAvailable("cuda");
        CudaDevice.Probe probe = CudaDevice.probe();
        try {
            return new CudaBackend();
        } catch (LinkageError | RuntimeException e) {
            throw new BackendUnavailableException("backend cuda: the device " + probe.name() + " (driver for CUDA " + probe.driverRelease()
                    + ") is present but the backend did not start: " + message(e), e);
        }
    }

    /** An exception's message, or its class where it has none. */
    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static Backend auto(PrintStream log) {
        CudaDevice.Probe probe = CudaDevice.probe();
        if (!probe.available()) {
            sayOnce(log, "mrine: backend auto: using cpu (" + probe.reason() + ")");
            return new CpuBackend();
        }
        try {
            return new CudaBackend();
        } catch (LinkageError | RuntimeException e) {
            sayOnce(log, "mrine: backend auto: using cpu (CUDA device " + probe.name() + " found, but the CUDA backend did not start: " + message(e) + ")");
            return new CpuBackend();
        }
    }

    /**
     * The lines auto's fallback already printed, per stream: a sweep or a cross-validation creates
     * a backend per fold, and one line says it.
     */
    private static final java.util.Set<String> SAID = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static void sayOnce(PrintStream log, String line) {
        if (SAID.add(System.identityHashCode(log) + " " + line)) log.println(line);
    }
}
