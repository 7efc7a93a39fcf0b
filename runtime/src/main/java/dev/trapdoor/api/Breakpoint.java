package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

/** Stops the run on an exit of a reason, when an optional condition holds. */
public final class Breakpoint extends ExitWatch {
    private final ExitCondition condition;
    private final String conditionText;
    private final boolean temporary;
    /** The linear instruction address of an address breakpoint, or -1 for an exit breakpoint. */
    long address = -1;
    /**
     * What a debugger stop watches ({@link DebugStopSet}: a watched range, a mnemonic, a port range,
     * a vector), null for exit and address breakpoints; {@link #match} picks its stops out of the exits.
     */
    Object target;
    String description;
    ExitCondition match;

    Breakpoint(int id, ExitReason reason, ExitCondition condition, String conditionText, boolean temporary) {
        super(id, reason);
        this.condition = condition;
        this.conditionText = conditionText;
        this.temporary = temporary;
    }

    public boolean isTemporary() { return temporary; }
    /** The instruction address this breakpoint stops at, or -1 for a breakpoint on exits. */
    public long getAddress() { return address; }

    @Override
    Action decide(Exit e) {
        if (match != null && !match.test(e)) return Action.PASS;
        return condition == null || condition.test(e) ? Action.STOP : Action.PASS;
    }

    /** What this breakpoint watches, in words ("writes of 0x6000+4 (linear)", "instruction cpuid"), or null for exit breakpoints. */
    public String getDescription() { return description; }

    @Override
    public String toString() {
        if (description != null) return String.format("%s #%d on %s%s, hit %d time%s%s", target instanceof dev.trapdoor.cpu.DebugStops.Watch ? "watchpoint" : "breakpoint",
                id(), description, condition == null ? "" : " if " + (conditionText == null ? "<condition>" : conditionText),
                getHits(), getHits() == 1 ? "" : "s", isEnabled() ? "" : " (disabled)");
        if (address >= 0) return String.format("breakpoint #%d at %#x, hit %d time%s%s", id(), address, getHits(), getHits() == 1 ? "" : "s", isEnabled() ? "" : " (disabled)");
        return String.format("breakpoint #%d on %s%s%s, hit %d time%s%s", id(), describeReason(),
                condition == null ? "" : " if " + (conditionText == null ? "<condition>" : conditionText),
                temporary ? " (once)" : "", getHits(), getHits() == 1 ? "" : "s", isEnabled() ? "" : " (disabled)");
    }
}
