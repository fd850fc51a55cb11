package org.mrine.io;

/**
 * An input file is malformed or does not match what the program expects of it.
 *
 * <p>The message is meant for the user and must say which file, which field or tensor, and what
 * was expected instead (e.g. {@code "run/ckpt.safetensors: tensor param.ldm.A: data_offsets [0, 32]
 * span 32 bytes but shape [3, 3] of F32 needs 36"}).
 */
public final class FormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public FormatException(String message) {
        super(message);
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
