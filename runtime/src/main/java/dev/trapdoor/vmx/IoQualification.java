package dev.trapdoor.vmx;

/** Exit qualification for I/O instructions (SDM Vol. 3C, Table 28-5). */
public final class IoQualification {
    private IoQualification() {}

    public static final int DIRECTION_IN = 1 << 3;
    public static final int STRING = 1 << 4;
    public static final int REP = 1 << 5;
    public static final int IMMEDIATE = 1 << 6;

    public static long encode(int port, int size, boolean in, boolean string, boolean rep, boolean immediate) {
        long q = (size - 1) & 7;
        if (in) q |= DIRECTION_IN;
        if (string) q |= STRING;
        if (rep) q |= REP;
        if (immediate) q |= IMMEDIATE;
        q |= (long) (port & 0xffff) << 16;
        return q;
    }

    public static int size(long q) { return (int) (q & 7) + 1; }
    public static boolean in(long q) { return (q & DIRECTION_IN) != 0; }
    public static boolean string(long q) { return (q & STRING) != 0; }
    public static boolean rep(long q) { return (q & REP) != 0; }
    public static boolean immediate(long q) { return (q & IMMEDIATE) != 0; }
    public static int port(long q) { return (int) (q >>> 16) & 0xffff; }
}
