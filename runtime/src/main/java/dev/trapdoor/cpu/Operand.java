package dev.trapdoor.cpu;

/**
 * Operand kinds in the notation of the Intel SDM's opcode maps (Vol. 2, Appendix A.2): the letter
 * says where the operand comes from (E = ModRM r/m, G = ModRM reg, I = immediate, J = relative
 * offset, O = moffs, S = segment register, C = control register, X/Y = string source/destination,
 * Z = register in the opcode's low three bits), the lower-case part its size (b byte, w word,
 * d dword, v word or dword by operand size, z word or dword immediate, p far pointer,
 * s pseudo-descriptor). A few fixed registers complete the set.
 */
public enum Operand {
    Eb, Ew, Ed, Ev, M, Mp, Ms,
    Gb, Gw, Gv, Gd,
    Rd, Cd, Dd, Sw,
    Ib, Iw, Iz, Iv,
    /** An 8-bit immediate sign-extended to the operand size (Intel's "Ib" in sign-extending rows). */
    Ibs,
    Jb, Jz, Ap, Ob, Ov,
    Zb, Zv,
    AL, CL, DX, eAX, ONE,
    Xb, Xv, Yb, Yv,
    ES, CS, SS, DS, FS, GS;

    /** True if the operand is encoded in a ModRM byte. */
    public boolean usesModrm() {
        return switch (this) {
            case Eb, Ew, Ed, Ev, M, Mp, Ms, Gb, Gw, Gv, Gd, Rd, Cd, Dd, Sw -> true;
            default -> false;
        };
    }

    /** True if the operand is a register whose name alone fixes the operation size (AT&T needs no suffix then). */
    public boolean sizedRegister() {
        return switch (this) {
            case Gb, Gw, Gv, Gd, Zb, Zv, AL, eAX, Sw, Rd -> true;
            default -> false;
        };
    }

    /** True for operands that are always in memory. */
    public boolean memoryOnly() {
        return switch (this) {
            case M, Mp, Ms, Ob, Ov, Xb, Xv, Yb, Yv -> true;
            default -> false;
        };
    }

    /** True for the byte-sized operands. */
    public boolean byteSized() {
        return switch (this) {
            case Eb, Gb, Zb, AL, Ob, Xb, Yb -> true;
            default -> false;
        };
    }

    /** Immediate bytes this operand adds, given operand and address sizes in bytes. */
    public int immediateBytes(int osize, int asize) {
        return switch (this) {
            case Ib, Ibs, Jb -> 1;
            case Iw -> 2;
            case Iz, Iv, Jz -> osize;
            case Ap -> osize + 2;
            case Ob, Ov -> asize;
            default -> 0;
        };
    }
}
