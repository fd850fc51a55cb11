package org.mrine.backend;

/**
 * The backend asked for cannot run on this machine (no GPU, no driver, a driver too old for the
 * kernels): a condition of the machine, not a bug, told in one line ({@code mrine} prints the
 * message and exits with status 2).
 */
public final class BackendUnavailableException extends IllegalStateException {
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
