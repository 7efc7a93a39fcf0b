package dev.trapdoor.cpu;

/**
 * One row of the opcode table: an instruction's AT&T mnemonic, its handler, its operands in Intel
 * order (destination first) and attributes. A group row carries the eight rows selected by
 * ModRM.reg (and, where the SDM splits a group by ModRM.mod, eight more for mod = 11b).
 */
public final class Row {
    /** Ends a decoded block: control transfers, mode changes, instructions that exit. */
    public static final int END = 1;
    /** LOCK is allowed when the destination is memory (SDM Vol. 2, LOCK). */
    public static final int LOCKABLE = 1 << 1;
    /** AT&T never adds a size suffix (setcc, movzx spell the size in the mnemonic). */
    public static final int NO_SUFFIX = 1 << 2;
    /** Stack-sized: a suffix only when the operand size differs from the code segment's. */
    public static final int STACK = 1 << 3;
    /** Always a size suffix from the operand size (lgdtl, movzbl). */
    public static final int SUFFIX = 1 << 4;
    /** A string instruction: F3 means rep (repz for cmps/scas), F2 repnz. */
    public static final int STRING_OP = 1 << 5;
    /** F3 prints as repz, F2 as repnz (cmps, scas). */
    public static final int REPZ = 1 << 6;
    /** The register operand is forced (mov to/from CRn ignore ModRM.mod). */
    public static final int FORCE_REG = 1 << 7;
    /** Memory operand is required; mod = 11b is #UD (lea, lgdt, les). */
    public static final int MEM_ONLY = 1 << 8;
    /** Privileged: #GP(0) unless CPL = 0 (SDM Vol. 3A, 5.9). */
    public static final int PRIV = 1 << 9;
    /** Indirect branch: AT&T prints its operand with a leading '*'. */
    public static final int INDIRECT = 1 << 10;

    public final String mnemonic;
    final int op;
    final int sub;
    final Operand[] operands;
    public final int attrs;
    final Row[] group;
    final Row[] groupMod3;

    Row(String mnemonic, int op, int sub, Operand[] operands, int attrs, Row[] group, Row[] groupMod3) {
        this.mnemonic = mnemonic;
        this.op = op;
        this.sub = sub;
        this.operands = operands;
        this.attrs = attrs;
        this.group = group;
        this.groupMod3 = groupMod3;
    }

    public boolean has(int attr) {
        return (attrs & attr) != 0;
    }

    public boolean defined() {
        return mnemonic != null;
    }

    /** The mnemonic for an operand size of 2 or 4 bytes ("cbtw/cwtl" spells both). */
    public String mnemonic(int osize) {
        int slash = mnemonic.indexOf('/');
        if (slash < 0) return mnemonic;
        return osize == 2 ? mnemonic.substring(0, slash) : mnemonic.substring(slash + 1);
    }

    public java.util.List<Operand> operands() {
        return java.util.List.of(operands);
    }

    @Override
    public String toString() {
        return mnemonic + " " + java.util.Arrays.toString(operands);
    }
}
