package dev.trapdoor.cpu.fpu;

import static dev.trapdoor.cpu.fpu.Ext80.BIAS;
import static dev.trapdoor.cpu.fpu.Ext80.J;
import static dev.trapdoor.cpu.fpu.SoftFloat80.PE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.ZE;

/**
 * FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1.
 *
 * <p>Precision: the special cases (zeros, infinities, NaNs, invalid domains, |x| >= 2^63 for
 * the trigonometric functions, and what the x87 does outside the documented domains of F2XM1
 * and FYL2XP1) follow a real x87. Values are computed in double precision from the argument
 * split exactly into two doubles; the trigonometric reduction subtracts k times the x87's own
 * 66-bit pi/2 (SDM Vol. 1 §8.3.10) in two exact 33-bit parts, so it tracks the hardware for
 * |x| < 2^20 and drifts beyond. Tiny arguments are rounded exactly (sin x, tan x, cos x as a
 * nudge of x or 1). Measured against the host x87 (ReferenceVectorsTest, 11,500 cases): at
 * most 4,206 ulps of the 64-bit significand (about 2^-52 relative), typically ~2,000; PE is
 * set for every inexact result; C1 is not meaningful.
 */
final class FpTranscendental {
    static final int SIN = 0, COS = 1, SINCOS = 2, TAN = 3;

    private final SoftFloat80 sf;
    private final FpConvert cvt;

    /** The value a two-result instruction pushes (cos for FSINCOS, 1.0 for FPTAN). */
    int secondSe;
    long secondSig;
    /** Set when a trigonometric operand has |x| >= 2^63: C2=1 and ST(0) is left unchanged. */
    boolean outOfRange;

    // The x87 reduces by a 66-bit pi (SDM Vol. 1 §8.3.10): pi/2 = P66 * 2^-65, split into two
    // 33-bit doubles so that k * part is exact for |k| < 2^20.
    private static final long PI_64 = 0xC90F_DAA2_2168_C234L;
    private static final double PIO2_1 = Math.scalb((double) (PI_64 >>> 31), -32);
    private static final double PIO2_2 = Math.scalb((double) (((PI_64 & 0x7FFF_FFFFL) << 2) | 3), -65);
    private static final double LN2 = 0.6931471805599453;

    FpTranscendental(SoftFloat80 sf) {
        this.sf = sf;
        this.cvt = new FpConvert(sf);
    }

    /** High 53 bits of a finite value as a double (exact); the low 11 bits via {@link #low}. */
    private static double high(int se, long sig) {
        if (sig == 0) return Ext80.sign(se) ? -0.0 : 0.0;
        int e = SoftFloat80.normExp(se, sig) - BIAS;
        double d = Math.scalb((double) (SoftFloat80.normSig(sig) >>> 11), e - 52);
        return Ext80.sign(se) ? -d : d;
    }

    private static double low(int se, long sig) {
        if (sig == 0) return 0.0;
        int e = SoftFloat80.normExp(se, sig) - BIAS;
        double d = Math.scalb((double) (SoftFloat80.normSig(sig) & 0x7FF), e - 63);
        return Ext80.sign(se) ? -d : d;
    }

    /** A finite nonzero value times 2^(shift + BIAS), as a double (exact when it stays normal). */
    private static double scaled(int se, long sig, int shift) {
        int e = SoftFloat80.normExp(se, sig) + shift;
        long m = SoftFloat80.normSig(sig);
        double d = Math.scalb((double) (m >>> 11), e - 52) + Math.scalb((double) (m & 0x7FF), e - 63);
        return Ext80.sign(se) ? -d : d;
    }

    /** Leaves the double d as the result, with PE when the operation is inexact. */
    private void fromDouble(double d, boolean inexact) {
        int flags = sf.flags;
        cvt.fromFloat64(Double.doubleToRawLongBits(d));
        sf.flags = flags | (inexact ? PE : 0);
    }

