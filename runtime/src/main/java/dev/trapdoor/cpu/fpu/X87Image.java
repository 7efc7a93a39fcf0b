package dev.trapdoor.cpu.fpu;

/**
 * The memory images of the x87 state: FNSTENV/FLDENV (14 or 28 bytes), FNSAVE/FRSTOR (94 or
 * 108 bytes) in their real-mode and protected-mode layouts (SDM Vol. 1 Figures 8-9 to 8-12),
 * and the x87 part of the FXSAVE/FXRSTOR legacy area (SDM Vol. 1 Table 10-2, 32-bit layout).
 * In real and virtual-8086 mode the CPU records a linear instruction/data address in
 * {@link X87#fip}/{@link X87#fdp}; the real-mode layouts split it as the SDM shows.
 */
public final class X87Image {
    public static final int ENV16 = 14, ENV32 = 28, SAVE16 = 94, SAVE32 = 108, FXSAVE = 512;

    private X87Image() {}

    public static int envSize(boolean op32) {
        return op32 ? ENV32 : ENV16;
    }

    /** FNSTENV: stores the environment, then masks all exceptions (SDM Vol. 2 FSTENV). */
    public static void fnstenv(X87 fpu, byte[] m, int off, boolean op32, boolean protectedMode) {
        storeEnv(fpu, m, off, op32, protectedMode);
        fpu.cw |= 0x3F;
    }

    private static void storeEnv(X87 fpu, byte[] m, int off, boolean op32, boolean protectedMode) {
        put(m, off, 0, fpu.controlWord(), op32);
        put(m, off, 1, fpu.statusWord(), op32);
        put(m, off, 2, fpu.tagWord(), op32);
        if (protectedMode) {
            put(m, off, 3, fpu.fip, op32);
            put(m, off, 4, fpu.fcs | (op32 ? fpu.fop << 16 : 0), op32);
            put(m, off, 5, fpu.fdp, op32);
            put(m, off, 6, fpu.fds, op32);
        } else {
            int high = op32 ? 0xFFFF : 0xF;                // 32-bit: address bits 31:16; 16-bit: 19:16
            put(m, off, 3, fpu.fip & 0xFFFF, op32);
            put(m, off, 4, ((fpu.fip >>> 16) & high) << 12 | fpu.fop, op32);
            put(m, off, 5, fpu.fdp & 0xFFFF, op32);
            put(m, off, 6, ((fpu.fdp >>> 16) & high) << 12, op32);
        }
    }

    /** Word i of an environment image: 16 bits each, or 32-bit slots whose reserved upper halves of CW/SW/TW are 0. */
    private static void put(byte[] m, int off, int i, int v, boolean op32) {
        if (op32) putInt(m, off + 4 * i, i < 3 ? v & 0xFFFF : v);
        else putShort(m, off + 2 * i, v);
    }

    private static int get(byte[] m, int off, int i, boolean op32) {
        return op32 ? getInt(m, off + 4 * i) : getShort(m, off + 2 * i);
    }

    /** FLDENV. */
    public static void fldenv(X87 fpu, byte[] m, int off, boolean op32, boolean protectedMode) {
        fpu.setStatusWord(get(m, off, 1, op32));
        fpu.setTagWord(get(m, off, 2, op32));
        int w3 = get(m, off, 3, op32), w4 = get(m, off, 4, op32), w5 = get(m, off, 5, op32), w6 = get(m, off, 6, op32);
        if (protectedMode) {
            fpu.fip = op32 ? w3 : w3 & 0xFFFF;
            fpu.fcs = w4 & 0xFFFF;
            fpu.fop = op32 ? (w4 >>> 16) & 0x7FF : 0;
            fpu.fdp = op32 ? w5 : w5 & 0xFFFF;
            fpu.fds = w6 & 0xFFFF;
        } else {
            int high = op32 ? 0xFFFF : 0xF;
            fpu.fip = (w3 & 0xFFFF) | ((w4 >>> 12) & high) << 16;
            fpu.fop = w4 & 0x7FF;
            fpu.fdp = (w5 & 0xFFFF) | ((w6 >>> 12) & high) << 16;
            fpu.fcs = 0;
            fpu.fds = 0;
        }
        fpu.fldcw(get(m, off, 0, op32));                   // last: ES follows the new masks
    }

