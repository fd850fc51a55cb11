package org.mrine.backend;

import org.mrine.backend.cpu.CpuBackend;

/** Picks a backend by name: cpu, or auto (the fastest that loads; the CPU until a GPU backend exists). */
public final class Backends {
    private Backends() {
    }

    public static Backend create(String name) {
        return switch (name) {
            case "cpu", "auto" -> new CpuBackend();
            default -> throw new IllegalArgumentException("unknown backend '" + name + "', expected cpu or auto");
        };
    }
}
