package dev.trapdoor.debug.gdb;

/** The kinds of the remote protocol's Z/z packets, by their type number (GDB manual, "Packets", Z0..Z4). */
public enum BreakpointType {
    /** Z0: a software breakpoint; the kind is the breakpoint instruction's length (1 on x86). */
    SOFTWARE,
    /** Z1: a hardware (debug-register) instruction breakpoint. */
    HARDWARE,
    /** Z2: a write watchpoint over length bytes. */
    WRITE_WATCH,
    /** Z3: a read watchpoint. */
    READ_WATCH,
    /** Z4: an access (read or write) watchpoint. */
    ACCESS_WATCH;

    private static final BreakpointType[] BY_NUMBER = values();

    /** The Z packet type number: 0 for SOFTWARE .. 4 for ACCESS_WATCH. */
    public int number() {
        return ordinal();
    }

    /** The type for a Z packet type number, or null when the number is not 0..4. */
    public static BreakpointType ofNumber(int n) {
        return n >= 0 && n < BY_NUMBER.length ? BY_NUMBER[n] : null;
    }

    public boolean isWatchpoint() {
        return this == WRITE_WATCH || this == READ_WATCH || this == ACCESS_WATCH;
    }
}
