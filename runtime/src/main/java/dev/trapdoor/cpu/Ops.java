package dev.trapdoor.cpu;

/**
 * Handler numbers: what the executor does for a table row. One number per instruction family and
 * operand form; the row's {@code sub} field selects the member (ALU operation, condition code,
 * segment register, ...). Plain int constants so the dispatch switches compile to table jumps.
 */
final class Ops {
    private Ops() {}

    static final int UD = 0;          // undefined or not yet implemented: #UD in the guest
    static final int ALU_EG = 1, ALU_GE = 2, ALU_EI = 3;   // sub: 0 add 1 or 2 adc 3 sbb 4 and 5 sub 6 xor 7 cmp
    static final int TEST_EG = 4, TEST_EI = 5;
    static final int MOV_EG = 6, MOV_GE = 7, MOV_EI = 8, MOV_ZI = 9, MOV_AO = 10, MOV_OA = 11;
    static final int MOV_ES = 12, MOV_SE = 13, MOVZX = 14, MOVSX = 15, LEA = 16;
    static final int INC_Z = 17, DEC_Z = 18, INCDEC_E = 19;                // INCDEC_E sub: 0 inc 1 dec
    static final int NOT = 20, NEG = 21, MULDIV = 22, IMUL_GE = 23, IMUL_GEI = 24; // MULDIV sub: 4 mul 5 imul 6 div 7 idiv
    static final int SHIFT = 25;      // sub = group-2 operation; count from the row's second operand
    static final int SHXD = 26;       // sub: 0 shld 1 shrd
    static final int JMP_REL = 30, JCC = 31, JMP_E = 32, JMP_FAR = 33, JMP_FAR_M = 34;
    static final int CALL_REL = 35, CALL_E = 36, CALL_FAR = 37, CALL_FAR_M = 38;
    static final int RET = 39, RETF = 40, LOOP = 41, JCXZ = 42;           // LOOP sub: 0 loopne 1 loope 2 loop
    static final int PUSH_Z = 45, POP_Z = 46, PUSH_I = 47, PUSH_E = 48, POP_E = 49, PUSH_S = 50, POP_S = 51;
    static final int PUSHF = 52, POPF = 53, PUSHA = 54, POPA = 55, ENTER = 56, LEAVE = 57;
    static final int XCHG_EG = 60, XCHG_AZ = 61, CBW = 62, CWD = 63, FLAGOP = 64, SAHF = 65, LAHF = 66;
    static final int XLAT = 67, BSWAP = 68, CMOVCC = 69, SETCC = 70, LXS = 71; // LXS sub = segment
    static final int BT = 72, BT_I = 73, BSF = 74, BSR = 75, CMPXCHG = 76, XADD = 77; // BT sub: 0 bt 1 bts 2 btr 3 btc
    static final int STRING = 80;     // sub: 0 movs 1 cmps 2 stos 3 lods 4 scas
    static final int INS = 81, OUTS = 82, IN_I = 83, IN_D = 84, OUT_I = 85, OUT_D = 86;
    static final int HLT = 90, NOP = 91, INT = 92, INT3 = 93, INTO = 94, IRET = 95, CPUID = 96;
    static final int LGDT = 97, LIDT = 98, SGDT = 99, SIDT = 100, MOV_RC = 101, MOV_CR = 102;
    static final int CLTS = 103, INVLPG = 104, WBINVD = 105, SMSW = 106, LMSW = 107, RDTSC = 108;
    static final int BCD = 109;       // sub: 0 daa 1 das 2 aaa 3 aas 4 aam 5 aad
    static final int SLDT = 110, STR = 111, LLDT = 112, LTR = 113;
    static final int CMPXCHG8B = 114, RDMSR = 115, WRMSR = 116, FWAIT = 117;
    static final int BOUND = 118, ARPL = 119, INT1 = 120, X87 = 121;
    static final int MOV_RD = 122, MOV_DR = 123;
    static final int FXSAVE = 124;    // sub: 0 fxsave 1 fxrstor
    static final int SYSENTER = 125, SYSEXIT = 126;
    static final int LAR = 127, LSL = 128, VERRW = 129;  // VERRW sub: 0 verr 1 verw
    static final int RDPMC = 130;
    static final int VMCALL = 131;
    static final int MONITOR = 132, MWAIT = 133;
    static final int COUNT = 134;
}
