package dev.trapdoor.vmx;

/**
 * The VM-exit instruction-information field for the descriptor-table instructions (SDM Vol. 3C,
 * 28.2.5): Table 28-10 for LGDT, LIDT, SGDT, SIDT (GDTR/IDTR access, reason 46) and Table 28-11
 * for LLDT, LTR, SLDT, STR (LDTR/TR access, reason 47). The exit qualification of these exits holds
 * the memory operand's displacement (28.2.1).
 */
public final class InstructionInformation {
    private InstructionInformation() {}

    /** Instruction identity, bits 29:28 of Table 28-10. */
    public static final int SGDT = 0, SIDT = 1, LGDT = 2, LIDT = 3;
    /** Instruction identity, bits 29:28 of Table 28-11. */
    public static final int SLDT = 0, STR = 1, LLDT = 2, LTR = 3;

    private static final int INDEX_INVALID = 1 << 22, BASE_INVALID = 1 << 27, REGISTER_OPERAND = 1 << 10;

    /**
     * Table 28-10: scaling 1:0, address size 9:7 (0 16-bit, 1 32-bit), operand size 11 (0 16-bit,
     * 1 32-bit), segment 17:15, index register 21:18 with its invalid bit 22, base register 26:23
     * with its invalid bit 27, identity 29:28. index/base are -1 when the operand has none.
     */
    public static long descriptorTable(int identity, int asize, int osize, int segment, int base, int index, int scale) {
        long v = memoryOperand(asize, segment, base, index, scale) | (long) (identity & 3) << 28;
        return osize == 4 ? v | 1 << 11 : v;
    }

    /** Table 28-11, memory operand: as Table 28-10 without the operand size, bit 10 = 0. */
    public static long ldtrTrMemory(int identity, int asize, int segment, int base, int index, int scale) {
        return memoryOperand(asize, segment, base, index, scale) | (long) (identity & 3) << 28;
    }

    /** Table 28-11, register operand: Reg1 in 6:3, bit 10 = 1; index and base marked invalid. */
    public static long ldtrTrRegister(int identity, int reg1) {
        return (long) (reg1 & 0xf) << 3 | REGISTER_OPERAND | INDEX_INVALID | BASE_INVALID | (long) (identity & 3) << 28;
    }

    private static long memoryOperand(int asize, int segment, int base, int index, int scale) {
        long v = (asize == 4 ? 1L : 0L) << 7 | (long) (segment & 7) << 15;
        v |= index < 0 ? INDEX_INVALID : (long) (index & 0xf) << 18 | (scale & 3);
        v |= base < 0 ? BASE_INVALID : (long) (base & 0xf) << 23;
        return v;
    }

    public static int identity(long info) { return (int) (info >>> 28) & 3; }
    public static boolean registerOperand(long info) { return (info & REGISTER_OPERAND) != 0; }
    public static int reg1(long info) { return (int) (info >>> 3) & 0xf; }
    public static int segment(long info) { return (int) (info >>> 15) & 7; }
    public static int addressSize(long info) { return ((info >>> 7) & 7) == 0 ? 2 : 4; }
    /** The operand size of LGDT/LIDT/SGDT/SIDT: 2 or 4 bytes. */
    public static int operandSize(long info) { return (info & (1 << 11)) != 0 ? 4 : 2; }
    public static int scale(long info) { return (int) info & 3; }
    /** The index register (0 = EAX ... 7 = EDI), or -1 if none. */
    public static int index(long info) { return (info & INDEX_INVALID) != 0 ? -1 : (int) (info >>> 18) & 0xf; }
    /** The base register, or -1 if none. */
    public static int base(long info) { return (info & BASE_INVALID) != 0 ? -1 : (int) (info >>> 23) & 0xf; }
}
