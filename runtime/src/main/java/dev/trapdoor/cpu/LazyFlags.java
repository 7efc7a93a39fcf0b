package dev.trapdoor.cpu;

/**
 * Lazy arithmetic flags: an arithmetic instruction records its operation, operands, result and
 * size; CF, PF, AF, ZF, SF and OF are computed only when something reads them (SDM Vol. 1,
 * Appendix A, EFLAGS cross-reference, gives which instructions define which flags).
 */
abstract class LazyFlags extends CpuState {
    static final int F_ADD = 0, F_ADC = 1, F_SUB = 2, F_SBB = 3, F_LOGIC = 4, F_INC = 5, F_DEC = 6;
    /** CF, OF and AF from lfAux; ZF, SF, PF from the result (shifts, multiplies). */
    static final int F_RES = 7;
    /** All six flags in lfAux, in their EFLAGS positions. */
    static final int F_EAGER = 8;

    /** EFLAGS bits 0-21 that software can change, less the arithmetic six (SDM Vol. 1, Figure 3-8). */
    static final int REST_MASK = 0x3f7fd5 & ~ARITH_FLAGS;

    int flagsRest = 2;
    int lfOp = F_EAGER, lfRes, lfDst, lfSrc, lfSize = 4, lfAux;

    final void setFlagsOp(int op, int res, int dst, int src, int size) {
        lfOp = op;
        lfRes = res;
        lfDst = dst;
        lfSrc = src;
        lfSize = size;
    }

    private static boolean below(int a, int b, int size) {
        int m = mask(size);
        return Integer.compareUnsigned(a & m, b & m) < 0;
    }

    private static boolean belowEq(int a, int b, int size) {
        int m = mask(size);
        return Integer.compareUnsigned(a & m, b & m) <= 0;
    }

    final boolean cf() {
        return switch (lfOp) {
            case F_ADD -> below(lfRes, lfDst, lfSize);
            case F_ADC -> lfAux == 0 ? below(lfRes, lfDst, lfSize) : belowEq(lfRes, lfDst, lfSize);
            case F_SUB -> below(lfDst, lfSrc, lfSize);
            case F_SBB -> lfAux == 0 ? below(lfDst, lfSrc, lfSize) : belowEq(lfDst, lfSrc, lfSize);
            case F_LOGIC -> false;
            default -> (lfAux & CF) != 0;
        };
    }

    final boolean of() {
        int sign = signBit(lfSize);
        return switch (lfOp) {
            case F_ADD, F_ADC, F_INC -> ((lfDst ^ lfRes) & (lfSrc ^ lfRes) & sign) != 0;
            case F_SUB, F_SBB, F_DEC -> ((lfDst ^ lfSrc) & (lfDst ^ lfRes) & sign) != 0;
            case F_LOGIC -> false;
            default -> (lfAux & OF) != 0;
        };
    }

    final boolean af() {
        return switch (lfOp) {
            case F_LOGIC -> false;
            case F_RES, F_EAGER -> (lfAux & AF) != 0;
            default -> ((lfDst ^ lfSrc ^ lfRes) & 0x10) != 0;
        };
    }

    final boolean zf() {
        return lfOp == F_EAGER ? (lfAux & ZF) != 0 : (lfRes & mask(lfSize)) == 0;
    }

    final boolean sf() {
        return lfOp == F_EAGER ? (lfAux & SF) != 0 : (lfRes & signBit(lfSize)) != 0;
    }

    final boolean pf() {
        return lfOp == F_EAGER ? (lfAux & PF) != 0 : (Integer.bitCount(lfRes & 0xff) & 1) == 0;
    }

    final int arithFlags() {
        if (lfOp == F_EAGER) return lfAux & ARITH_FLAGS;
        return (cf() ? CF : 0) | (pf() ? PF : 0) | (af() ? AF : 0) | (zf() ? ZF : 0) | (sf() ? SF : 0) | (of() ? OF : 0);
    }

    final int getEflags() {
        return flagsRest | arithFlags();
    }

    /** Loads EFLAGS wholesale (reserved bits forced: bit 1 set, 3, 5, 15, 22-31 clear). */
    final void setEflags(int v) {
        flagsRest = (v & REST_MASK) | 2;
        lfOp = F_EAGER;
        lfAux = v & ARITH_FLAGS;
    }

    /** Replaces the arithmetic flags selected by mask, keeping the others. */
    final void setArith(int mask, int values) {
        int cur = arithFlags();
        lfOp = F_EAGER;
        lfAux = (cur & ~mask) | (values & mask);
    }

    /** Condition code tttn (SDM Vol. 2, Appendix B.1.4.7). */
    final boolean cond(int cc) {
        boolean r = switch (cc >>> 1) {
            case 0 -> of();
            case 1 -> cf();
            case 2 -> zf();
            case 3 -> cf() || zf();
            case 4 -> sf();
            case 5 -> pf();
            case 6 -> sf() != of();
            default -> zf() || sf() != of();
        };
        return (cc & 1) == 0 ? r : !r;
    }

    final boolean df() {
        return (flagsRest & DF) != 0;
    }

    final boolean interruptsEnabled() {
        return (flagsRest & IF) != 0;
    }

    // ---- ALU operations: return the result; flags recorded lazily

    /** The eight group-1 operations (0 add ... 7 cmp); for cmp the result is not to be written. */
    final int alu(int op, int a, int b, int size) {
        int r;
        switch (op) {
            case 0 -> { r = a + b; setFlagsOp(F_ADD, r, a, b, size); }
            case 1 -> { r = a | b; setFlagsOp(F_LOGIC, r, a, b, size); }
            case 2 -> { int c = cf() ? 1 : 0; r = a + b + c; setFlagsOp(F_ADC, r, a, b, size); lfAux = c; }
            case 3 -> { int c = cf() ? 1 : 0; r = a - b - c; setFlagsOp(F_SBB, r, a, b, size); lfAux = c; }
            case 4 -> { r = a & b; setFlagsOp(F_LOGIC, r, a, b, size); }
            case 5, 7 -> { r = a - b; setFlagsOp(F_SUB, r, a, b, size); }
            default -> { r = a ^ b; setFlagsOp(F_LOGIC, r, a, b, size); }
        }
        return r;
    }

    final int inc(int a, int size) {
        int c = cf() ? CF : 0;
        int r = a + 1;
        setFlagsOp(F_INC, r, a, 1, size);
        lfAux = c;
        return r;
    }

    final int dec(int a, int size) {
        int c = cf() ? CF : 0;
        int r = a - 1;
        setFlagsOp(F_DEC, r, a, 1, size);
        lfAux = c;
        return r;
    }

    /** Records a result whose CF/OF/AF are given and whose ZF/SF/PF follow from the value. */
    final void setResultFlags(int res, int size, boolean carry, boolean overflow) {
        lfOp = F_RES;
        lfRes = res;
        lfSize = size;
        lfAux = (carry ? CF : 0) | (overflow ? OF : 0);
    }
}
