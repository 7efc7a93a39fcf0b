package dev.trapdoor.boot;

/**
 * A guest image (or its boot options) that a loader refuses. The message is one sentence that
 * says what is wrong and where; nothing has been written to guest memory when it is thrown.
 */
public final class BadImageException extends IllegalArgumentException {
    public BadImageException(String message) {
        super(message);
    }

    public BadImageException(String message, Throwable cause) {
        super(message, cause);
    }

    static BadImageException of(String format, Object... args) {
        return new BadImageException(String.format(format, args));
    }
}