    void trig(int fn, int se, long sig) {
        sf.begin();
        outOfRange = false;
        secondSe = BIAS;
        secondSig = J;
        if (sf.specialOperand(se, sig)) {
            secondSe = sf.rse;
            secondSig = sf.rsig;
            return;
        }
        if (Ext80.isInfinity(se, sig)) {
            sf.invalid();
            secondSe = sf.rse;
            secondSig = sf.rsig;
            return;
        }
        if (sf.denormalOperand(se, sig, 0, 0)) return;
        if (sig == 0) {
            if (fn == COS) sf.result(BIAS, J);
            else sf.result(se, 0);
            if (fn == SINCOS) {
                secondSe = BIAS;
                secondSig = J;
            }
            return;
        }
        if (SoftFloat80.normExp(se, sig) >= BIAS + 63) {
            outOfRange = true;
            return;
        }
        int e = SoftFloat80.normExp(se, sig);
        if (e < BIAS - 32) {                               // x^2/6 below 2^-65: round x (or 1) nudged toward 0
            boolean neg = Ext80.sign(se);
            long m = SoftFloat80.normSig(sig);
            switch (fn) {
                case SIN -> below(neg, e, m);
                case COS -> below(false, BIAS, J);
                case TAN -> sf.roundPack(neg, e, m, 1, 64);
                default -> {
                    below(false, BIAS, J);
                    secondSe = sf.rse;
                    secondSig = sf.rsig;
                    below(neg, e, m);
                }
            }
            return;
        }
        double hi = high(se, sig), lo = low(se, sig);
        double s, c;
        if (Math.abs(hi) < 0x1p-30) {
            s = hi + lo;                                   // sin x = x - x^3/6: x^3 is below 2^-60 relative
            c = 1.0 - 0.5 * hi * hi;
        } else {
            double k = Math.rint(hi * (2 / Math.PI));
            double r = ((hi - k * PIO2_1) - k * PIO2_2) + lo;
            double sr = Math.sin(r), cr = Math.cos(r);
            int quadrant = (int) ((long) k & 3);
            s = switch (quadrant) { case 0 -> sr; case 1 -> cr; case 2 -> -sr; default -> -cr; };
            c = switch (quadrant) { case 0 -> cr; case 1 -> -sr; case 2 -> -cr; default -> sr; };
        }
        switch (fn) {
            case SIN -> fromDouble(s, true);
            case COS -> fromDouble(c, true);
            case TAN -> fromDouble(s / c, true);
            default -> {
                fromDouble(c, true);
                secondSe = sf.rse;
                secondSig = sf.rsig;
                fromDouble(s, true);
            }
        }
    }

    /** Rounds a value a hair smaller in magnitude than the normalized (e, m). */
    private void below(boolean neg, int e, long m) {
        if (m == J) sf.roundPack(neg, e - 1, -1L, -1L, 64);
        else sf.roundPack(neg, e, m - 1, -1L, 64);
    }

    /** F2XM1: 2^x - 1 for -1 <= x <= 1 (undefined outside; computed anyway). */
    void f2xm1(int se, long sig) {
        sf.begin();
        if (sf.specialOperand(se, sig)) return;
        if (Ext80.isInfinity(se, sig)) {
            if (Ext80.sign(se)) sf.result(0x8000 | BIAS, J);
            else sf.result(se, sig);
            return;
        }
        if (sf.denormalOperand(se, sig, 0, 0)) return;
        if (sig == 0) {
            sf.result(se, 0);
            return;
        }
        int e = SoftFloat80.normExp(se, sig);
        if (e > BIAS || (e == BIAS && SoftFloat80.normSig(sig) != J)) {
            sf.result(se, sig);                           // |x| > 1: undefined; the x87 leaves x
            sf.flags |= PE;
            return;
        }
        if (e < BIAS - 60) {     // 2^x - 1 = x ln2 (x ln2)^2/2 below 2^-60 relative
            int flags = sf.flags;
            FpConstants.load(5, sf.rc, sf);
            int lse = sf.rse;
            long lsig = sf.rsig;
            int pc = sf.pc;
            sf.pc = 3;
            sf.mul(se, sig, lse, lsig);
            sf.pc = pc;
            sf.flags |= flags | PE;
            return;
        }
        double x = high(se, sig) + low(se, sig);
        fromDouble(Math.expm1(x * LN2), true);
    }

    /** FPATAN: arctan(y / x) in the quadrant of (x, y). */
    void atan2(int yse, long ysig, int xse, long xsig) {
        sf.begin();
        if (sf.specialOperands(yse, ysig, xse, xsig)) return;
        if (sf.denormalOperand(yse, ysig, xse, xsig)) return;
        boolean yi = Ext80.isInfinity(yse, ysig), xi = Ext80.isInfinity(xse, xsig);
        double y, x;
        if (yi || xi || ysig == 0 || xsig == 0) {
            y = yi ? (Ext80.sign(yse) ? -1 : 1) * Double.POSITIVE_INFINITY : high(yse, ysig);
            x = xi ? (Ext80.sign(xse) ? -1 : 1) * Double.POSITIVE_INFINITY : high(xse, xsig);
            if (!yi && ysig != 0) y = Math.copySign(1.0, y);
            if (!xi && xsig != 0) x = Math.copySign(1.0, x);
            double r = Math.atan2(y, x);
            fromDouble(r, r != 0);
            return;
        }
        int ey = SoftFloat80.normExp(yse, ysig), ex = SoftFloat80.normExp(xse, xsig);
        if (ey - ex < -40 && !Ext80.sign(xse)) {             // atan(t) = t - t^3/3, t^2 below 2^-80
            int pc = sf.pc, flags = sf.flags;
            sf.pc = 3;
            sf.div(yse, ysig, xse, xsig);
            sf.pc = pc;
            sf.flags |= flags | PE;
            return;
        }
        int shift = -Math.max(ey, ex);
        y = scaled(yse, ysig, shift);
        x = scaled(xse, xsig, shift);
        fromDouble(Math.atan2(y, x), true);
    }

