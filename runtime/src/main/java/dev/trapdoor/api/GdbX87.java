package dev.trapdoor.api;

import dev.trapdoor.cpu.fpu.X87;
import dev.trapdoor.cpu.fpu.X87Image;
import dev.trapdoor.debug.gdb.I386Registers;

import static dev.trapdoor.debug.gdb.I386Layout.*;

/**
 * The x87 half of gdb's i386 register file (st0-st7 in ST(i) order, then fctrl, fstat, ftag,
 * fiseg, fioff, foseg, fooff, fop: the FSAVE fields, SDM Vol. 1 Figure 8-10) from and to an
 * {@link X87}. Writes go through FRSTOR's protected-mode 32-bit image, so the unit takes the
 * values exactly as a guest's FRSTOR would give them.
 */
final class GdbX87 {
    private static final int ENV = X87Image.ENV32;

    private GdbX87() {}

    /** A CPU without x87 state to show: all registers empty, the rest zero. */
    static void loadEmpty(I386Registers r) {
        for (int i = 0; i < 8; i++) r.setSt(i, 0, 0);
        for (int reg = FCTRL; reg <= FOP; reg++) r.set(reg, 0);
        r.set(FTAG, 0xFFFF);
    }

    static void load(I386Registers r, X87 fpu) {
        for (int i = 0; i < 8; i++) r.setSt(i, fpu.stSe(i), fpu.stSig(i));
        r.set(FCTRL, fpu.controlWord());
        r.set(FSTAT, fpu.statusWord());
        r.set(FTAG, fpu.tagWord());
        r.set(FISEG, fpu.fcs);
        r.set(FIOFF, fpu.fip);
        r.set(FOSEG, fpu.fds);
        r.set(FOOFF, fpu.fdp);
        r.set(FOP, fpu.fop);
    }

    /** Stores gdb's values into the unit (the tag word decides which registers are empty). */
    static void store(I386Registers r, X87 fpu) {
        byte[] m = new byte[X87Image.SAVE32];
        putInt(m, 0, r.get(FCTRL) & 0xFFFF);
        putInt(m, 4, r.get(FSTAT) & 0xFFFF);
        putInt(m, 8, r.get(FTAG) & 0xFFFF);
        putInt(m, 12, r.get(FIOFF));
        putInt(m, 16, (r.get(FISEG) & 0xFFFF) | (r.get(FOP) & 0x7FF) << 16);
        putInt(m, 20, r.get(FOOFF));
        putInt(m, 24, r.get(FOSEG) & 0xFFFF);
        // FRSTOR reads ST(i) relative to the TOP it loaded from the status word, which is what gdb's st0..st7 are.
        for (int i = 0; i < 8; i++) {
            int at = ENV + 10 * i;
            long sig = r.stSignificand(i);
            for (int b = 0; b < 8; b++) m[at + b] = (byte) (sig >>> (8 * b));
            int se = r.stSignExponent(i);
            m[at + 8] = (byte) se;
            m[at + 9] = (byte) (se >>> 8);
        }
        X87Image.frstor(fpu, m, 0, true, true);
    }

    private static void putInt(byte[] m, int at, int v) {
        for (int b = 0; b < 4; b++) m[at + b] = (byte) (v >>> (8 * b));
    }
}
