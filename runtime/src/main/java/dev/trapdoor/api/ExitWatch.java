package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

/**
 * Something that looks at exits before the default handler: a {@link Hook} or a {@link Breakpoint}.
 * They run in the order they were added; ids are unique within a VM.
 */
public abstract sealed class ExitWatch permits Hook, Breakpoint {
    private final int id;
    private final ExitReason reason;
    private volatile boolean enabled = true;
    private long hits;

    ExitWatch(int id, ExitReason reason) {
        this.id = id;
        this.reason = reason;
    }

    public int id() { return id; }
    public int getId() { return id; }
    /** The reason watched, or null for every exit. */
    public ExitReason getReason() { return reason; }
    public boolean isEnabled() { return enabled; }
    public void setEnabled(boolean on) { enabled = on; }
    public void enable() { enabled = true; }
    public void disable() { enabled = false; }
    /** How many exits this watch acted on. */
    public long getHits() { return hits; }

    final boolean matches(Exit e) {
        return enabled && (reason == null || reason == e.getReason());
    }

    final Action fire(Exit e) {
        Action a = decide(e);
        if (a != null && a != Action.PASS) hits++;
        return a == null ? Action.PASS : a;
    }

    abstract Action decide(Exit e);

    String describeReason() {
        return reason == null ? "any exit" : reason.name();
    }
}
