package dev.trapdoor.cpu.fpu;

import static dev.trapdoor.cpu.fpu.Ext80.BIAS;
import static dev.trapdoor.cpu.fpu.Ext80.EXP_MAX;
import static dev.trapdoor.cpu.fpu.Ext80.J;
import static dev.trapdoor.cpu.fpu.Ext80.QUIET;

/**
 * Correctly rounded x87 arithmetic on 80-bit values, as the 387 and later define it
 * (SDM Vol. 1 §4.9, §8.1.5, §8.5). One instance is the rounding context of one FPU: the control
 * fields come from the control word, each operation starts with {@link #begin()} semantics
 * (flags cleared) and leaves its result in {@link #rse}/{@link #rsig}, the exception flags it
 * raised in {@link #flags}, whether it rounded up (C1) in {@link #roundedUp}, and whether an
 * unmasked pre-computation exception (IE, DE, ZE) suppressed the result in {@link #store}.
 * Nothing here allocates.
 */
public final class SoftFloat80 {
    /** Status-word exception bits (SDM Vol. 1 Figure 8-4). */
    public static final int IE = 0x01, DE = 0x02, ZE = 0x04, OE = 0x08, UE = 0x10, PE = 0x20;
    /** Rounding control (CW bits 11:10). */
    public static final int RC_NEAREST = 0, RC_DOWN = 1, RC_UP = 2, RC_ZERO = 3;
    /** Exponent bias adjustment for unmasked overflow/underflow results (SDM Vol. 1 §4.9.1.4). */
    static final int WRAP = 24576;

    public int rc;
    public int pc = 3;
    public int masks = 0x3F;

    public int flags;
    public boolean roundedUp;
    public boolean store = true;
    public int rse;
    public long rsig;

    // scratch outputs of roundSig and shifts
    boolean rInexact, rUp, rCarry;
    long sh, sl;

    /** Loads RC, PC and the exception masks from an x87 control word. */
    public void control(int cw) {
        masks = cw & 0x3F;
        pc = (cw >>> 8) & 3;
        rc = (cw >>> 10) & 3;
    }

    public void begin() {
        flags = 0;
        roundedUp = false;
        store = true;
    }

    /** Significand bits kept by add/sub/mul/div/sqrt under the current precision control. */
    int precisionBits() {
        return switch (pc) {
            case 0 -> 24;
            case 2 -> 53;
            default -> 64;     // 11 = extended; 01 is reserved and behaves as extended here
        };
    }

    // ---- results ----

    void result(int se, long sig) {
        rse = se & 0xFFFF;
        rsig = sig;
    }

    void zero(boolean neg) {
        result(neg ? 0x8000 : 0, 0);
    }

    void infinity(boolean neg) {
        result((neg ? 0x8000 : 0) | EXP_MAX, J);
    }

    /** Invalid operation: IE; masked response is the real indefinite (SDM Vol. 1 §4.9.1.2). */
    void invalid() {
        flags |= IE;
        if ((masks & IE) == 0) store = false;
        result(Ext80.INDEFINITE_SE, Ext80.INDEFINITE_SIG);
    }

    void raise(int flag) {
        flags |= flag;
        if ((masks & flag) == 0 && (flag & (IE | DE | ZE)) != 0) store = false;
    }

    /** Raises DE if either value is a denormal or pseudo-denormal; true if that suppresses the operation. */
    boolean denormalOperand(int ase, long asig, int bse, long bsig) {
        if (Ext80.isDenormal(ase, asig) || Ext80.isDenormal(bse, bsig)) {
            raise(DE);
            return !store;
        }
        return false;
    }

