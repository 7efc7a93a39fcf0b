package dev.trapdoor.shell;

import dev.trapdoor.api.RunResult;

/**
 * How a booted guest's run becomes the process's exit status. isa-debug-exit statuses are odd
 * ((code << 1) | 1), so the even ones are free for the VMM's own: 0 for a normal end (power off,
 * halt), {@value #USAGE} for a bad command line or image (nothing ran), {@value #FAILED} when the
 * machine failed (triple fault, unhandled exit, backend error) or a --cmd run ended before its
 * command did, 130 when the host stopped it (a signal).
 *
 * @param status  the exit status
 * @param message one line for stderr, or null when there is nothing to say
 */
public record BootOutcome(int status, String message) {
    public static final int USAGE = 2;
    public static final int FAILED = 4;
    public static final int STOPPED = 130;

    /** The status and line for a run that ended with r; batch: a --cmd run, whose status is its command's. */
    public static BootOutcome of(RunResult r, ConsoleWatch watch, boolean batch) {
        if (batch && watch.getCommandStatus() >= 0) return new BootOutcome(watch.getCommandStatus(), null);
        BootOutcome end = switch (r.reason()) {
            case SHUTDOWN -> r.status() >= 0
                    ? new BootOutcome(r.status(), null)
                    : new BootOutcome(0, "the guest asked for a reset (" + r.message() + "); Trapdoor does not reboot it");
            case HALTED -> new BootOutcome(0, null); // poweroff on a board without ACPI halts with interrupts off
            case INTERRUPTED -> new BootOutcome(STOPPED, "stopped: " + r);
            default -> new BootOutcome(FAILED, "the guest failed: " + r);
        };
        if (batch && end.status != STOPPED) {
            String seen = watch.isReady() ? "userspace started but the command did not finish"
                    : "it stopped before userspace (no " + ConsoleWatch.READY_MARKER + " line)";
            return new BootOutcome(FAILED, "--cmd: " + seen + "; the run ended " + r + "; last line: " + quote(watch.getLastLine()));
        }
        return end;
    }

    private static String quote(String s) {
        return s.isEmpty() ? "(none)" : "\"" + s + "\"";
    }
}
