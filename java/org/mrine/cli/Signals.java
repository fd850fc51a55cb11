package org.mrine.cli;

/**
 * SIGTERM and SIGINT as a request to stop: the handler runs the given action (the node then
 * flushes and the command returns 0) instead of the JVM's default exit with status 143.
 * sun.misc.Signal (module jdk.unsupported, kept by {@code mrine dist}) is the JDK's only way.
 */
final class Signals {
    private Signals() {
    }

    /** Installs the action for SIGTERM and SIGINT; closing the result puts the previous handlers back. */
    static AutoCloseable onTermination(Runnable action) {
        String[] names = {"TERM", "INT"};
        sun.misc.SignalHandler[] previous = new sun.misc.SignalHandler[names.length];
        for (int i = 0; i < names.length; i++) {
            try {
                previous[i] = sun.misc.Signal.handle(new sun.misc.Signal(names[i]), s -> action.run());
            } catch (IllegalArgumentException e) {
                // the signal is not available here (or reserved by the JVM): the default stays
            }
        }
        return () -> {
            for (int i = 0; i < names.length; i++) {
                if (previous[i] != null) sun.misc.Signal.handle(new sun.misc.Signal(names[i]), previous[i]);
            }
        };
    }
}
