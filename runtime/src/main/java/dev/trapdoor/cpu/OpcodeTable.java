package dev.trapdoor.cpu;

import static dev.trapdoor.cpu.Ops.*;
import static dev.trapdoor.cpu.Row.*;

/**
 * The IA-32 opcode maps (SDM Vol. 2, Appendix A, Tables, group Table A-6): one row per
 * opcode of the one-byte and 0F maps, groups expanded by ModRM.reg. The decoder, the executor's
 * dispatch and the disassembler all read these rows. Rows the interpreter does not execute yet
 * have handler {@link Ops#UD}: they disassemble but raise #UD, so growing the ISA means filling
 * in a handler, not touching the decoder.
 */
public final class OpcodeTable {
    private OpcodeTable() {}

    static final Row INVALID = new Row(null, UD, 0, new Operand[0], 0, null, null);
    /** 0F 01 C8 and C9 (SDM Table A-6): one group slot, told apart by r/m in the decoder. */
    static final Row MONITOR_ROW = new Row("monitor", MONITOR, 0, new Operand[0], Row.NO_SUFFIX, null, null);
    static final Row MWAIT_ROW = new Row("mwait", MWAIT, 0, new Operand[0], Row.NO_SUFFIX | Row.END, null, null);

    static final Row[] ONE_BYTE = new Row[256];
    static final Row[] TWO_BYTE = new Row[256];

    static final String[] ALU = {"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"};
    static final String[] SHIFTS = {"rol", "ror", "rcl", "rcr", "shl", "shr", "shl", "sar"};
    static final String[] CC = {"o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"};

    public static Row oneByte(int opcode) { return ONE_BYTE[opcode & 0xff]; }
    public static Row twoByte(int opcode) { return TWO_BYTE[opcode & 0xff]; }

    private static java.util.Set<String> mnemonics;

    /** Every mnemonic a row of the two maps spells (groups expanded), as the rows spell it. */
    public static synchronized java.util.Set<String> mnemonics() {
        if (mnemonics == null) {
            java.util.Set<String> all = new java.util.TreeSet<>();
            for (Row r : ONE_BYTE) collect(r, all);
            for (Row r : TWO_BYTE) collect(r, all);
            mnemonics = java.util.Collections.unmodifiableSet(all);
        }
        return mnemonics;
    }

    private static void collect(Row r, java.util.Set<String> into) {
        if (r == null) return;
        if (r.group != null || r.groupMod3 != null) {
            if (r.group != null) for (Row m : r.group) collect(m, into);
            if (r.groupMod3 != null) for (Row m : r.groupMod3) collect(m, into);
        } else if (r.mnemonic != null && !r.mnemonic.isEmpty()) {
            into.add(r.mnemonic);
        }
    }

    private static Operand[] ops(String spec) {
        if (spec.isEmpty()) return new Operand[0];
        String[] parts = spec.split(",");
        Operand[] r = new Operand[parts.length];
        for (int i = 0; i < parts.length; i++) r[i] = Operand.valueOf(parts[i]);
        return r;
    }

    private static Row row(String m, int op, int sub, String operands, int attrs) {
        return new Row(m, op, sub, ops(operands), attrs, null, null);
    }

    private static void one(int opc, String m, int op, int sub, String operands, int attrs) {
        ONE_BYTE[opc] = row(m, op, sub, operands, attrs);
    }

    private static void two(int opc, String m, int op, int sub, String operands, int attrs) {
        TWO_BYTE[opc] = row(m, op, sub, operands, attrs);
    }

    private static Row group(Row[] members) {
        return new Row("", UD, 0, new Operand[0], 0, members, null);
    }

    private static Row group(Row[] members, Row[] mod3) {
        return new Row("", UD, 0, new Operand[0], 0, members, mod3);
    }

    private static Row[] invalid8() {
        Row[] r = new Row[8];
        java.util.Arrays.fill(r, INVALID);
        return r;
    }

    static {
        java.util.Arrays.fill(ONE_BYTE, INVALID);
        java.util.Arrays.fill(TWO_BYTE, INVALID);
        oneByteMap();
        twoByteMap();
    }

