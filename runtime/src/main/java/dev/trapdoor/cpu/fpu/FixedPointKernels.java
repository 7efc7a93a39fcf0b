package dev.trapdoor.cpu.fpu;

import java.math.BigInteger;

/**
 * The transcendental kernels in 256-bit fixed point (BigInteger values scaled by 2^F): series for
 * sin, cos, atan, expm1 and atanh on reduced arguments, far past the 64 bits an x87 result keeps,
 * so that rounding the kernel's value gives what an x87 (documented within 1 ulp, SDM Vol. 1
 * §8.3.10) gives. Only the x87's own 66-bit pi differs from the true one: {@link #X87_PIO2_66}
 * is what the trigonometric reduction uses, as the hardware does. These instructions are rare,
 * so the cost (tens of microseconds) does not matter; the exactness does.
 */
final class FixedPointKernels {
    static final int F = 256;
    static final BigInteger ONE = BigInteger.ONE.shiftLeft(F);
    /** pi/2 as the x87 reduces by it: a 66-bit significand, pi/2 = X87_PIO2_66 * 2^-65. */
    static final BigInteger X87_PIO2_66 = new BigInteger("C90FDAA22168C234", 16).shiftLeft(2).or(BigInteger.valueOf(3)); // pi's first 66 bits
    static final BigInteger LN2 = atanhSeries(div(ONE, BigInteger.valueOf(3).shiftLeft(F))).shiftLeft(1);
    static final BigInteger PI = atanSeries(div(ONE, BigInteger.valueOf(5).shiftLeft(F))).shiftLeft(4)
            .subtract(atanSeries(div(ONE, BigInteger.valueOf(239).shiftLeft(F))).shiftLeft(2));

    private FixedPointKernels() {}

    /** The product, truncated toward zero (a shift alone would round negatives down and never reach zero in a series). */
    static BigInteger mul(BigInteger a, BigInteger b) {
        BigInteger p = a.multiply(b);
        return p.signum() < 0 ? p.negate().shiftRight(F).negate() : p.shiftRight(F);
    }

    static BigInteger div(BigInteger a, BigInteger b) {
        return a.shiftLeft(F).divide(b);
    }

    /** {sin r, cos r} for |r| <= about 0.8. */
    static BigInteger[] sinCos(BigInteger r) {
        BigInteger r2 = mul(r, r);
        BigInteger sin = r, term = r;
        for (long n = 1; term.signum() != 0; n++) {
            term = mul(term, r2).divide(BigInteger.valueOf(-(2 * n) * (2 * n + 1)));
            sin = sin.add(term);
        }
        BigInteger cos = ONE;
        term = ONE;
        for (long n = 1; term.signum() != 0; n++) {
            term = mul(term, r2).divide(BigInteger.valueOf(-(2 * n - 1) * (2 * n)));
            cos = cos.add(term);
        }
        return new BigInteger[]{sin, cos};
    }

    /** atan t for |t| <= 1: three argument halvings, atan t = 2 atan(t / (1 + sqrt(1 + t^2))), then the series. */
    static BigInteger atan(BigInteger t) {
        for (int k = 0; k < 3; k++) t = div(t, ONE.add(ONE.add(mul(t, t)).shiftLeft(F).sqrt()));
        return atanSeries(t).shiftLeft(3);
    }

    private static BigInteger atanSeries(BigInteger t) {
        BigInteger t2 = mul(t, t), power = t, sum = t;
        for (long n = 1; power.signum() != 0; n++) {
            power = mul(power, t2).negate();
            sum = sum.add(power.divide(BigInteger.valueOf(2 * n + 1)));
        }
        return sum;
    }

    /** atanh z = z + z^3/3 + z^5/5 + ... for |z| <= 1/3. */
    private static BigInteger atanhSeries(BigInteger z) {
        BigInteger z2 = mul(z, z), power = z, sum = z;
        for (long n = 1; power.signum() != 0; n++) {
            power = mul(power, z2);
            sum = sum.add(power.divide(BigInteger.valueOf(2 * n + 1)));
        }
        return sum;
    }

    /** e^y - 1 for |y| <= 1. */
    static BigInteger expm1(BigInteger y) {
        BigInteger term = y, sum = y;
        for (long n = 2; term.signum() != 0; n++) {
            term = mul(term, y).divide(BigInteger.valueOf(n));
            sum = sum.add(term);
        }
        return sum;
    }

    /** log2 of the positive value v * 2^-scale. */
    static BigInteger log2(BigInteger v, int scale) {
        int top = v.bitLength() - 1;
        BigInteger m = top <= F ? v.shiftLeft(F - top) : v.shiftRight(top - F); // in [1, 2) at 2^F
        BigInteger z = div(m.subtract(ONE), m.add(ONE));                          // in [0, 1/3)
        BigInteger ln = atanhSeries(z).shiftLeft(1);
        return BigInteger.valueOf(top - scale).shiftLeft(F).add(div(ln, LN2));
    }

    /** ln(1 + x) / ln 2 for the value x = v * 2^-scale with |x| < 1/2: 2 atanh(x / (2 + x)) keeps small x exact. */
    static BigInteger log2OnePlus(BigInteger v, int scale) {
        BigInteger x = scale <= F ? v.shiftLeft(F - scale) : v.shiftRight(scale - F);
        BigInteger z = div(x, ONE.shiftLeft(1).add(x));
        return div(atanhSeries(z).shiftLeft(1), LN2);
    }
}