    /**
     * Handles unsupported encodings and NaN operands of a two-operand operation (SDM Vol. 1
     * Table 4-7): true if the result is already decided.
     */
    boolean specialOperands(int ase, long asig, int bse, long bsig) {
        if (Ext80.isUnsupported(ase, asig) || Ext80.isUnsupported(bse, bsig)) {
            invalid();
            return true;
        }
        boolean an = Ext80.isNaN(ase, asig), bn = Ext80.isNaN(bse, bsig);
        if (!an && !bn) return false;
        boolean as = an && (asig & QUIET) == 0, bs = bn && (bsig & QUIET) == 0;
        if (as || bs) raise(IE);
        boolean pickA;
        if (an && bn) {
            if (as != bs) pickA = bs;                         // SNaN and QNaN: the QNaN
            else {
                int c = Long.compareUnsigned(asig | QUIET, bsig | QUIET);
                pickA = c > 0 || (c == 0 && (ase & 0xFFFF) <= (bse & 0xFFFF));
            }
        } else pickA = an;
        if (pickA) result(ase, asig | QUIET);
        else result(bse, bsig | QUIET);
        return true;
    }

    boolean specialOperand(int se, long sig) {
        if (Ext80.isUnsupported(se, sig)) {
            invalid();
            return true;
        }
        if (Ext80.isNaN(se, sig)) {
            if ((sig & QUIET) == 0) raise(IE);
            result(se, sig | QUIET);
            return true;
        }
        return false;
    }

