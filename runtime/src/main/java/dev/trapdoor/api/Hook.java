package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

/** A script's exit handler: inspects and changes guest state, then handles, passes on or stops. */
public final class Hook extends ExitWatch {
    private final ExitHandler handler;

    Hook(int id, ExitReason reason, ExitHandler handler) {
        super(id, reason);
        this.handler = handler;
    }

    @Override
    Action decide(Exit e) {
        return handler.handle(e);
    }

    @Override
    public String toString() {
        return String.format("hook #%d on %s%s", id(), describeReason(), isEnabled() ? "" : " (disabled)");
    }
}
