package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

/** Turns what scripts pass for an exit reason (the enum, its name, its SDM number) into the enum. */
final class Reasons {
    private Reasons() {}

    static ExitReason resolve(Object o) {
        if (o instanceof ExitReason r) return r;
        if (o instanceof Number n) {
            ExitReason r = ExitReason.ofNumber(n.intValue());
            if (r == null) throw new IllegalArgumentException("the SDM defines no exit reason " + n);
            return r;
        }
        if (o == null) throw new IllegalArgumentException("an exit reason is needed (a name like IO_INSTRUCTION, or a number)");
        return ExitReason.byName(o.toString());
    }
}
