package dev.trapdoor.debug.gdb;

/**
 * Why the target stopped, as the stub reports it in a stop reply (GDB manual, "Stop Reply
 * Packets"): a signal with an optional reason (T packet), a normal exit with a status (W) or a
 * termination by a signal (X).
 *
 * @param kind    SIGNAL, EXITED or TERMINATED
 * @param signal  the GDB signal number for SIGNAL and TERMINATED (5 SIGTRAP, 2 SIGINT, ...)
 * @param reason  what triggered a SIGTRAP, NONE otherwise
 * @param address the data address of a watchpoint hit (the watched address gdb asked for)
 * @param status  the exit status for EXITED (0..255)
 */
public record StopEvent(Kind kind, int signal, Reason reason, long address, int status) {
    public static final int SIGINT = 2, SIGTRAP = 5, SIGKILL = 9, SIGSEGV = 11;

    public enum Kind { SIGNAL, EXITED, TERMINATED }

    /** The T packet's stop reasons: swbreak/hwbreak carry no value, the watches carry the address. */
    public enum Reason {
        NONE(null), SWBREAK("swbreak"), HWBREAK("hwbreak"), WATCH("watch"), RWATCH("rwatch"), AWATCH("awatch");

        final String key;

        Reason(String key) {
            this.key = key;
        }
    }

    public StopEvent {
        if (kind == null || reason == null) throw new IllegalArgumentException("kind and reason are required");
        if (signal < 0 || signal > 0xFF) throw new IllegalArgumentException("signal out of range: " + signal);
        if (status < 0 || status > 0xFF) throw new IllegalArgumentException("exit status out of range: " + status);
    }

    /** A single step finished (SIGTRAP, no reason). */
    public static StopEvent stepped() {
        return new StopEvent(Kind.SIGNAL, SIGTRAP, Reason.NONE, 0, 0);
    }

    /** A Z0 breakpoint was hit; EIP must already point at the breakpoint address. */
    public static StopEvent softwareBreakpoint() {
        return new StopEvent(Kind.SIGNAL, SIGTRAP, Reason.SWBREAK, 0, 0);
    }

    /** A Z1 (debug-register) breakpoint was hit; EIP points at the breakpoint address. */
    public static StopEvent hardwareBreakpoint() {
        return new StopEvent(Kind.SIGNAL, SIGTRAP, Reason.HWBREAK, 0, 0);
    }

    /** A watchpoint of the given type triggered on the watched address (EIP is after the access). */
    public static StopEvent watchpoint(BreakpointType type, long address) {
        Reason r = switch (type) {
            case WRITE_WATCH -> Reason.WATCH;
            case READ_WATCH -> Reason.RWATCH;
            case ACCESS_WATCH -> Reason.AWATCH;
            default -> throw new IllegalArgumentException("not a watchpoint: " + type);
        };
        return new StopEvent(Kind.SIGNAL, SIGTRAP, r, address, 0);
    }

    /** The target stopped because the stub asked ({@link GdbTarget#interrupt()}, Ctrl-C in gdb). */
    public static StopEvent interrupted() {
        return new StopEvent(Kind.SIGNAL, SIGINT, Reason.NONE, 0, 0);
    }

    /** Any other signal, e.g. SIGSEGV for a guest triple fault the integrator wants gdb to see. */
    public static StopEvent signal(int signal) {
        return new StopEvent(Kind.SIGNAL, signal, Reason.NONE, 0, 0);
    }

    /** The VM shut down with an exit status (W packet). */
    public static StopEvent exited(int status) {
        return new StopEvent(Kind.EXITED, 0, Reason.NONE, 0, status & 0xFF);
    }

    /** The VM was killed (X packet) with a signal number. */
    public static StopEvent terminated(int signal) {
        return new StopEvent(Kind.TERMINATED, signal, Reason.NONE, 0, 0);
    }

    /** True when the target is gone (W or X): registers and memory are no longer available. */
    public boolean isFinal() {
        return kind != Kind.SIGNAL;
    }
}