    private static void oneByteMap() {
        for (int a = 0; a < 8; a++) {
            int b = a << 3;
            int lock = a == 7 ? 0 : LOCKABLE;
            one(b, ALU[a], ALU_EG, a, "Eb,Gb", lock);
            one(b + 1, ALU[a], ALU_EG, a, "Ev,Gv", lock);
            one(b + 2, ALU[a], ALU_GE, a, "Gb,Eb", 0);
            one(b + 3, ALU[a], ALU_GE, a, "Gv,Ev", 0);
            one(b + 4, ALU[a], ALU_EI, a, "AL,Ib", 0);
            one(b + 5, ALU[a], ALU_EI, a, "eAX,Iz", 0);
        }
        String[] segs = {"ES", "CS", "SS", "DS"};
        for (int s = 0; s < 4; s++) {
            one(s * 8 + 6, "push", PUSH_S, s, segs[s], STACK);
            if (s != 1) one(s * 8 + 7, "pop", POP_S, s, segs[s], STACK | (s == 2 ? END : 0));
        }
        one(0x27, "daa", BCD, 0, "", 0);
        one(0x2f, "das", BCD, 1, "", 0);
        one(0x37, "aaa", BCD, 2, "", 0);
        one(0x3f, "aas", BCD, 3, "", 0);
        for (int r = 0; r < 8; r++) {
            one(0x40 + r, "inc", INC_Z, 0, "Zv", 0);
            one(0x48 + r, "dec", DEC_Z, 0, "Zv", 0);
            one(0x50 + r, "push", PUSH_Z, 0, "Zv", STACK);
            one(0x58 + r, "pop", POP_Z, 0, "Zv", STACK);
            one(0xb0 + r, "mov", MOV_ZI, 0, "Zb,Ib", 0);
            one(0xb8 + r, "mov", MOV_ZI, 0, "Zv,Iv", 0);
            if (r > 0) one(0x90 + r, "xchg", XCHG_AZ, 0, "Zv,eAX", 0);
        }
        one(0x60, "pusha", PUSHA, 0, "", STACK);
        one(0x61, "popa", POPA, 0, "", STACK);
        one(0x62, "bound", BOUND, 0, "Gv,M", MEM_ONLY);
        one(0x63, "arpl", ARPL, 0, "Ew,Gw", 0);
        one(0x68, "push", PUSH_I, 0, "Iz", STACK);
        one(0x69, "imul", IMUL_GEI, 0, "Gv,Ev,Iz", 0);
        one(0x6a, "push", PUSH_I, 0, "Ibs", STACK);
        one(0x6b, "imul", IMUL_GEI, 0, "Gv,Ev,Ibs", 0);
        one(0x6c, "ins", INS, 0, "Yb,DX", STRING_OP | END);
        one(0x6d, "ins", INS, 0, "Yv,DX", STRING_OP | END);
        one(0x6e, "outs", OUTS, 0, "DX,Xb", STRING_OP | END);
        one(0x6f, "outs", OUTS, 0, "DX,Xv", STRING_OP | END);
        for (int c = 0; c < 16; c++) one(0x70 + c, "j" + CC[c], JCC, c, "Jb", END);

        Row[] g1b = new Row[8], g1v = new Row[8], g1s = new Row[8];
        for (int a = 0; a < 8; a++) {
            int lock = a == 7 ? 0 : LOCKABLE;
            g1b[a] = row(ALU[a], ALU_EI, a, "Eb,Ib", lock);
            g1v[a] = row(ALU[a], ALU_EI, a, "Ev,Iz", lock);
            g1s[a] = row(ALU[a], ALU_EI, a, "Ev,Ibs", lock);
        }
        ONE_BYTE[0x80] = group(g1b);
        ONE_BYTE[0x81] = group(g1v);
        ONE_BYTE[0x82] = group(g1b);
        ONE_BYTE[0x83] = group(g1s);
        one(0x84, "test", TEST_EG, 0, "Eb,Gb", 0);
        one(0x85, "test", TEST_EG, 0, "Ev,Gv", 0);
        one(0x86, "xchg", XCHG_EG, 0, "Eb,Gb", LOCKABLE);
        one(0x87, "xchg", XCHG_EG, 0, "Ev,Gv", LOCKABLE);
        one(0x88, "mov", MOV_EG, 0, "Eb,Gb", 0);
        one(0x89, "mov", MOV_EG, 0, "Ev,Gv", 0);
        one(0x8a, "mov", MOV_GE, 0, "Gb,Eb", 0);
        one(0x8b, "mov", MOV_GE, 0, "Gv,Ev", 0);
        one(0x8c, "mov", MOV_ES, 0, "Ev,Sw", 0);
        one(0x8d, "lea", LEA, 0, "Gv,M", MEM_ONLY);
        one(0x8e, "mov", MOV_SE, 0, "Sw,Ev", END);
        Row[] g1a = invalid8();
        g1a[0] = row("pop", POP_E, 0, "Ev", STACK);
        ONE_BYTE[0x8f] = group(g1a);
        one(0x90, "nop", NOP, 0, "", 0);
        one(0x98, "cbtw/cwtl", CBW, 0, "", 0);
        one(0x99, "cwtd/cltd", CWD, 0, "", 0);
        one(0x9a, "lcall", CALL_FAR, 0, "Ap", END | STACK);
        one(0x9b, "fwait", FWAIT, 0, "", 0);
        one(0x9c, "pushf", PUSHF, 0, "", STACK);
        one(0x9d, "popf", POPF, 0, "", STACK | END);
        one(0x9e, "sahf", SAHF, 0, "", 0);
        one(0x9f, "lahf", LAHF, 0, "", 0);
        one(0xa0, "mov", MOV_AO, 0, "AL,Ob", 0);
        one(0xa1, "mov", MOV_AO, 0, "eAX,Ov", 0);
        one(0xa2, "mov", MOV_OA, 0, "Ob,AL", 0);
        one(0xa3, "mov", MOV_OA, 0, "Ov,eAX", 0);
        one(0xa4, "movs", STRING, 0, "Yb,Xb", STRING_OP);
        one(0xa5, "movs", STRING, 0, "Yv,Xv", STRING_OP);
        one(0xa6, "cmps", STRING, 1, "Xb,Yb", STRING_OP | REPZ);
        one(0xa7, "cmps", STRING, 1, "Xv,Yv", STRING_OP | REPZ);
        one(0xa8, "test", TEST_EI, 0, "AL,Ib", 0);
        one(0xa9, "test", TEST_EI, 0, "eAX,Iz", 0);
        one(0xaa, "stos", STRING, 2, "Yb,AL", STRING_OP);
        one(0xab, "stos", STRING, 2, "Yv,eAX", STRING_OP);
        one(0xac, "lods", STRING, 3, "AL,Xb", STRING_OP);
        one(0xad, "lods", STRING, 3, "eAX,Xv", STRING_OP);
        one(0xae, "scas", STRING, 4, "AL,Yb", STRING_OP | REPZ);
        one(0xaf, "scas", STRING, 4, "eAX,Yv", STRING_OP | REPZ);

        Row[] g2b = new Row[8], g2v = new Row[8], g2b1 = new Row[8], g2v1 = new Row[8], g2bc = new Row[8], g2vc = new Row[8];
        for (int s = 0; s < 8; s++) {
            g2b[s] = row(SHIFTS[s], SHIFT, s, "Eb,Ib", 0);
            g2v[s] = row(SHIFTS[s], SHIFT, s, "Ev,Ib", 0);
            g2b1[s] = row(SHIFTS[s], SHIFT, s, "Eb,ONE", 0);
            g2v1[s] = row(SHIFTS[s], SHIFT, s, "Ev,ONE", 0);
            g2bc[s] = row(SHIFTS[s], SHIFT, s, "Eb,CL", 0);
            g2vc[s] = row(SHIFTS[s], SHIFT, s, "Ev,CL", 0);
        }
        ONE_BYTE[0xc0] = group(g2b);
        ONE_BYTE[0xc1] = group(g2v);
        ONE_BYTE[0xd0] = group(g2b1);
        ONE_BYTE[0xd1] = group(g2v1);
        ONE_BYTE[0xd2] = group(g2bc);
        ONE_BYTE[0xd3] = group(g2vc);
        one(0xc2, "ret", RET, 0, "Iw", END | STACK);
        one(0xc3, "ret", RET, 0, "", END | STACK);
        one(0xc4, "les", LXS, 0, "Gv,Mp", MEM_ONLY);
        one(0xc5, "lds", LXS, 3, "Gv,Mp", MEM_ONLY);
        Row[] g11b = invalid8(), g11v = invalid8();
        g11b[0] = row("mov", MOV_EI, 0, "Eb,Ib", 0);
        g11v[0] = row("mov", MOV_EI, 0, "Ev,Iz", 0);
        ONE_BYTE[0xc6] = group(g11b);
        ONE_BYTE[0xc7] = group(g11v);
        one(0xc8, "enter", ENTER, 0, "Iw,Ib", STACK);
        one(0xc9, "leave", LEAVE, 0, "", STACK);
        one(0xca, "lret", RETF, 0, "Iw", END | STACK);
        one(0xcb, "lret", RETF, 0, "", END | STACK);
        one(0xcc, "int3", INT3, 0, "", END);
        one(0xcd, "int", INT, 0, "Ib", END);
        one(0xce, "into", INTO, 0, "", END);
        one(0xcf, "iret", IRET, 0, "", END | STACK);
        one(0xd4, "aam", BCD, 4, "Ib", 0);
        one(0xd5, "aad", BCD, 5, "Ib", 0);
        one(0xd7, "xlat", XLAT, 0, "", NO_SUFFIX);
        for (int e = 0; e < 8; e++) {
            // x87 escapes (SDM Vol. 2, A.4): memory forms by ModRM.reg, register forms decided by FpuOps and X87Syntax.
            Row[] memForms = new Row[8], regForms = new Row[8];
            for (int r = 0; r < 8; r++) {
                int k = e * 8 + r;
                String m = X87Syntax.MEMORY[k];
                memForms[r] = m == null ? INVALID : row(m, X87, k, "M", NO_SUFFIX);
                regForms[r] = row("x87", X87, X87Syntax.REGISTER_FORMS + k, "", 0);
            }
            ONE_BYTE[0xd8 + e] = group(memForms, regForms);
        }
        one(0xe0, "loopne", LOOP, 0, "Jb", END);
        one(0xe1, "loope", LOOP, 1, "Jb", END);
        one(0xe2, "loop", LOOP, 2, "Jb", END);
        one(0xe3, "jcxz/jecxz", JCXZ, 0, "Jb", END);
        one(0xe4, "in", IN_I, 0, "AL,Ib", END);
        one(0xe5, "in", IN_I, 0, "eAX,Ib", END);
        one(0xe6, "out", OUT_I, 0, "Ib,AL", END);
        one(0xe7, "out", OUT_I, 0, "Ib,eAX", END);
        one(0xe8, "call", CALL_REL, 0, "Jz", END | STACK);
        one(0xe9, "jmp", JMP_REL, 0, "Jz", END | STACK);
        one(0xea, "ljmp", JMP_FAR, 0, "Ap", END | STACK);
        one(0xeb, "jmp", JMP_REL, 0, "Jb", END);
        one(0xec, "in", IN_D, 0, "AL,DX", END);
        one(0xed, "in", IN_D, 0, "eAX,DX", END);
        one(0xee, "out", OUT_D, 0, "DX,AL", END);
        one(0xef, "out", OUT_D, 0, "DX,eAX", END);
        one(0xf1, "int1", INT1, 0, "", END);
        one(0xf4, "hlt", HLT, 0, "", END | PRIV);
        one(0xf5, "cmc", FLAGOP, 2, "", 0);
        Row[] g3b = new Row[8], g3v = new Row[8];
        String[] g3 = {"test", "test", "not", "neg", "mul", "imul", "div", "idiv"};
        for (int r = 0; r < 8; r++) {
            int op = r < 2 ? TEST_EI : r == 2 ? NOT : r == 3 ? NEG : MULDIV;
            int lock = (r == 2 || r == 3) ? LOCKABLE : 0;
            g3b[r] = row(g3[r], op, r, r < 2 ? "Eb,Ib" : "Eb", lock);
            g3v[r] = row(g3[r], op, r, r < 2 ? "Ev,Iz" : "Ev", lock);
        }
        ONE_BYTE[0xf6] = group(g3b);
        ONE_BYTE[0xf7] = group(g3v);
        String[] flagOps = {"clc", "stc", "cmc", "cld", "std", "cli", "sti"};
        int[] flagOpcodes = {0xf8, 0xf9, 0xf5, 0xfc, 0xfd, 0xfa, 0xfb};
        for (int i = 0; i < flagOps.length; i++) one(flagOpcodes[i], flagOps[i], FLAGOP, i, "", i == 6 ? END : 0);
        Row[] g4 = invalid8();
        g4[0] = row("inc", INCDEC_E, 0, "Eb", LOCKABLE);
        g4[1] = row("dec", INCDEC_E, 1, "Eb", LOCKABLE);
        ONE_BYTE[0xfe] = group(g4);
        Row[] g5 = invalid8();
        g5[0] = row("inc", INCDEC_E, 0, "Ev", LOCKABLE);
        g5[1] = row("dec", INCDEC_E, 1, "Ev", LOCKABLE);
        g5[2] = row("call", CALL_E, 0, "Ev", END | STACK | INDIRECT);
        g5[3] = row("lcall", CALL_FAR_M, 0, "Mp", END | STACK | MEM_ONLY | INDIRECT);
        g5[4] = row("jmp", JMP_E, 0, "Ev", END | STACK | INDIRECT);
        g5[5] = row("ljmp", JMP_FAR_M, 0, "Mp", END | STACK | MEM_ONLY | INDIRECT);
        g5[6] = row("push", PUSH_E, 0, "Ev", STACK);
        ONE_BYTE[0xff] = group(g5);
    }

