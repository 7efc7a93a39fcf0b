package dev.trapdoor.cpu.fpu;

import java.math.BigInteger;

import static dev.trapdoor.cpu.fpu.Ext80.BIAS;
import static dev.trapdoor.cpu.fpu.Ext80.J;
import static dev.trapdoor.cpu.fpu.SoftFloat80.PE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.ZE;

/**
 * FSIN, FCOS, FSINCOS, FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1.
 *
 * <p>Precision: the special cases (zeros, infinities, NaNs, invalid domains, |x| >= 2^63 for
 * the trigonometric functions, and what the x87 does outside the documented domains of F2XM1
 * and FYL2XP1) follow a real x87. Finite results come from {@link FixedPointKernels}: the
 * trigonometric argument is reduced exactly by the x87's own 66-bit pi/2 (SDM Vol. 1 §8.3.10,
 * which is why FSIN near multiples of pi differs from the true sine, on the hardware and here),
 * the functions are evaluated to 256 bits and rounded once under RC, with PE, UE, OE and C1 from
 * that rounding. Against the host x87 (scripts/cpu/difftest.sh, group x87tr, 100,000 random
 * cases over all eight instructions): at most 3 ulps of the 64-bit significand apart, the
 * host's own error being about 1 ulp.
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

    /** ln 2 for the double-precision paths left: the sign and range decisions of FYL2X(P1) and its extreme arguments. */
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
        // Reduce exactly by the x87's 66-bit pi/2 (k = nearest integer to x / (pi/2)), then evaluate in fixed point.
        BigInteger mag = magnitude(SoftFloat80.normSig(sig));
        int q = e - BIAS - 63;                             // |x| = mag * 2^q
        BigInteger r;
        int quadrant = 0;
        if (q + 65 >= 0) {
            BigInteger[] qr = mag.shiftLeft(q + 65).divideAndRemainder(FixedPointKernels.X87_PIO2_66);
            BigInteger k = qr[0], rem = qr[1];
            if (rem.shiftLeft(1).compareTo(FixedPointKernels.X87_PIO2_66) > 0) {
                k = k.add(BigInteger.ONE);
                rem = rem.subtract(FixedPointKernels.X87_PIO2_66);
            }
            quadrant = k.intValue() & 3;
            r = rem.shiftLeft(FixedPointKernels.F - 65);
        } else {
            r = mag.shiftLeft(FixedPointKernels.F + q);    // |x| < 1/2: no reduction
        }
        BigInteger[] sc = FixedPointKernels.sinCos(r);
        BigInteger sr = sc[0], cr = sc[1];
        BigInteger sv = switch (quadrant) { case 0 -> sr; case 1 -> cr; case 2 -> sr.negate(); default -> cr.negate(); };
        BigInteger cv = switch (quadrant) { case 0 -> cr; case 1 -> sr.negate(); case 2 -> cr.negate(); default -> sr; };
        if (Ext80.sign(se)) sv = sv.negate();              // sin and tan are odd, cos is even
        switch (fn) {
            case SIN -> roundFixed(sv, FixedPointKernels.F);
            case COS -> roundFixed(cv, FixedPointKernels.F);
            case TAN -> roundFixed(FixedPointKernels.div(sv, cv), FixedPointKernels.F);
            default -> {
                roundFixed(cv, FixedPointKernels.F);
                secondSe = sf.rse;
                secondSig = sf.rsig;
                roundFixed(sv, FixedPointKernels.F);
            }
        }
        sf.flags |= PE;
    }

    private static BigInteger magnitude(long unsigned) {
        return new BigInteger(Long.toUnsignedString(unsigned));
    }

    /** The finite value's significand with its sign, and so value = signedSignificand * 2^(normExp - BIAS - 63). */
    private static BigInteger signedSignificand(int se, long sig) {
        BigInteger m = magnitude(SoftFloat80.normSig(sig));
        return Ext80.sign(se) ? m.negate() : m;
    }

    /** Rounds v * 2^-fracBits (v nonzero) to an 80-bit result under the current rounding mode, with PE/UE/OE and C1. */
    private void roundFixed(BigInteger v, int fracBits) {
        boolean neg = v.signum() < 0;
        BigInteger a = v.abs();
        if (a.signum() == 0) {
            sf.result(neg ? 0x8000 : 0, 0);
            return;
        }
        int bits = a.bitLength();
        BigInteger top = bits > 128 ? a.shiftRight(bits - 128) : a.shiftLeft(128 - bits);
        boolean sticky = bits > 128 && a.getLowestSetBit() < bits - 128;
        sf.roundPack(neg, bits - 1 - fracBits + BIAS, top.shiftRight(64).longValue(), top.longValue() | (sticky ? 1 : 0), 64);
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
        BigInteger x = signedSignificand(se, sig).shiftLeft(FixedPointKernels.F + e - BIAS - 63); // e >= BIAS - 60: exact
        roundFixed(FixedPointKernels.expm1(FixedPointKernels.mul(x, FixedPointKernels.LN2)), FixedPointKernels.F);
        sf.flags |= PE;
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
            double r = Math.atan2(y, x);                  // 0, a multiple of pi/4, or pi: which one, and its sign
            long quarters = Math.round(r / (Math.PI / 4));
            if (quarters == 0) fromDouble(r, false);
            else {
                roundFixed(FixedPointKernels.PI.multiply(BigInteger.valueOf(quarters)).shiftRight(2), FixedPointKernels.F);
                sf.flags |= PE;
            }
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
        BigInteger ym = magnitude(SoftFloat80.normSig(ysig)), xm = magnitude(SoftFloat80.normSig(xsig));
        boolean yBelowX = ey < ex || (ey == ex && ym.compareTo(xm) <= 0);
        BigInteger a;
        if (yBelowX) {
            a = FixedPointKernels.atan(ym.shiftLeft(FixedPointKernels.F + ey - ex).divide(xm));
        } else {
            a = FixedPointKernels.PI.shiftRight(1).subtract(FixedPointKernels.atan(xm.shiftLeft(FixedPointKernels.F + ex - ey).divide(ym)));
        }
        if (Ext80.sign(xse)) a = FixedPointKernels.PI.subtract(a);
        if (Ext80.sign(yse)) a = a.negate();
        roundFixed(a, FixedPointKernels.F);
        sf.flags |= PE;
    }

    /**
     * log2(x), or log2(1 + x) with plusOne (1 + x formed exactly, however large x is), in fixed
     * point, for a finite x with x > 0 (x > -1 with plusOne); null outside that.
     */
    private static BigInteger exactLog2(int xse, long xsig, boolean plusOne) {
        if (Ext80.isInfinity(xse, xsig) || xsig == 0) return null;
        int ex = SoftFloat80.normExp(xse, xsig);
        int qx = ex - BIAS - 63;
        BigInteger xv = signedSignificand(xse, xsig);
        if (!plusOne) return xv.signum() > 0 ? FixedPointKernels.log2(xv, -qx) : null;
        if (ex < BIAS - 1) return FixedPointKernels.log2OnePlus(xv, -qx);    // |x| < 1/2
        int scale = Math.max(0, -qx);
        BigInteger v = BigInteger.ONE.shiftLeft(scale).add(xv.shiftLeft(qx + scale));
        return v.signum() > 0 ? FixedPointKernels.log2(v, scale) : null;
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
                // the true value is never exact: a tiny result is an underflow (masked: flagged, as the host does)
                if ((sf.rse & 0x7FFF) == 0 && (sf.masks & SoftFloat80.UE) != 0) sf.flags |= SoftFloat80.UE;
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
        BigInteger exact = exactLog2(xse, xsig, plusOne);
        if (exact != null) {
            int qy = SoftFloat80.normExp(yse, ysig) - BIAS - 63;
            roundFixed(exact.multiply(signedSignificand(yse, ysig)), FixedPointKernels.F - qy);
            sf.flags |= PE;
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
        sf.flags |= flags | (Double.isInfinite(lg) ? 0 : PE);   // log2(inf) times y is exact
    }
}