    /** log2 of a finite positive value: the exponent exactly plus log2 of the significand. */
    private static double log2(int se, long sig) {
        if (Ext80.isInfinity(se, sig)) return Double.POSITIVE_INFINITY;
        int e = SoftFloat80.normExp(se, sig) - BIAS;
        long m = SoftFloat80.normSig(sig);
        if (m == J) return e;
        double f = (double) (m >>> 11) / 0x1p52 + (double) (m & 0x7FF) / 0x1p63;   // in [1, 2)
        if (e == 0) return Math.log1p(((m >>> 11) - 0x1p52) / 0x1p52 + (double) (m & 0x7FF) / 0x1p63) / LN2;
        if (e == -1) return Math.log1p((f - 2) / 2) / LN2;
        return e + Math.log(f) / LN2;
    }

    /** FYL2X: y * log2(x); with plusOne FYL2XP1: y * log2(x + 1). */
    void yl2x(int yse, long ysig, int xse, long xsig, boolean plusOne) {
        sf.begin();
        if (sf.specialOperands(yse, ysig, xse, xsig)) return;
        boolean xneg = Ext80.sign(xse), yi = Ext80.isInfinity(yse, ysig), xi = Ext80.isInfinity(xse, xsig);
        if (plusOne && xi && xneg) {
            sf.invalid();
            return;
        }
        if (!plusOne && xsig != 0) {                       // IE and ZE come before DE
            if (xneg) {
                sf.invalid();
                return;
            }
        } else if (!plusOne && !yi && ysig != 0) {
            sf.raise(ZE);
            sf.infinity(!Ext80.sign(yse));
            return;
        }
        if (sf.denormalOperand(yse, ysig, xse, xsig)) return;
        double lg;
        if (plusOne) {
            double x = xi ? (xneg ? -1 : 1) * Double.POSITIVE_INFINITY : high(xse, xsig) + low(xse, xsig);
            if (x < -1) {                                  // undefined: what the x87 does
                if (ysig == 0) sf.zero(!Ext80.sign(yse));
                else if (yi) sf.infinity(!Ext80.sign(yse));
                else {
                    sf.result(xse, xsig);
                    sf.flags |= PE;
                }
                return;
            }
            if (xsig == 0) {
                if (yi) sf.invalid();
                else sf.result((yse ^ xse) & 0x8000, 0);
                return;
            }
            if (SoftFloat80.normExp(xse, xsig) < BIAS - 60 && (ysig == 0 || yi)) {
                boolean neg = Ext80.sign(yse) ^ xneg;
                if (yi) sf.infinity(neg);
                else sf.zero(neg);
                return;
            }
            if (SoftFloat80.normExp(xse, xsig) < BIAS - 60) {  // log2(1+x) = x / ln2 to 2^-60
                int flags = sf.flags;
                FpConstants.load(2, sf.rc, sf);               // log2(e), times y first: x may be denormal
                int lse = sf.rse;
                long lsig = sf.rsig;
                int pc = sf.pc;
                sf.pc = 3;
                // significands at exponent 0, exponents added at the end: no intermediate over/underflow
                int ex = SoftFloat80.normExp(xse, xsig), ey = SoftFloat80.normExp(yse, ysig);
                sf.mul((xse & 0x8000) | BIAS, SoftFloat80.normSig(xsig), lse, lsig);
                int tse = sf.rse;
                long tsig = sf.rsig;
                sf.mul((yse & 0x8000) | BIAS, SoftFloat80.normSig(ysig), tse, tsig);
                sf.roundPack(Ext80.sign(sf.rse), (sf.rse & 0x7FFF) + ex - BIAS + ey - BIAS, sf.rsig, 0, 64);
                sf.pc = pc;
                sf.flags |= flags | PE;
                return;
            }
            if (xi || SoftFloat80.normExp(xse, xsig) >= BIAS + 60) lg = log2(xse, xsig);
            else lg = Math.log1p(x) / LN2;
        } else {
            if (xneg && xsig != 0) {
                sf.invalid();
                return;
            }
            if (xsig == 0) {
                if (ysig == 0) sf.invalid();
                else {
                    if (!yi) sf.raise(ZE);
                    sf.infinity(!Ext80.sign(yse));
                }
                return;
            }
            if (xi) {
                if (ysig == 0) sf.invalid();
                else sf.infinity(Ext80.sign(yse));
                return;
            }
            lg = log2(xse, xsig);
        }
        if (ysig == 0 && !Double.isInfinite(lg)) {
            sf.result((yse & 0x8000) ^ (lg < 0 ? 0x8000 : 0), 0);
            return;
        }
        if (lg == 0) {
            if (yi) sf.invalid();
            else sf.result(yse & 0x8000, 0);
            return;
        }
        if (yi) {
            sf.infinity(Ext80.sign(yse) ^ (lg < 0));
            return;
        }
        cvt.fromFloat64(Double.doubleToRawLongBits(lg));
        int lse = sf.rse;
        long lsig = sf.rsig;
        int pc = sf.pc;
        sf.pc = 3;
        int flags = sf.flags;
        sf.mul(yse, ysig, lse, lsig);
        sf.pc = pc;
        sf.flags |= flags | PE;
    }
}
