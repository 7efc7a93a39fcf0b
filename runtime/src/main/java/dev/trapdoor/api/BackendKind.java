package dev.trapdoor.api;

import java.util.Locale;

/** The execution backends. */
public enum BackendKind {
    /** The IA-32 interpreter under VMX-style controls: slower, shows everything. */
    INTERP,
    /** Linux KVM through /dev/kvm: native speed, only the exits KVM hands to user space. */
    KVM;

    public static BackendKind of(Object o) {
        if (o instanceof BackendKind k) return k;
        String s = String.valueOf(o).trim().toLowerCase(Locale.ROOT);
        return switch (s) {
            case "interp", "interpreter", "tcg", "emu" -> INTERP;
            case "kvm" -> KVM;
            default -> throw new IllegalArgumentException("unknown backend '" + o + "': use interp or kvm");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
