package dev.trapdoor.kvm;

/** A failed KVM or libc call on the host side, naming the call and the C library's text for errno. */
public final class KvmException extends RuntimeException {
    private final int errno;

    KvmException(String call, int errno) {
        super(call + " failed: " + Libc.strerror(errno) + " (errno " + errno + ")");
        this.errno = errno;
    }

    KvmException(String message) {
        super(message);
        this.errno = 0;
    }

    /** Returns result, or throws naming the call when a libc call returned its failure value (< 0). */
    static int check(String call, int result, java.lang.foreign.MemorySegment errnoCapture) {
        if (result < 0) throw new KvmException(call, Libc.errno(errnoCapture));
        return result;
    }

    /** The C errno of the failure, 0 when the failure was not a failed call. */
    public int errno() {
        return errno;
    }
}
