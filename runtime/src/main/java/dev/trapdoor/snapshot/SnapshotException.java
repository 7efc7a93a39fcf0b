package dev.trapdoor.snapshot;

/** A snapshot that cannot be taken or applied: one sentence saying why. The VM is left as it was. */
public final class SnapshotException extends RuntimeException {
    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