    /** FNSAVE: environment, then ST(0)..ST(7) as 10-byte values; then FNINIT. */
    public static void fnsave(X87 fpu, byte[] m, int off, boolean op32, boolean protectedMode) {
        storeEnv(fpu, m, off, op32, protectedMode);
        int r = off + envSize(op32);
        for (int i = 0; i < 8; i++) putExt(m, r + 10 * i, fpu.stSe(i), fpu.stSig(i));
        fpu.fninit();
    }

    /** FRSTOR. */
    public static void frstor(X87 fpu, byte[] m, int off, boolean op32, boolean protectedMode) {
        fldenv(fpu, m, off, op32, protectedMode);
        int r = off + envSize(op32);
        for (int i = 0; i < 8; i++) {
            int p = fpu.phys(i);
            fpu.regSig[p] = getLong(m, r + 10 * i);
            fpu.regSe[p] = getShort(m, r + 10 * i + 8);
        }
    }

    /** FXSAVE's x87 fields and registers; MXCSR and MXCSR_MASK are 0 (no SSE). Other bytes untouched. */
    public static void fxsave(X87 fpu, byte[] m, int off) {
        putShort(m, off, fpu.controlWord());
        putShort(m, off + 2, fpu.statusWord());
        m[off + 4] = (byte) fpu.abridgedTag();
        m[off + 5] = 0;
        putShort(m, off + 6, fpu.fop);
        putInt(m, off + 8, fpu.fip);
        putInt(m, off + 12, fpu.fcs);
        putInt(m, off + 16, fpu.fdp);
        putInt(m, off + 20, fpu.fds);
        putInt(m, off + 24, 0);
        putInt(m, off + 28, 0);
        for (int i = 0; i < 8; i++) {
            int r = off + 32 + 16 * i;
            putExt(m, r, fpu.stSe(i), fpu.stSig(i));
            for (int k = 10; k < 16; k++) m[r + k] = 0;
        }
    }

    /** FXRSTOR's x87 part. */
    public static void fxrstor(X87 fpu, byte[] m, int off) {
        fpu.setStatusWord(getShort(m, off + 2));
        fpu.setAbridgedTag(m[off + 4] & 0xFF);
        fpu.fop = getShort(m, off + 6) & 0x7FF;
        fpu.fip = getInt(m, off + 8);
        fpu.fcs = getShort(m, off + 12);
        fpu.fdp = getInt(m, off + 16);
        fpu.fds = getShort(m, off + 20);
        for (int i = 0; i < 8; i++) {
            int p = fpu.phys(i);
            fpu.regSig[p] = getLong(m, off + 32 + 16 * i);
            fpu.regSe[p] = getShort(m, off + 32 + 16 * i + 8);
        }
        fpu.fldcw(getShort(m, off));
    }

    private static void putExt(byte[] m, int off, int se, long sig) {
        putLong(m, off, sig);
        putShort(m, off + 8, se);
    }

    private static void putShort(byte[] m, int off, int v) {
        m[off] = (byte) v;
        m[off + 1] = (byte) (v >>> 8);
    }

    private static void putInt(byte[] m, int off, int v) {
        putShort(m, off, v);
        putShort(m, off + 2, v >>> 16);
    }

    private static void putLong(byte[] m, int off, long v) {
        putInt(m, off, (int) v);
        putInt(m, off + 4, (int) (v >>> 32));
    }

    private static int getShort(byte[] m, int off) {
        return (m[off] & 0xFF) | (m[off + 1] & 0xFF) << 8;
    }

    private static int getInt(byte[] m, int off) {
        return getShort(m, off) | getShort(m, off + 2) << 16;
    }

    private static long getLong(byte[] m, int off) {
        return (getInt(m, off) & 0xFFFF_FFFFL) | (long) getInt(m, off + 4) << 32;
    }
}
