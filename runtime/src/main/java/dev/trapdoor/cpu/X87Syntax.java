package dev.trapdoor.cpu;

/**
 * AT&T names of the x87 escape instructions D8-DF (SDM Vol. 2, Appendix A.5, Tables A-7 to
 * A-22) as GNU objdump prints them: memory forms by escape and ModRM.reg with the operand size
 * in the suffix, register forms by escape, reg and r/m. objdump keeps the System V assemblers'
 * swapped fsub/fsubr and fdiv/fdivr for the DC and DE register forms, and so do we.
 */
final class X87Syntax {
    private X87Syntax() {}

    private static final String[][] MEMORY = {
            {"fadds", "fmuls", "fcoms", "fcomps", "fsubs", "fsubrs", "fdivs", "fdivrs"},
            {"flds", null, "fsts", "fstps", "fldenv", "fldcw", "fnstenv", "fnstcw"},
            {"fiaddl", "fimull", "ficoml", "ficompl", "fisubl", "fisubrl", "fidivl", "fidivrl"},
            {"fildl", "fisttpl", "fistl", "fistpl", null, "fldt", null, "fstpt"},
            {"faddl", "fmull", "fcoml", "fcompl", "fsubl", "fsubrl", "fdivl", "fdivrl"},
            {"fldl", "fisttpll", "fstl", "fstpl", "frstor", null, "fnsave", "fnstsw"},
            {"fiadds", "fimuls", "ficoms", "ficomps", "fisubs", "fisubrs", "fidivs", "fidivrs"},
            {"filds", "fisttps", "fists", "fistps", "fbld", "fildll", "fbstp", "fistpll"},
    };

    /** Register forms with a register operand: name and shape (0: %st(i); 1: %st(i),%st; 2: %st,%st(i)), by escape and reg. */
    private static final String[][] REGISTER = {
            {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"},
            {"fld", "fxch", null, null, null, null, null, null},
            {"fcmovb", "fcmove", "fcmovbe", "fcmovu", null, null, null, null},
            {"fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu", null, "fucomi", "fcomi", null},
            {"fadd", "fmul", null, null, "fsub", "fsubr", "fdiv", "fdivr"},
            {"ffree", null, "fst", "fstp", "fucom", "fucomp", null, null},
            {"faddp", "fmulp", null, null, "fsubp", "fsubrp", "fdivp", "fdivrp"},
            {"ffreep", null, null, null, null, "fucomip", "fcomip", null},
    };
    private static final int[][] SHAPE = {
            {1, 1, 0, 0, 1, 1, 1, 1},
            {0, 0, 0, 0, 0, 0, 0, 0},
            {1, 1, 1, 1, 0, 0, 0, 0},
            {1, 1, 1, 1, 0, 1, 1, 0},
            {2, 2, 0, 0, 2, 2, 2, 2},
            {0, 0, 0, 0, 0, 0, 0, 0},
            {2, 2, 0, 0, 2, 2, 2, 2},
            {0, 0, 0, 0, 0, 1, 1, 0},
    };

    /** D9 /4-/7 and the single forms elsewhere: the whole ModRM byte names them. */
    private static String single(int escape, int modrm) {
        return switch (escape) {
            case 0xd9 -> switch (modrm) {
                case 0xd0 -> "fnop";
                case 0xe0 -> "fchs";
                case 0xe1 -> "fabs";
                case 0xe4 -> "ftst";
                case 0xe5 -> "fxam";
                case 0xe8 -> "fld1";
                case 0xe9 -> "fldl2t";
                case 0xea -> "fldl2e";
                case 0xeb -> "fldpi";
                case 0xec -> "fldlg2";
                case 0xed -> "fldln2";
                case 0xee -> "fldz";
                case 0xf0 -> "f2xm1";
                case 0xf1 -> "fyl2x";
                case 0xf2 -> "fptan";
                case 0xf3 -> "fpatan";
                case 0xf4 -> "fxtract";
                case 0xf5 -> "fprem1";
                case 0xf6 -> "fdecstp";
                case 0xf7 -> "fincstp";
                case 0xf8 -> "fprem";
                case 0xf9 -> "fyl2xp1";
                case 0xfa -> "fsqrt";
                case 0xfb -> "fsincos";
                case 0xfc -> "frndint";
                case 0xfd -> "fscale";
                case 0xfe -> "fsin";
                case 0xff -> "fcos";
                default -> null;
            };
            case 0xda -> modrm == 0xe9 ? "fucompp" : null;
            case 0xdb -> switch (modrm) {
                case 0xe0 -> "fneni(8087 only)";
                case 0xe1 -> "fndisi(8087 only)";
                case 0xe2 -> "fnclex";
                case 0xe3 -> "fninit";
                case 0xe4 -> "fnsetpm(287 only)";
                case 0xe5 -> "frstpm(287 only)";
                default -> null;
            };
            case 0xde -> modrm == 0xd9 ? "fcompp" : null;
            case 0xdf -> modrm == 0xe0 ? "fnstsw %ax" : null;
            default -> null;
        };
    }

    /** The instruction text for escape (0xd8-0xdf) given the decoded ModRM and the formatted memory operand. */
    static String format(int escape, Insn d, String memoryOperand) {
        int e = escape - 0xd8;
        if (d.mod != 3) {
            String name = MEMORY[e][d.reg];
            return name == null ? "(bad)" : String.format("%-6s %s", name, memoryOperand);
        }
        String name = REGISTER[e][d.reg];
        if (name == null) {
            String s = single(escape, 0xc0 | (d.reg << 3) | d.rm);
            return s == null ? "(bad)" : s;
        }
        String st = "%st(" + d.rm + ")";
        String ops = switch (SHAPE[e][d.reg]) {
            case 1 -> st + ",%st";
            case 2 -> "%st," + st;
            default -> st;
        };
        return String.format("%-6s %s", name, ops);
    }

    /** The escape byte (0xd8-0xdf) whose ModRM group holds row, or -1. */
    static int escapeOf(Row row) {
        for (int e = 0xd8; e <= 0xdf; e++) {
            Row g = OpcodeTable.ONE_BYTE[e];
            if (g.group != null) for (Row r : g.group) if (r == row) return e;
            if (g.groupMod3 != null) for (Row r : g.groupMod3) if (r == row) return e;
        }
        return -1;
    }
}
