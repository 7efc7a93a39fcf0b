package dev.trapdoor.api;

/** EFLAGS bit names for display. */
final class Flags {
    private Flags() {}

    private static final String[] NAMES = {"CF", "", "PF", "", "AF", "", "ZF", "SF", "TF", "IF", "DF", "OF"};

    static String describe(int eflags) {
        StringBuilder b = new StringBuilder();
        for (int i = NAMES.length - 1; i >= 0; i--) {
            if (!NAMES[i].isEmpty() && (eflags & (1 << i)) != 0) b.append(b.isEmpty() ? "" : " ").append(NAMES[i]);
        }
        int iopl = (eflags >>> 12) & 3;
        if (iopl != 0) b.append(" IOPL=").append(iopl);
        if ((eflags & (1 << 17)) != 0) b.append(" VM");
        return b.toString();
    }
}
