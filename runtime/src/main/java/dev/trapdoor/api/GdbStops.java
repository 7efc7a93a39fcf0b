package dev.trapdoor.api;

import dev.trapdoor.debug.gdb.BreakpointType;
import dev.trapdoor.debug.gdb.StopEvent;

/**
 * How a run's outcome looks to gdb: one {@link StopEvent} per {@link RunResult}. Signal numbers
 * are GDB's own (gdb/signals.def), which are what a stop reply carries whatever the host.
 */
final class GdbStops {
    static final int SIGILL = 4, SIGABRT = 6, SIGFPE = 8;

    private GdbStops() {}

    /**
     * The stop for a run result. {@code type} is the kind of gdb breakpoint that stopped the run
     * (null when the breakpoint is not one gdb placed). HALTED is a SIGTRAP stop where the
     * vCPU waits: gdb shows where the guest halted, and continue runs it again (HLT with nothing
     * to wake the guest stops again at once), which is what hanging until Ctrl-C would show
     * less usefully; {@code monitor why} tells the reason.
     */
    static StopEvent of(RunResult r, BreakpointType type) {
        return switch (r.reason()) {
            case BREAKPOINT -> type == BreakpointType.HARDWARE ? StopEvent.hardwareBreakpoint()
                    : type == BreakpointType.SOFTWARE ? StopEvent.softwareBreakpoint()
                    : StopEvent.signal(StopEvent.SIGTRAP); // a script's exit breakpoint
            case STEPPED, HALTED, HOOK_STOP -> StopEvent.stepped();
            case INTERRUPTED -> StopEvent.interrupted();
            case SHUTDOWN -> StopEvent.exited(r.status());
            case TRIPLE_FAULT -> StopEvent.signal(StopEvent.SIGSEGV);
            case EXCEPTION -> StopEvent.signal(r.exit() == null ? StopEvent.SIGSEGV : forVector(r.exit().getVector()));
            case UNHANDLED_EXIT -> StopEvent.signal(SIGILL);
            case ERROR -> StopEvent.signal(SIGABRT);
        };
    }

    /** The POSIX signal a Unix kernel raises for an exception vector (SDM Vol. 3A, Table 6-1), as a debugger expects it. */
    static int forVector(int vector) {
        return switch (vector) {
            case 0, 16, 19 -> SIGFPE;             // #DE, #MF, #XM
            case 1, 3 -> StopEvent.SIGTRAP;       // #DB, #BP
            case 6 -> SIGILL;                     // #UD
            default -> StopEvent.SIGSEGV;         // #GP, #PF, #SS, #NP, #TS, #AC, ...
        };
    }

    /** One line for {@code monitor why}: the run result and the gdb signal it became. */
    static String describe(RunResult r, StopEvent s) {
        String gdb = switch (s.kind()) {
            case EXITED -> "exited with status " + s.status();
            case TERMINATED -> "terminated by signal " + s.signal();
            case SIGNAL -> "signal " + s.signal() + (s.reason() == StopEvent.Reason.NONE ? "" : " (" + s.reason().name().toLowerCase(java.util.Locale.ROOT) + ")");
        };
        return (r == null ? "stopped" : r.toString()) + "\n  reported to gdb as " + gdb;
    }
}
