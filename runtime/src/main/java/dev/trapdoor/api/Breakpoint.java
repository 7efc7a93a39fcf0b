package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

/** Stops the run on an exit of a reason, when an optional condition holds. */
public final class Breakpoint extends ExitWatch {
    private final ExitCondition condition;
    private final String conditionText;
    private final boolean temporary;
    /** The linear instruction address of an address breakpoint, or -1 for an exit breakpoint. */
    long address = -1;

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
        return condition == null || condition.test(e) ? Action.STOP : Action.PASS;
    }

    @Override
    public String toString() {
        if (address >= 0) return String.format("breakpoint #%d at %#x, hit %d time%s%s", id(), address, getHits(), getHits() == 1 ? "" : "s", isEnabled() ? "" : " (disabled)");
        return String.format("breakpoint #%d on %s%s%s, hit %d time%s%s", id(), describeReason(),
                condition == null ? "" : " if " + (conditionText == null ? "<condition>" : conditionText),
                temporary ? " (once)" : "", getHits(), getHits() == 1 ? "" : "s", isEnabled() ? "" : " (disabled)");
    }
}
