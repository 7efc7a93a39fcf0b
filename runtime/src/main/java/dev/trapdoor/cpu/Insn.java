package dev.trapdoor.cpu;

/**
 * One decoded instruction, filled by the {@link Decoder} into storage owned by a decoded block, so
 * executing it allocates nothing. Register numbers use the SDM's encoding (0 = eAX ... 7 = eDI;
 * byte registers 4-7 are AH, CH, DH, BH).
 */
public final class Insn {
    public Row row = OpcodeTable.INVALID;
    int op;
    int sub;
    /** Operation size in bytes: 1 for byte forms, else the operand size. */
    int size;
    /** Operand size (2 or 4) and address size (2 or 4) after prefixes. */
    int osize, asize;
    /** Segment register for the memory operand: the override if any, else DS or SS by base register. */
    int seg;
    /** Segment override prefix (0-5) or -1. */
    int segOverride;
    /** 0, 0xf2 or 0xf3. */
    int rep;
    boolean lock;
    boolean code32;
    int mod, reg, rm;
    /** True if the instruction has a ModRM memory operand or a moffs operand. */
    boolean mem;
    /** Effective-address parts: base and index register (-1 = none), scale shift, displacement. */
    int base = -1, index = -1, scale;
    int disp;
    /** Displacement bytes present in the encoding (0, 1, 2, 4), for the disassembler. */
    int dispBytes;
    boolean sib;
    int imm, imm2;
    /** Instruction length in bytes and offset of its first byte from the block start. */
    int len;
    int offset;

    public int length() { return len; }
    public int operandSize() { return osize; }
    public int addressSize() { return asize; }
    public Row row() { return row; }

    void clear() {
        row = OpcodeTable.INVALID;
        op = Ops.UD;
        sub = 0;
        segOverride = -1;
        seg = 3;
        rep = 0;
        lock = false;
        mod = 0;
        reg = 0;
        rm = 0;
        mem = false;
        base = -1;
        index = -1;
        scale = 0;
        disp = 0;
        dispBytes = 0;
        sib = false;
        imm = 0;
        imm2 = 0;
        len = 0;
    }
}
