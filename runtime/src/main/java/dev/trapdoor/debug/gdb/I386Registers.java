package dev.trapdoor.debug.gdb;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import static dev.trapdoor.debug.gdb.I386Layout.*;

/**
 * A register file in GDB's i386 layout ({@link I386Layout}), held as the little-endian bytes a
 * g packet carries. A {@link GdbTarget} fills it on {@code readRegisters} and takes it back on
 * {@code writeRegisters}; the typed accessors spare it the byte offsets.
 */
public final class I386Registers {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle SHORT = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    /** GDB's segment order (cs, ss, ds, es, fs, gs) as indices into {@link X86Registers#seg}. */
    private static final int[] SEG_FROM_X86 = {X86Registers.CS, X86Registers.SS, X86Registers.DS,
        X86Registers.ES, X86Registers.FS, X86Registers.GS};

    private final byte[] bytes = new byte[SIZE];

    /** The raw layout: {@link I386Layout#SIZE} bytes, little-endian, as in a g packet. */
    public byte[] bytes() {
        return bytes;
    }

    /** A 32-bit register (any number except st0..st7). */
    public int get(int reg) {
        check32(reg);
        return (int) INT.get(bytes, offset(reg));
    }

    public void set(int reg, int value) {
        check32(reg);
        INT.set(bytes, offset(reg), value);
    }

    /** ST(i)'s 64-bit significand (bits 63:0 of the 80-bit value). */
    public long stSignificand(int i) {
        return (long) LONG.get(bytes, offset(ST0 + checkSt(i)));
    }

    /** ST(i)'s sign and 15-bit exponent (bits 79:64). */
    public int stSignExponent(int i) {
        return (short) SHORT.get(bytes, offset(ST0 + checkSt(i)) + 8) & 0xFFFF;
    }

    public void setSt(int i, int signExponent, long significand) {
        int off = offset(ST0 + checkSt(i));
        LONG.set(bytes, off, significand);
        SHORT.set(bytes, off + 8, (short) signExponent);
    }

    public void copyFrom(I386Registers o) {
        System.arraycopy(o.bytes, 0, bytes, 0, SIZE);
    }

    /** Fills the integer part (GPRs, EIP, EFLAGS, selectors) from the runtime's register file. */
    public void loadFrom(X86Registers r) {
        for (int i = 0; i < 8; i++) set(EAX + i, r.gpr[i]);
        set(EIP, r.eip);
        set(EFLAGS, r.eflags);
        for (int i = 0; i < 6; i++) set(CS + i, r.seg[SEG_FROM_X86[i]].selector & 0xFFFF);
    }

    /**
     * Stores the integer part back. A selector that changed is loaded as in real mode (base =
     * selector * 16) when CR0.PE is clear; in protected mode only the selector changes and the
     * descriptor cache is left as it was, since a debugger write is not a segment load.
     */
    public void storeTo(X86Registers r) {
        for (int i = 0; i < 8; i++) r.gpr[i] = get(EAX + i);
        r.eip = get(EIP);
        r.eflags = get(EFLAGS);
        for (int i = 0; i < 6; i++) {
            Segment s = r.seg[SEG_FROM_X86[i]];
            int sel = get(CS + i) & 0xFFFF;
            if (sel == s.selector) continue;
            s.selector = sel;
            if (!r.protectedMode()) s.base = (long) sel << 4;
        }
    }

    private static void check32(int reg) {
        if (reg < 0 || reg >= COUNT || size(reg) != 4) throw new IllegalArgumentException("not a 32-bit register: " + reg);
    }

    private static int checkSt(int i) {
        if (i < 0 || i > 7) throw new IllegalArgumentException("st" + i);
        return i;
    }
}