    private static void twoByteMap() {
        Row[] g6 = invalid8();
        String[] g6n = {"sldt", "str", "lldt", "ltr", "verr", "verw"};
        int[] g6ops = {SLDT, STR, LLDT, LTR, VERRW, VERRW};
        for (int r = 0; r < 6; r++) g6[r] = row(g6n[r], g6ops[r], r & 1, r < 2 ? "Ev" : "Ew", NO_SUFFIX | (r == 2 || r == 3 ? PRIV | END : 0));
        TWO_BYTE[0x00] = group(g6);
        Row[] g7 = invalid8();
        g7[0] = row("sgdt", SGDT, 0, "Ms", SUFFIX | MEM_ONLY);
        g7[1] = row("sidt", SIDT, 0, "Ms", SUFFIX | MEM_ONLY);
        g7[2] = row("lgdt", LGDT, 0, "Ms", SUFFIX | MEM_ONLY | PRIV | END);
        g7[3] = row("lidt", LIDT, 0, "Ms", SUFFIX | MEM_ONLY | PRIV | END);
        g7[4] = row("smsw", SMSW, 0, "Ev", NO_SUFFIX);
        g7[6] = row("lmsw", LMSW, 0, "Ew", PRIV | END | NO_SUFFIX);
        g7[7] = row("invlpg", INVLPG, 0, "M", MEM_ONLY | PRIV | END | NO_SUFFIX);
        Row[] g7m3 = invalid8(); // monitor/mwait/... live here (SDM Table A-6); #UD for now
        g7m3[0] = row("vmcall", VMCALL, 0, "", END | NO_SUFFIX); // C1 only: the decoder makes C0, C2-C7 invalid
        g7m3[1] = MONITOR_ROW; // C8 monitor, C9 mwait (the decoder picks by r/m), CA-CF invalid
        g7m3[4] = g7[4];
        g7m3[6] = g7[6];
        TWO_BYTE[0x01] = group(g7, g7m3);
        // The selector is 16 bits; objdump prints a register source at the operand size.
        two(0x02, "lar", LAR, 0, "Gv,Ev", 0);
        two(0x03, "lsl", LSL, 0, "Gv,Ev", 0);
        two(0x06, "clts", CLTS, 0, "", PRIV);
        two(0x08, "invd", WBINVD, 1, "", PRIV); // sub 1: INVD exits unconditionally under VMX
        two(0x09, "wbinvd", WBINVD, 0, "", PRIV);
        two(0x0b, "ud2", UD, 0, "", 0);
        Row[] g16 = invalid8(); // prefetch hints (SDM Table A-6 group 16): no cache to warm, so they do nothing
        String[] hints = {"prefetchnta", "prefetcht0", "prefetcht1", "prefetcht2"};
        for (int r = 0; r < 4; r++) g16[r] = row(hints[r], NOP, 0, "M", MEM_ONLY | NO_SUFFIX);
        TWO_BYTE[0x18] = group(g16);
        two(0x1f, "nop", NOP, 0, "Ev", 0); // the multi-byte NOP compilers pad with
        two(0x20, "mov", MOV_RC, 0, "Rd,Cd", FORCE_REG | PRIV);
        two(0x21, "mov", MOV_RD, 0, "Rd,Dd", FORCE_REG | PRIV);
        two(0x22, "mov", MOV_CR, 0, "Cd,Rd", FORCE_REG | PRIV | END);
        two(0x23, "mov", MOV_DR, 0, "Dd,Rd", FORCE_REG | PRIV | END);
        two(0x30, "wrmsr", WRMSR, 0, "", PRIV | END);
        two(0x31, "rdtsc", RDTSC, 0, "", 0);
        two(0x32, "rdmsr", RDMSR, 0, "", PRIV | END);
        two(0x33, "rdpmc", RDPMC, 0, "", 0);
        two(0x34, "sysenter", SYSENTER, 0, "", END);
        two(0x35, "sysexit", SYSEXIT, 0, "", END | PRIV);
        for (int c = 0; c < 16; c++) {
            two(0x40 + c, "cmov" + CC[c], CMOVCC, c, "Gv,Ev", 0);
            two(0x80 + c, "j" + CC[c], JCC, c, "Jz", END);
            two(0x90 + c, "set" + CC[c], SETCC, c, "Eb", NO_SUFFIX);
        }
        two(0xa0, "push", PUSH_S, 4, "FS", STACK);
        two(0xa1, "pop", POP_S, 4, "FS", STACK);
        two(0xa2, "cpuid", CPUID, 0, "", END);
        two(0xa3, "bt", BT, 0, "Ev,Gv", 0);
        two(0xa4, "shld", SHXD, 0, "Ev,Gv,Ib", 0);
        two(0xa5, "shld", SHXD, 0, "Ev,Gv,CL", 0);
        two(0xa8, "push", PUSH_S, 5, "GS", STACK);
        two(0xa9, "pop", POP_S, 5, "GS", STACK);
        two(0xab, "bts", BT, 1, "Ev,Gv", LOCKABLE);
        two(0xac, "shrd", SHXD, 1, "Ev,Gv,Ib", 0);
        two(0xad, "shrd", SHXD, 1, "Ev,Gv,CL", 0);
        Row[] g15 = invalid8(); // SDM Table A-6 group 15: only the x87 state forms (no SSE, no XSAVE, no fences)
        g15[0] = row("fxsave", FXSAVE, 0, "M", MEM_ONLY | NO_SUFFIX);
        g15[1] = row("fxrstor", FXSAVE, 1, "M", MEM_ONLY | NO_SUFFIX | END);
        TWO_BYTE[0xae] = group(g15, invalid8());
        two(0xaf, "imul", IMUL_GE, 0, "Gv,Ev", 0);
        two(0xb0, "cmpxchg", CMPXCHG, 0, "Eb,Gb", LOCKABLE);
        two(0xb1, "cmpxchg", CMPXCHG, 0, "Ev,Gv", LOCKABLE);
        two(0xb2, "lss", LXS, 2, "Gv,Mp", MEM_ONLY | END);
        two(0xb3, "btr", BT, 2, "Ev,Gv", LOCKABLE);
        two(0xb4, "lfs", LXS, 4, "Gv,Mp", MEM_ONLY);
        two(0xb5, "lgs", LXS, 5, "Gv,Mp", MEM_ONLY);
        two(0xb6, "movzb", MOVZX, 1, "Gv,Eb", SUFFIX);
        two(0xb7, "movzw", MOVZX, 2, "Gv,Ew", SUFFIX);
        Row[] g8 = invalid8();
        String[] bts = {"bt", "bts", "btr", "btc"};
        for (int r = 4; r < 8; r++) g8[r] = row(bts[r - 4], BT_I, r - 4, "Ev,Ib", r > 4 ? LOCKABLE : 0);
        TWO_BYTE[0xba] = group(g8);
        two(0xbb, "btc", BT, 3, "Ev,Gv", LOCKABLE);
        two(0xbc, "bsf", BSF, 0, "Gv,Ev", 0);
        two(0xbd, "bsr", BSR, 0, "Gv,Ev", 0);
        two(0xbe, "movsb", MOVSX, 1, "Gv,Eb", SUFFIX);
        two(0xbf, "movsw", MOVSX, 2, "Gv,Ew", SUFFIX);
        two(0xc0, "xadd", XADD, 0, "Eb,Gb", LOCKABLE);
        two(0xc1, "xadd", XADD, 0, "Ev,Gv", LOCKABLE);
        Row[] g9 = invalid8();
        g9[1] = row("cmpxchg8b", CMPXCHG8B, 0, "M", MEM_ONLY | LOCKABLE | NO_SUFFIX);
        TWO_BYTE[0xc7] = group(g9);
        for (int r = 0; r < 8; r++) two(0xc8 + r, "bswap", BSWAP, 0, "Zv", 0);
    }
}