    /** Exponent of a finite nonzero value once its significand is normalized (may be below 1). */
    static int normExp(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) e = 1;
        return e - Long.numberOfLeadingZeros(sig);
    }

    static long normSig(long sig) {
        return sig << Long.numberOfLeadingZeros(sig);
    }

    // ---- rounding ----

    /**
     * Rounds the 128-bit significand (sig, ext) to keep only the top (64 - drop) bits of sig,
     * by the current rounding mode. Sets rInexact, rUp (magnitude increased) and rCarry
     * (significand overflowed to 2^64: returned as J, caller adds one to the exponent).
     */
    long roundSig(boolean neg, long sig, long ext, int drop) {
        long kept, unit;
        boolean inexact, half, above;
        if (drop == 0) {
            kept = sig;
            unit = 1;
            inexact = ext != 0;
            half = ext == J;
            above = Long.compareUnsigned(ext, J) > 0;
        } else {
            long mask = -1L >>> (64 - drop);
            long r = sig & mask, h = 1L << (drop - 1);
            kept = sig & ~mask;
            unit = 1L << drop;
            inexact = r != 0 || ext != 0;
            half = r == h && ext == 0;
            above = Long.compareUnsigned(r, h) > 0 || (r == h && ext != 0);
        }
        boolean inc = switch (rc) {
            case RC_NEAREST -> above || (half && (kept & unit) != 0);
            case RC_DOWN -> neg && inexact;
            case RC_UP -> !neg && inexact;
            default -> false;
        };
        rInexact = inexact;
        rUp = inc;
        rCarry = false;
        if (inc) {
            long n = kept + unit;
            if (n == 0) {
                n = J;
                rCarry = true;
            }
            kept = n;
        }
        return kept;
    }

    /** Shifts the 128-bit (hi, lo) right by count, OR-ing lost bits into bit 0; result in sh/sl. */
    void shiftRightJam(long hi, long lo, int count) {
        if (count == 0) {
            sh = hi;
            sl = lo;
        } else if (count < 64) {
            sh = hi >>> count;
            sl = (hi << (64 - count)) | (lo >>> count) | ((lo << (64 - count)) != 0 ? 1 : 0);
        } else if (count == 64) {
            sh = 0;
            sl = hi | (lo != 0 ? 1 : 0);
        } else if (count < 128) {
            sh = 0;
            sl = (hi >>> (count - 64)) | (((hi << (128 - count)) | lo) != 0 ? 1 : 0);
        } else {
            sh = 0;
            sl = (hi | lo) != 0 ? 1 : 0;
        }
    }

    /**
     * Rounds and packs a result: value = (sig:ext as 0.128 fixed point) * 2 * 2^(exp - BIAS)
     * with sig normalized (bit 63 set), keeping {@code bits} significand bits, with the
     * extended exponent range; handles overflow, underflow (tininess after rounding), and
     * the unmasked responses that wrap the exponent by 24576.
     */
    void roundPack(boolean neg, int exp, long sig, long ext, int bits) {
        int drop = 64 - bits;
        int signBit = neg ? 0x8000 : 0;
        if (exp <= 0) {
            boolean tiny = exp < 0;
            if (!tiny) {
                roundSig(neg, sig, ext, drop);
                tiny = !rCarry;
            }
            if (tiny && (masks & UE) == 0) {
                flags |= UE;
                exp += WRAP;
            } else {
                shiftRightJam(sig, ext, 1 - exp);
                long s = roundSig(neg, sh, sl, drop);
                if (rInexact) {
                    flags |= PE;
                    if (tiny) flags |= UE;
                }
                roundedUp = rUp;
                result(signBit | (s < 0 ? 1 : 0), s);
                return;
            }
        }
        long s = roundSig(neg, sig, ext, drop);
        if (rCarry) exp++;
        if (rInexact) flags |= PE;
        roundedUp = rUp;
        if (exp >= EXP_MAX) {
            flags |= OE;
            if ((masks & OE) == 0) {
                exp -= WRAP;
            } else {
                flags |= PE;
                boolean toInf = switch (rc) {
                    case RC_NEAREST -> true;
                    case RC_DOWN -> neg;
                    case RC_UP -> !neg;
                    default -> false;
                };
                roundedUp = toInf;
                if (toInf) infinity(neg);
                else result(signBit | (EXP_MAX - 1), drop == 0 ? -1L : ~(-1L >>> (64 - drop)));
                return;
            }
        }
        result(signBit | (exp & 0x7FFF), s);
    }

    /** Rounds a finite nonzero unpacked value to the current precision (used by operand-only paths). */
    private void roundOperand(int se, long sig, int bits) {
        roundPack(Ext80.sign(se), normExp(se, sig), normSig(sig), 0, bits);
    }

    // ---- arithmetic ----

    public void add(int ase, long asig, int bse, long bsig) {
        addSub(ase, asig, bse, bsig, false);
    }

    public void sub(int ase, long asig, int bse, long bsig) {
        addSub(ase, asig, bse, bsig, true);
    }

    private void addSub(int ase, long asig, int bse, long bsig, boolean negateB) {
        begin();
        if (specialOperands(ase, asig, bse, bsig)) return;
        boolean an = Ext80.sign(ase), bn = Ext80.sign(bse) ^ negateB;
        boolean ai = Ext80.isInfinity(ase, asig), bi = Ext80.isInfinity(bse, bsig);
        if (ai || bi) {
            if (ai && bi && an != bn) invalid();
            else infinity(ai ? an : bn);
            denormalOperand(ase, asig, bse, bsig);
            return;
        }
        if (denormalOperand(ase, asig, bse, bsig)) return;
        boolean az = asig == 0, bz = bsig == 0;
        int bits = precisionBits();
        if (az && bz) {
            zero(an == bn ? an : rc == RC_DOWN);
            return;
        }
        if (bz) {
            roundOperand(ase, asig, bits);
            return;
        }
        if (az) {
            roundOperand((bse & 0x7FFF) | (bn ? 0x8000 : 0), bsig, bits);
            return;
        }
        int ea = normExp(ase, asig), eb = normExp(bse, bsig);
        long sa = normSig(asig), sb = normSig(bsig);
        if (an == bn) {
            if (ea < eb) {
                int t = ea; ea = eb; eb = t;
                long u = sa; sa = sb; sb = u;
            }
            shiftRightJam(sb, 0, ea - eb);
            long lo = sl, hi = sa + sh;
            if (Long.compareUnsigned(hi, sa) < 0) {
                lo = (lo >>> 1) | (hi << 63) | (lo & 1);
                hi = (hi >>> 1) | J;
                ea++;
            }
            roundPack(an, ea, hi, lo, bits);
            return;
        }
        boolean neg = an;
        if (ea < eb || (ea == eb && Long.compareUnsigned(sa, sb) < 0)) {
            int t = ea; ea = eb; eb = t;
            long u = sa; sa = sb; sb = u;
            neg = bn;
        }
        shiftRightJam(sb, 0, ea - eb);
        long lo = -sl;
        long hi = sa - sh - (sl != 0 ? 1 : 0);
        if (hi == 0 && lo == 0) {
            zero(rc == RC_DOWN);
            return;
        }
        int n = hi != 0 ? Long.numberOfLeadingZeros(hi) : 64 + Long.numberOfLeadingZeros(lo);
        if (n >= 64) {
            hi = lo << (n - 64);
            lo = 0;
        } else if (n > 0) {
            hi = (hi << n) | (lo >>> (64 - n));
            lo <<= n;
        }
        roundPack(neg, ea - n, hi, lo, bits);
    }

    public void mul(int ase, long asig, int bse, long bsig) {
        begin();
        if (specialOperands(ase, asig, bse, bsig)) return;
        boolean neg = Ext80.sign(ase) ^ Ext80.sign(bse);
        boolean ai = Ext80.isInfinity(ase, asig), bi = Ext80.isInfinity(bse, bsig);
        if (ai || bi) {
            if ((ai && bsig == 0) || (bi && asig == 0)) invalid();
            else infinity(neg);
            denormalOperand(ase, asig, bse, bsig);
            return;
        }
        if (denormalOperand(ase, asig, bse, bsig)) return;
        if (asig == 0 || bsig == 0) {
            zero(neg);
            return;
        }
        int ea = normExp(ase, asig), eb = normExp(bse, bsig);
        long sa = normSig(asig), sb = normSig(bsig);
        long hi = Math.unsignedMultiplyHigh(sa, sb), lo = sa * sb;
        int e = ea + eb - BIAS + 1;
        if (hi >= 0) {
            hi = (hi << 1) | (lo >>> 63);
            lo <<= 1;
            e--;
        }
        roundPack(neg, e, hi, lo, precisionBits());
    }

    public void div(int ase, long asig, int bse, long bsig) {
        begin();
        if (specialOperands(ase, asig, bse, bsig)) return;
        boolean neg = Ext80.sign(ase) ^ Ext80.sign(bse);
        boolean ai = Ext80.isInfinity(ase, asig), bi = Ext80.isInfinity(bse, bsig);
        if (ai || bi) {
            if (ai && bi) invalid();
            else if (ai) infinity(neg);
            else zero(neg);
            denormalOperand(ase, asig, bse, bsig);
            return;
        }
        if (asig == 0 && bsig == 0) {
            invalid();
            return;
        }
        if (bsig == 0) {                                  // ZE takes precedence over DE
            raise(ZE);
            infinity(neg);
            return;
        }
        if (denormalOperand(ase, asig, bse, bsig)) return;
        if (asig == 0) {
            zero(neg);
            return;
        }
        int ea = normExp(ase, asig), eb = normExp(bse, bsig);
        long sa = normSig(asig), sb = normSig(bsig);
        int e = ea - eb + BIAS;
        long r = sa;
        boolean carry = false;
        if (Long.compareUnsigned(sa, sb) < 0) {
            e--;
            carry = r < 0;
            r <<= 1;
        }
        long q = 0;
        for (int i = 63; i >= 0; i--) {
            if (carry || Long.compareUnsigned(r, sb) >= 0) {
                r -= sb;
                q |= 1L << i;
            }
            carry = r < 0;
            r <<= 1;
        }
        long ext = 0;
        for (int i = 63; i >= 62; i--) {
            if (carry || Long.compareUnsigned(r, sb) >= 0) {
                r -= sb;
                ext |= 1L << i;
            }
            carry = r < 0;
            r <<= 1;
        }
        if (carry || r != 0) ext |= 1;
        roundPack(neg, e, q, ext, precisionBits());
    }

    public void sqrt(int se, long sig) {
        begin();
        if (specialOperand(se, sig)) return;
        boolean neg = Ext80.sign(se);
        if (sig == 0) {
            zero(neg);
            return;
        }
        if (neg) {
            invalid();
            return;
        }
        if (Ext80.isInfinity(se, sig)) {
            infinity(false);
            return;
        }
        if (denormalOperand(se, sig, 0, 0)) return;
        int e = normExp(se, sig);
        long s = normSig(sig);
        int k = e - BIAS - 63;
        int m = ((k & 1) == 0) ? 64 : 63;
        long nh = m == 64 ? s : s >>> 1, nl = m == 64 ? 0 : s << 63;
        long res = 0, remH = 0, remL = 0;
        for (int i = 0; i < 64; i++) {
            long two = nh >>> 62;
            nh = (nh << 2) | (nl >>> 62);
            nl <<= 2;
            remH = (remH << 2) | (remL >>> 62);
            remL = (remL << 2) | two;
            long tH = res >>> 62, tL = (res << 2) | 1;
            if (remH > tH || (remH == tH && Long.compareUnsigned(remL, tL) >= 0)) {
                long borrow = Long.compareUnsigned(remL, tL) < 0 ? 1 : 0;
                remL -= tL;
                remH = remH - tH - borrow;
                res = (res << 1) | 1;
            } else {
                res <<= 1;
            }
        }
        boolean guard = remH != 0 || Long.compareUnsigned(remL, res) > 0;
        long ext = guard ? (J | 1) : ((remH | remL) != 0 ? 1 : 0);
        roundPack(false, (k - m) / 2 + 63 + BIAS, res, ext, precisionBits());
    }

    /** FRNDINT: round to an integral value by RC, in extended precision (PC does not apply). */
    public void roundToInt(int se, long sig) {
        begin();
        if (specialOperand(se, sig)) return;
        if (Ext80.isInfinity(se, sig) || sig == 0) {
            result(se, sig);
            return;
        }
        if (denormalOperand(se, sig, 0, 0)) return;
        boolean neg = Ext80.sign(se);
        int e = normExp(se, sig);
        long s = normSig(sig);
        if (e >= BIAS + 63) {
            result(se, sig);
            return;
        }
        flagsForIntegral(neg, e, s);
    }

    /** Rounds the normalized finite (e, s) to an integer by RC into the result, with PE/C1. */
    void flagsForIntegral(boolean neg, int e, long s) {
        int signBit = neg ? 0x8000 : 0;
        if (e < BIAS) {
            boolean above = e == BIAS - 1 && s != J;
            boolean one = switch (rc) {
                case RC_NEAREST -> above;
                case RC_DOWN -> neg;
                case RC_UP -> !neg;
                default -> false;
            };
            flags |= PE;
            roundedUp = one;
            if (one) result(signBit | BIAS, J);
            else zero(neg);
            return;
        }
        long r = roundSig(neg, s, 0, BIAS + 63 - e);
        if (rCarry) e++;
        if (rInexact) flags |= PE;
        roundedUp = rUp;
        result(signBit | e, r);
    }

    /** Comparison results, in the order FCOM reports them through C3/C2/C0. */
    public static final int CMP_LESS = 0, CMP_EQUAL = 1, CMP_GREATER = 2, CMP_UNORDERED = 3;

    /**
     * Compares a with b. {@code quiet} is the FUCOM rule: only SNaNs (and unsupported
     * encodings) raise IE; FCOM raises IE for any NaN.
     */
    public int compare(int ase, long asig, int bse, long bsig, boolean quiet) {
        begin();
        if (Ext80.isUnsupported(ase, asig) || Ext80.isUnsupported(bse, bsig)) {
            raise(IE);
            return CMP_UNORDERED;
        }
        boolean an = Ext80.isNaN(ase, asig), bn = Ext80.isNaN(bse, bsig);
        if (an || bn) {
            if (!quiet || Ext80.isSignalingNaN(ase, asig) || Ext80.isSignalingNaN(bse, bsig)) raise(IE);
            return CMP_UNORDERED;
        }
        denormalOperand(ase, asig, bse, bsig);
        return compareNumbers(ase, asig, bse, bsig);
    }

    /** Orders two non-NaN supported values. */
    static int compareNumbers(int ase, long asig, int bse, long bsig) {
        boolean az = asig == 0, bz = bsig == 0;
        if (az && bz) return CMP_EQUAL;
        boolean an = Ext80.sign(ase), bn = Ext80.sign(bse);
        if (az) return bn ? CMP_GREATER : CMP_LESS;
        if (bz) return an ? CMP_LESS : CMP_GREATER;
        if (an != bn) return an ? CMP_LESS : CMP_GREATER;
        int ea = normExp(ase, asig), eb = normExp(bse, bsig);
        int c = ea != eb ? Integer.compare(ea, eb) : Long.compareUnsigned(normSig(asig), normSig(bsig));
        if (c == 0) return CMP_EQUAL;
        return (c > 0) != an ? CMP_GREATER : CMP_LESS;
    }
}
