package dev.trapdoor.cpu.fpu;

import static dev.trapdoor.cpu.fpu.SoftFloat80.DE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.IE;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The x87 FPU of one vCPU (SDM Vol. 1 chapter 8): eight physical registers R0-R7 addressed as a
 * stack through TOP, the control, status and tag words, and the last-instruction pointers.
 * The decoder calls one method per instruction with memory operands already read; stores
 * return the memory image and say through {@link #memoryWrite} whether to write it.
 *
 * <p>Exceptions follow the x87 rules: a masked exception gets its default response; an
 * unmasked one sets ES and B, and the CPU must raise #MF (CR0.NE=1) or assert FERR# (IRQ13)
 * before the next waiting x87 instruction when {@link #pendingException()} is true. FWAIT
 * and the waiting forms (FINIT = FWAIT + FNINIT, ...) are the CPU's job.
 */
public final class X87 implements Stateful {
    /** Status-word bits (SDM Vol. 1 Figure 8-4). */
    public static final int C0 = 0x100, C1 = 0x200, C2 = 0x400, C3 = 0x4000, SF = 0x40, ES = 0x80, B = 0x8000;
    static final int CC = C0 | C1 | C2 | C3;
    /** EFLAGS bits FCOMI/FUCOMI set. */
    public static final int EFLAGS_CF = 0x01, EFLAGS_PF = 0x04, EFLAGS_ZF = 0x40;

    /** Arithmetic operation numbers (the reg field of D8 /r), with SUBR/DIVR meaning source op destination. */
    public static final int ADD = 0, MUL = 1, SUB = 4, SUBR = 5, DIV = 6, DIVR = 7;

    final int[] regSe = new int[8];
    final long[] regSig = new long[8];
    int emptyMask = 0xFF;
    int top;
    int cw = 0x037F;
    int sw;                          // without TOP

    /** Last non-control instruction: FPU instruction pointer/selector, opcode (11 bits), data pointer/selector. */
    public int fip, fcs, fop, fdp, fds;

    /** After a store to memory: whether the memory operand is written (false when an unmasked exception forbids it). */
    public boolean memoryWrite;
    /** Bits 79:64 of the last m80/BCD store image. */
    public int storeHigh;

    final SoftFloat80 sf = new SoftFloat80();
    final FpConvert cvt = new FpConvert(sf);
    final FpMath math = new FpMath(sf);
    final FpTranscendental trans = new FpTranscendental(sf);

    public X87() {
        fninit();
    }

    // ---- state ----

    public void fninit() {
        cw = 0x037F;
        sw = 0;
        top = 0;
        emptyMask = 0xFF;
        fip = fcs = fop = fdp = fds = 0;
    }

    public void fnclex() {
        sw &= ~(0x3F | SF | ES | B);
    }

    public void fldcw(int v) {
        cw = (v & 0x1F3F) | 0x40;       // bit 6 reads as 1, bit 7 and 15:13 as 0 (as the 387+ do)
        updateSummary();
    }

    public int fnstcw() {
        return cw;
    }

    public int fnstsw() {
        return statusWord();
    }

    public int controlWord() {
        return cw;
    }

    public int statusWord() {
        return (sw & ~0x3800) | (top << 11);
    }

    public int top() {
        return top;
    }

    /** True when an unmasked exception is pending (ES): the next waiting x87 instruction must signal it. */
    public boolean pendingException() {
        return (sw & ES) != 0;
    }

    /** Records the last instruction for FNSTENV/FNSAVE/FXSAVE (the CPU calls it for non-control instructions). */
    public void recordInstruction(int fcs, int fip, int fop, int fds, int fdp) {
        this.fcs = fcs & 0xFFFF;
        this.fip = fip;
        this.fop = fop & 0x7FF;
        this.fds = fds & 0xFFFF;
        this.fdp = fdp;
    }

    /** The full tag word (SDM Vol. 1 Figure 8-7), derived from the register contents. */
    public int tagWord() {
        int tw = 0;
        for (int i = 0; i < 8; i++) tw |= tag(i) << (2 * i);
        return tw;
    }

    int tag(int phys) {
        if ((emptyMask & (1 << phys)) != 0) return 3;
        int se = regSe[phys];
        long sig = regSig[phys];
        return switch (Ext80.classify(se, sig)) {
            case Ext80.ZERO -> 1;
            case Ext80.NORMAL -> 0;
            default -> 2;
        };
    }

    /** Abridged tag for FXSAVE: bit i set when physical register i is not empty. */
    public int abridgedTag() {
        return ~emptyMask & 0xFF;
    }

    void setTagWord(int tw) {
        int m = 0;
        for (int i = 0; i < 8; i++) if (((tw >>> (2 * i)) & 3) == 3) m |= 1 << i;
        emptyMask = m;
    }

    void setStatusWord(int v) {
        sw = v & ~0x3800 & 0xFFFF;
        top = (v >>> 11) & 7;
    }

    void setAbridgedTag(int t) {
        emptyMask = ~t & 0xFF;
    }

    int phys(int i) {
        return (top + i) & 7;
    }

    boolean isEmpty(int i) {
        return (emptyMask & (1 << phys(i))) != 0;
    }

    /** ST(i) as raw parts, for tests and debuggers. */
    public int stSe(int i) {
        return regSe[phys(i)];
    }

    public long stSig(int i) {
        return regSig[phys(i)];
    }

    void setSt(int i, int se, long sig) {
        int p = phys(i);
        regSe[p] = se & 0xFFFF;
        regSig[p] = sig;
        emptyMask &= ~(1 << p);
    }

    void pop() {
        emptyMask |= 1 << top;
        top = (top + 1) & 7;
    }

    private void updateSummary() {
        if ((sw & ~cw & 0x3F) != 0) sw |= ES | B;
        else sw &= ~(ES | B);
    }

    /** Merges the flags of the last soft-float operation; C1 becomes its round-up bit. */
    private void finish() {
        sw = (sw & ~C1) | sf.flags | (sf.roundedUp ? C1 : 0);
        updateSummary();
    }

    private void prepare() {
        sf.control(cw);
        sf.begin();
    }

    /** Stack underflow (SDM Vol. 1 §8.5.1.1): IE+SF, C1=0; masked: true (write the indefinite). */
    private boolean stackUnderflow() {
        sw = (sw & ~C1) | IE | SF;
        updateSummary();
        return (cw & IE) != 0;
    }

    private boolean stackOverflow() {
        sw |= IE | SF | C1;
        updateSummary();
        return (cw & IE) != 0;
    }

    /** Pushes a value: on overflow the masked response pushes the indefinite. */
    void push(int se, long sig) {
        int p = (top - 1) & 7;
        if ((emptyMask & (1 << p)) == 0) {
            if (!stackOverflow()) return;
            se = Ext80.INDEFINITE_SE;
            sig = Ext80.INDEFINITE_SIG;
        }
        top = p;
        regSe[p] = se & 0xFFFF;
        regSig[p] = sig;
        emptyMask &= ~(1 << p);
    }

    /** Push after an operation that produced sf's result (no push when an unmasked exception forbids it). */
    private void pushResult() {
        int p = (top - 1) & 7;
        if ((emptyMask & (1 << p)) == 0) {
            sw &= ~C1;
            push(0, 0);
            return;
        }
        finish();
        if (sf.store) push(sf.rse, sf.rsig);
    }

    private void writeResult(int i, boolean pop) {
        finish();
        if (!sf.store) return;
        setSt(i, sf.rse, sf.rsig);
        if (pop) pop();
    }

    private void underflowInto(int i, boolean pop) {
        if (stackUnderflow()) {
            setSt(i, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            if (pop) pop();
        }
    }

    // ---- loads ----

    public void fldM32(int bits) {
        prepare();
        cvt.fromFloat32(bits);
        loadConverted();
    }

    public void fldM64(long bits) {
        prepare();
        cvt.fromFloat64(bits);
        loadConverted();
    }

    private void loadConverted() {
        if (Ext80.isSignalingNaN(sf.rse, sf.rsig)) {
            sf.raise(IE);
            sf.rsig |= Ext80.QUIET;
        } else if (cvt.sourceDenormal) {
            sf.flags |= DE;                           // the value loads even when DE is unmasked
        }
        pushResult();
    }

    /** FLD m80: no exception but stack overflow; any bit pattern loads as is. */
    public void fldM80(int se, long sig) {
        sw &= ~C1;
        push(se, sig);
    }

    /** FILD m16/m32/m64 (the value sign-extended by the decoder). */
    public void fild(long value) {
        prepare();
        cvt.fromInteger(value);
        pushResult();
    }

    /** FBLD m80dec: bytes 0-7 and bytes 8-9 of the operand. */
    public void fbld(long low8, int high2) {
        prepare();
        cvt.fromBcd(low8, high2);
        pushResult();
    }

    public void fldSt(int i) {
        sw &= ~C1;
        if (isEmpty(i)) {
            if (stackUnderflow()) push(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            return;
        }
        int p = phys(i);
        push(regSe[p], regSig[p]);
    }

    /** FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ by the D9 E8+n index n (0-6). */
    public void fldConstant(int n) {
        sw &= ~C1;
        FpConstants.load(n, (cw >>> 10) & 3, sf);
        push(sf.rse, sf.rsig);
    }

    public void fld1() {
        fldConstant(0);
    }

    public void fldl2t() {
        fldConstant(1);
    }

    public void fldl2e() {
        fldConstant(2);
    }

    public void fldpi() {
        fldConstant(3);
    }

    public void fldlg2() {
        fldConstant(4);
    }

    public void fldln2() {
        fldConstant(5);
    }

    public void fldz() {
        fldConstant(6);
    }

    // ---- stores ----

    public int fstM32(boolean pop) {
        return (int) storeBinary(true, pop);
    }

    public long fstM64(boolean pop) {
        return storeBinary(false, pop);
    }

    private long storeBinary(boolean single, boolean pop) {
        prepare();
        if (isEmpty(0)) {
            memoryWrite = stackUnderflow();
            if (memoryWrite && pop) pop();
            return single ? 0xFFC0_0000L : 0xFFF8_0000_0000_0000L;
        }
        int p = phys(0);
        long v = single ? cvt.toFloat32(regSe[p], regSig[p]) : cvt.toFloat64(regSe[p], regSig[p]);
        finishStore(pop);
        return v;
    }

    private void finishStore(boolean pop) {
        finish();
        memoryWrite = sf.store;
        if (sf.store && pop) pop();
    }

    /** FSTP m80: returns bits 63:0, bits 79:64 in {@link #storeHigh}. */
    public long fstpM80() {
        sw &= ~C1;
        if (isEmpty(0)) {
            memoryWrite = stackUnderflow();
            if (memoryWrite) pop();
            storeHigh = Ext80.INDEFINITE_SE;
            return Ext80.INDEFINITE_SIG;
        }
        int p = phys(0);
        storeHigh = regSe[p];
        memoryWrite = true;
        pop();
        return regSig[p];
    }

    /** FIST/FISTP m16/m32/m64: returns the integer in the low {@code bits} bits. */
    public long fist(int bits, boolean pop) {
        prepare();
        if (isEmpty(0)) {
            memoryWrite = stackUnderflow();
            if (memoryWrite && pop) pop();
            return bits == 64 ? Long.MIN_VALUE : 1L << (bits - 1);
        }
        int p = phys(0);
        long v = cvt.toInteger(regSe[p], regSig[p], bits);
        finishStore(pop);
        return v;
    }

    /** FBSTP m80dec: returns bytes 0-7, bytes 8-9 in {@link #storeHigh}. */
    public long fbstp() {
        prepare();
        if (isEmpty(0)) {
            memoryWrite = stackUnderflow();
            if (memoryWrite) pop();
            storeHigh = 0xFFFF;
            return FpConvert.BCD_INDEFINITE_LOW;
        }
        int p = phys(0);
        long v = cvt.toBcd(regSe[p], regSig[p]);
        storeHigh = cvt.bcdHigh;
        finishStore(true);
        return v;
    }

    /** FST/FSTP ST(i). */
    public void fstSt(int i, boolean pop) {
        sw &= ~C1;
        if (isEmpty(0)) {
            underflowInto(i, pop);
            return;
        }
        int p = phys(0);
        setSt(i, regSe[p], regSig[p]);
        if (pop) pop();
    }

    // ---- arithmetic ----

    /** ST(dst) = ST(dst) op ST(src); FADDP etc. pass pop. */
    public void arith(int op, int dst, int src, boolean pop) {
        prepare();
        if (isEmpty(dst) || isEmpty(src)) {
            underflowInto(dst, pop);
            return;
        }
        int d = phys(dst), s = phys(src);
        compute(op, regSe[d], regSig[d], regSe[s], regSig[s]);
        writeResult(dst, pop);
    }

    public void arithM32(int op, int bits) {
        prepare();
        cvt.fromFloat32(bits);
        arithMemory(op);
    }

    public void arithM64(int op, long bits) {
        prepare();
        cvt.fromFloat64(bits);
        arithMemory(op);
    }

    /** FIADD/FIMUL/FISUB/FISUBR/FIDIV/FIDIVR m16/m32 (sign-extended by the decoder). */
    public void arithInt(int op, long value) {
        prepare();
        cvt.fromInteger(value);
        arithMemory(op);
    }

    private void arithMemory(int op) {
        if (isEmpty(0)) {
            underflowInto(0, false);
            return;
        }
        int bse = sf.rse;
        long bsig = sf.rsig;
        int d = phys(0);
        // A denormal memory operand signals DE unless ST(0) is a NaN or unsupported (those decide first);
        // unmasked, the operation does not happen (checked against the host CPU).
        boolean denormal = cvt.sourceDenormal && !Ext80.isNaN(regSe[d], regSig[d]) && !Ext80.isUnsupported(regSe[d], regSig[d])
                && !(op == DIVR && Ext80.isZero(regSe[d], regSig[d]));   // a zero divisor signals ZE alone
        if (denormal) {
            sf.raise(DE);
            if (!sf.store) {
                writeResult(0, false);
                return;
            }
        }
        compute(op, regSe[d], regSig[d], bse, bsig); // starts a fresh set of flags: DE goes in again below
        if (denormal) sf.raise(DE);
        writeResult(0, false);
    }

    private void compute(int op, int ase, long asig, int bse, long bsig) {
        switch (op) {
            case ADD -> sf.add(ase, asig, bse, bsig);
            case MUL -> sf.mul(ase, asig, bse, bsig);
            case SUB -> sf.sub(ase, asig, bse, bsig);
            case SUBR -> sf.sub(bse, bsig, ase, asig);
            case DIV -> sf.div(ase, asig, bse, bsig);
            case DIVR -> sf.div(bse, bsig, ase, asig);
            default -> throw new IllegalArgumentException("x87 arithmetic op " + op);
        }
    }

    public void fsqrt() {
        unary(0);
    }

    public void frndint() {
        unary(1);
    }

    private void unary(int kind) {
        prepare();
        if (isEmpty(0)) {
            underflowInto(0, false);
            return;
        }
        int p = phys(0);
        if (kind == 0) sf.sqrt(regSe[p], regSig[p]);
        else sf.roundToInt(regSe[p], regSig[p]);
        writeResult(0, false);
    }

    public void fchs() {
        signOp(0x8000, true);
    }

    public void fabs() {
        signOp(0x7FFF, false);
    }

    private void signOp(int bits, boolean flip) {
        sw &= ~C1;
        if (isEmpty(0)) {
            underflowInto(0, false);
            return;
        }
        int p = phys(0);
        regSe[p] = flip ? regSe[p] ^ bits : regSe[p] & bits;
    }

    public void fxch(int i) {
        sw &= ~C1;
        if (isEmpty(0) || isEmpty(i)) {
            if (!stackUnderflow()) return;
            if (isEmpty(0)) setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            if (isEmpty(i)) setSt(i, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
        }
        int a = phys(0), b = phys(i);
        int se = regSe[a];
        long sig = regSig[a];
        regSe[a] = regSe[b];
        regSig[a] = regSig[b];
        regSe[b] = se;
        regSig[b] = sig;
    }

    /** FCMOVcc ST(0), ST(i): the CPU evaluates the condition from EFLAGS. */
    public void fcmov(int i, boolean condition) {
        sw &= ~C1;
        if (isEmpty(i) || isEmpty(0)) {
            // The masked response writes the indefinite whatever the condition (checked against the host CPU).
            if (stackUnderflow()) setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            return;
        }
        if (condition) {
            int p = phys(i);
            setSt(0, regSe[p], regSig[p]);
        }
    }

    public void ffree(int i) {
        emptyMask |= 1 << phys(i);
    }

    public void fincstp() {
        sw &= ~C1;
        top = (top + 1) & 7;
    }

    public void fdecstp() {
        sw &= ~C1;
        top = (top - 1) & 7;
    }

    // ---- comparisons ----

    /** FCOM/FCOMP/FCOMPP/FUCOM* with ST(i); {@code pops} is 0, 1 or 2. */
    public void fcom(int i, boolean quiet, int pops) {
        prepare();
        if (isEmpty(0) || isEmpty(i)) {
            compareUnderflow(pops);
            return;
        }
        int a = phys(0), b = phys(i);
        setCompare(sf.compare(regSe[a], regSig[a], regSe[b], regSig[b], quiet), pops);
    }

    public void fcomM32(int bits, boolean pop) {
        prepare();
        cvt.fromFloat32(bits);
        compareMemory(pop);
    }

    public void fcomM64(long bits, boolean pop) {
        prepare();
        cvt.fromFloat64(bits);
        compareMemory(pop);
    }

    /** FICOM/FICOMP m16/m32. */
    public void ficom(long value, boolean pop) {
        prepare();
        cvt.fromInteger(value);
        compareMemory(pop);
    }

    /** FTST: compares ST(0) with +0.0. */
    public void ftst() {
        prepare();
        sf.rse = 0;
        sf.rsig = 0;
        cvt.sourceDenormal = false;
        compareMemory(false);
    }

    private void compareMemory(boolean pop) {
        if (isEmpty(0)) {
            compareUnderflow(pop ? 1 : 0);
            return;
        }
        int bse = sf.rse;
        long bsig = sf.rsig;
        boolean denormal = cvt.sourceDenormal;
        int a = phys(0);
        int r = sf.compare(regSe[a], regSig[a], bse, bsig, false);
        if (denormal && (sf.flags & IE) == 0) sf.raise(DE);
        setCompare(r, pop ? 1 : 0);
    }

    private void compareUnderflow(int pops) {
        sw |= C0 | C2 | C3;
        if (stackUnderflow()) for (int k = 0; k < pops; k++) pop();
    }

    private void setCompare(int r, int pops) {
        finish();
        sw &= ~CC;
        boolean unmasked = !sf.store;                      // an unmasked IE or DE: the operands stay
        sw |= switch (r) {
            case SoftFloat80.CMP_LESS -> C0;
            case SoftFloat80.CMP_EQUAL -> C3;
            case SoftFloat80.CMP_GREATER -> 0;
            default -> C0 | C2 | C3;
        };
        if (unmasked) return;                             // codes set, stack not popped
        for (int k = 0; k < pops; k++) pop();
    }

    /**
     * FCOMI/FCOMIP/FUCOMI/FUCOMIP: returns the ZF/PF/CF bits to set (the CPU clears OF, SF, AF).
     */
    public int fcomi(int i, boolean quiet, boolean pop) {
        prepare();
        // Even when the exception is unmasked, EFLAGS say "unordered" (checked against the host CPU); only the pop is withheld.
        if (isEmpty(0) || isEmpty(i)) {
            if (stackUnderflow() && pop) pop();
            return EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF;
        }
        int a = phys(0), b = phys(i);
        int r = sf.compare(regSe[a], regSig[a], regSe[b], regSig[b], quiet);
        finish();
        sw &= ~C1;
        if (!sf.store && (sf.flags & IE) != 0) return EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF;
        if (pop && sf.store) pop();                       // an unmasked DE: the flags say the order, no pop
        return switch (r) {
            case SoftFloat80.CMP_LESS -> EFLAGS_CF;
            case SoftFloat80.CMP_EQUAL -> EFLAGS_ZF;
            case SoftFloat80.CMP_GREATER -> 0;
            default -> EFLAGS_ZF | EFLAGS_PF | EFLAGS_CF;
        };
    }

    /** FXAM: classifies ST(0) into C3,C2,C0 and its sign into C1 (even when empty). */
    public void fxam() {
        int p = phys(0);
        int se = regSe[p];
        int code;
        if ((emptyMask & (1 << p)) != 0) code = C3 | C0;
        else code = switch (Ext80.classify(se, regSig[p])) {
            case Ext80.UNSUPPORTED -> 0;
            case Ext80.QNAN, Ext80.SNAN -> C0;
            case Ext80.NORMAL -> C2;
            case Ext80.INFINITY -> C2 | C0;
            case Ext80.ZERO -> C3;
            default -> C3 | C2;                            // denormal, pseudo-denormal
        };
        sw = (sw & ~CC) | code | (Ext80.sign(se) ? C1 : 0);
    }

    // ---- scale, extract, remainder ----

    public void fscale() {
        if (twoOperandsMissing()) return;
        int a = phys(0), b = phys(1);
        math.scale(regSe[a], regSig[a], regSe[b], regSig[b]);
        writeResult(0, false);
    }

    /** FXTRACT: ST(0) becomes the exponent, then the significand is pushed. */
    public void fxtract() {
        prepare();
        if (isEmpty(0)) {
            if (stackUnderflow()) {
                setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
                push(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            }
            return;
        }
        if ((emptyMask & (1 << ((top - 1) & 7))) == 0) {
            if (stackOverflow()) {
                setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
                push(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            }
            return;
        }
        int p = phys(0);
        math.extract(regSe[p], regSig[p]);
        finish();
        if (!sf.store) return;
        setSt(0, math.exponentSe, math.exponentSig);
        push(sf.rse, sf.rsig);
    }

    public void fprem() {
        remainder(false);
    }

    public void fprem1() {
        remainder(true);
    }

    private void remainder(boolean ieee) {
        if (twoOperandsMissing()) return;
        int a = phys(0), b = phys(1);
        math.remainder(regSe[a], regSig[a], regSe[b], regSig[b], ieee);
        finish();
        if (!sf.store) return;
        sw = (sw & ~CC) | math.conditionCodes;
        setSt(0, sf.rse, sf.rsig);
    }

    private boolean twoOperandsMissing() {
        prepare();
        if (isEmpty(0) || isEmpty(1)) {
            underflowInto(0, false);
            return true;
        }
        return false;
    }

    // ---- transcendentals (see FpTranscendental for the precision reached) ----

    public void fsin() {
        trigonometric(FpTranscendental.SIN);
    }

    public void fcos() {
        trigonometric(FpTranscendental.COS);
    }

    /** FSINCOS: ST(0) = sin, then cos is pushed. */
    public void fsincos() {
        trigonometric(FpTranscendental.SINCOS);
    }

    /** FPTAN: ST(0) = tan, then 1.0 is pushed. */
    public void fptan() {
        trigonometric(FpTranscendental.TAN);
    }

    private void trigonometric(int fn) {
        prepare();
        boolean pushes = fn == FpTranscendental.SINCOS || fn == FpTranscendental.TAN;
        if (isEmpty(0)) {
            if (stackUnderflow()) {
                setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
                if (pushes) push(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            }
            return;
        }
        if (pushes && (emptyMask & (1 << ((top - 1) & 7))) == 0) {
            if (stackOverflow()) {
                setSt(0, Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
                push(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
            }
            return;
        }
        int p = phys(0);
        trans.trig(fn, regSe[p], regSig[p]);
        finish();
        sw &= ~C2;
        if (trans.outOfRange) {                       // |x| >= 2^63: C2=1, operand unchanged
            sw |= C2;
            return;
        }
        if (!sf.store) return;
        setSt(0, sf.rse, sf.rsig);
        if (pushes) push(trans.secondSe, trans.secondSig);
    }

    public void f2xm1() {
        prepare();
        if (isEmpty(0)) {
            underflowInto(0, false);
            return;
        }
        int p = phys(0);
        trans.f2xm1(regSe[p], regSig[p]);
        writeResult(0, false);
    }

    /** FPATAN: ST(1) = arctan(ST(1) / ST(0)), pop. */
    public void fpatan() {
        binaryPop(0);
    }

    /** FYL2X: ST(1) = ST(1) * log2(ST(0)), pop. */
    public void fyl2x() {
        binaryPop(1);
    }

    /** FYL2XP1: ST(1) = ST(1) * log2(ST(0) + 1), pop. */
    public void fyl2xp1() {
        binaryPop(2);
    }

    private void binaryPop(int fn) {
        prepare();
        if (isEmpty(0) || isEmpty(1)) {
            underflowInto(1, true);
            return;
        }
        int a = phys(0), b = phys(1);
        switch (fn) {
            case 0 -> trans.atan2(regSe[b], regSig[b], regSe[a], regSig[a]);
            case 1 -> trans.yl2x(regSe[b], regSig[b], regSe[a], regSig[a], false);
            default -> trans.yl2x(regSe[b], regSig[b], regSe[a], regSig[a], true);
        }
        writeResult(1, true);
    }

    // ---- snapshot

    /** The registers as stored (not through FXSAVE, whose abridged tag loses the empty/special distinction), CW, SW, TOP, the last-instruction pointers. */
    @Override
    public void saveState(StateWriter out) {
        out.ints(regSe).longs(regSig).i32(emptyMask).i32(top).i32(cw).i32(sw).i32(fip).i32(fcs).i32(fop).i32(fdp).i32(fds);
    }

    @Override
    public void loadState(StateReader in) {
        in.intsInto(regSe);
        in.longsInto(regSig);
        emptyMask = in.range(0, 0xff, "empty mask");
        top = in.range(0, 7, "TOP");
        int c = in.range(0, 0xffff, "control word");
        sw = in.range(0, 0xffff, "status word");
        fip = in.i32();
        fcs = in.i32();
        fop = in.i32();
        fdp = in.i32();
        fds = in.i32();
        fldcw(c);
    }
}
