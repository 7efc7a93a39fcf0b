package dev.trapdoor.cpu;

/**
 * Names of the x87 escape instructions D8-DF (SDM Vol. 2, Appendix A.4, Tables) as
 * GNU objdump spells them in AT&amp;T syntax. A table row's {@code sub} numbers the form:
 * {@code escape * 8 + ModRM.reg} (escape = opcode - 0xD8) for memory forms, {@code 64 + escape * 8
 * + ModRM.reg} for register forms, whose ModRM.rm is ST(i) or selects the instruction.
 *
 * <p>AT&amp;T keeps the historical swap of fsub/fsubr and fdiv/fdivr when the destination is
 * ST(i) (DC E0+i is Intel's FSUBR ST(i),ST(0) and prints as {@code fsub %st,%st(i)}); the executor
 * follows Intel's semantics.
 */
final class X87Syntax {
    private X87Syntax() {}

    static final int REGISTER_FORMS = 64;

    /** Memory forms by escape * 8 + reg; null = reserved (#UD, "(bad)"). */
    static final String[] MEMORY = {
            "fadds", "fmuls", "fcoms", "fcomps", "fsubs", "fsubrs", "fdivs", "fdivrs",
            "flds", null, "fsts", "fstps", "fldenv", "fldcw", "fnstenv", "fnstcw",
            "fiaddl", "fimull", "ficoml", "ficompl", "fisubl", "fisubrl", "fidivl", "fidivrl",
            "fildl", "fisttpl", "fistl", "fistpl", null, "fldt", null, "fstpt",
            "faddl", "fmull", "fcoml", "fcompl", "fsubl", "fsubrl", "fdivl", "fdivrl",
            "fldl", "fisttpll", "fstl", "fstpl", "frstor", null, "fnsave", "fnstsw",
            "fiadds", "fimuls", "ficoms", "ficomps", "fisubs", "fisubrs", "fidivs", "fidivrs",
            "filds", "fisttps", "fists", "fistps", "fbld", "fildll", "fbstp", "fistpll",
    };

    // Register-form operand patterns.
    private static final int STI = 0, STI_ST = 1, ST_STI = 2, NONE = 3, AX = 4;

    /** Register forms by escape * 8 + reg: a name for the whole ModRM.reg row, or null when ModRM.rm picks (see {@link #single}). */
    private static final String[] REGISTER = {
            "fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr",
            "fld", "fxch", null, null, null, null, null, null,
            "fcmovb", "fcmove", "fcmovbe", "fcmovu", null, null, null, null,
            "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu", null, "fucomi", "fcomi", null,
            "fadd", "fmul", null, null, "fsub", "fsubr", "fdiv", "fdivr",
            "ffree", null, "fst", "fstp", "fucom", "fucomp", null, null,
            "faddp", "fmulp", null, null, "fsubp", "fsubrp", "fdivp", "fdivrp",
            "ffreep", null, null, null, null, "fucomip", "fcomip", null,
    };

    private static final int[] PATTERN = {
            STI_ST, STI_ST, STI, STI, STI_ST, STI_ST, STI_ST, STI_ST,
            STI, STI, NONE, NONE, NONE, NONE, NONE, NONE,
            STI_ST, STI_ST, STI_ST, STI_ST, NONE, NONE, NONE, NONE,
            STI_ST, STI_ST, STI_ST, STI_ST, NONE, STI_ST, STI_ST, NONE,
            ST_STI, ST_STI, NONE, NONE, ST_STI, ST_STI, ST_STI, ST_STI,
            STI, NONE, STI, STI, STI, STI, NONE, NONE,
            ST_STI, ST_STI, NONE, NONE, ST_STI, ST_STI, ST_STI, ST_STI,
            STI, NONE, NONE, NONE, AX, STI_ST, STI_ST, NONE,
    };

    /** The register forms whose ModRM.rm selects the instruction (D9 D0, D9 E0-FF, DA E9, DB E0-E5, DE D9, DF E0). */
    static String single(int escape, int reg, int rm) {
        return switch (escape * 8 + reg) {
            case 10 -> rm == 0 ? "fnop" : null;
            case 12 -> new String[] {"fchs", "fabs", null, null, "ftst", "fxam", null, null}[rm];
            case 13 -> new String[] {"fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz", null}[rm];
            case 14 -> new String[] {"f2xm1", "fyl2x", "fptan", "fpatan", "fxtract", "fprem1", "fdecstp", "fincstp"}[rm];
            case 15 -> new String[] {"fprem", "fyl2xp1", "fsqrt", "fsincos", "frndint", "fscale", "fsin", "fcos"}[rm];
            case 21 -> rm == 1 ? "fucompp" : null;
            case 28 -> new String[] {"fneni(8087 only)", "fndisi(8087 only)", "fnclex", "fninit", "fnsetpm(287 only)",
                    "frstpm(287 only)", null, null}[rm];
            case 51 -> rm == 1 ? "fcompp" : null;
            case 60 -> rm == 0 ? "fnstsw" : null;
            default -> null;
        };
    }

    /** True if the register form (escape, reg, rm) is an instruction. */
    static boolean registerFormDefined(int escape, int reg, int rm) {
        return REGISTER[escape * 8 + reg] != null || single(escape, reg, rm) != null;
    }

    /** The disassembly of a register form, objdump style; "(bad)" for reserved encodings. */
    static String registerForm(int escape, int reg, int rm) {
        int k = escape * 8 + reg;
        String name = REGISTER[k];
        if (name == null) {
            name = single(escape, reg, rm);
            if (name == null) return "(bad)";
            return PATTERN[k] == AX ? "fnstsw %ax" : name;
        }
        String sti = "%st(" + rm + ")";
        String ops = switch (PATTERN[k]) {
            case STI -> sti;
            case STI_ST -> sti + ",%st";
            default -> "%st," + sti;
        };
        return String.format("%-6s %s", name, ops);
    }
}
