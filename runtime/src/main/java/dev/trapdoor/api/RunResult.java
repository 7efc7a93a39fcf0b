package dev.trapdoor.api;

/**
 * The outcome of {@link Vcpu#run()}: why it stopped, the exit it stopped on (null where none),
 * the machine's exit status for {@link StopReason#SHUTDOWN}, the breakpoint that matched, and a message.
 */
public record RunResult(StopReason reason, Exit exit, int status, Breakpoint breakpoint, String message) {

    static RunResult of(StopReason reason, Exit exit, String message) {
        return new RunResult(reason, exit, 0, null, message);
    }

    public boolean isShutdown() {
        return reason == StopReason.SHUTDOWN;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        if (reason == StopReason.SHUTDOWN) b.append(" (status ").append(status).append(')');
        if (breakpoint != null) b.append(" #").append(breakpoint.id());
        if (message != null && !message.isEmpty()) b.append(": ").append(message);
        if (exit != null) b.append(" at ").append(exit);
        return b.toString();
    }
}
