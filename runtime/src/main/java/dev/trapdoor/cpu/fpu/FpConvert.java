package dev.trapdoor.cpu.fpu;

import static dev.trapdoor.cpu.fpu.Ext80.BIAS;
import static dev.trapdoor.cpu.fpu.Ext80.EXP_MAX;
import static dev.trapdoor.cpu.fpu.Ext80.J;
import static dev.trapdoor.cpu.fpu.Ext80.QUIET;
import static dev.trapdoor.cpu.fpu.SoftFloat80.DE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.IE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.OE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.PE;
import static dev.trapdoor.cpu.fpu.SoftFloat80.UE;

/**
 * Conversions between the 80-bit format and the memory formats of FLD/FST/FILD/FIST/FBLD/FBSTP
 * (SDM Vol. 1 §4.2, §4.7, §8.2). Widening conversions leave the value in the context's result
 * and never round; narrowing ones round by RC with the target's exponent range and return the
 * memory image, clearing {@link SoftFloat80#store} when an unmasked exception forbids the write
 * (SDM Vol. 1 §4.9.1.4-5: a memory destination is left unchanged).
 */
final class FpConvert {
    private final SoftFloat80 sf;
    /** True if the last widening conversion read a denormal (the caller raises DE). */
    boolean sourceDenormal;

    FpConvert(SoftFloat80 sf) {
        this.sf = sf;
    }

    // ---- widening: exact ----

    /** float32 bits to 80-bit, SNaNs kept signaling (the instruction decides on IE). */
    void fromFloat32(int bits) {
        fromBinary(bits >>> 31 != 0, (bits >>> 23) & 0xFF, (long) (bits & 0x7FFFFF) << 41, 0xFF, 127);
    }

    void fromFloat64(long bits) {
        fromBinary(bits < 0, (int) (bits >>> 52) & 0x7FF, (bits & 0xF_FFFF_FFFF_FFFFL) << 12, 0x7FF, 1023);
    }

    /** frac: the fraction left-aligned to bit 63 (bit 63 = first fraction bit). */
    private void fromBinary(boolean neg, int e, long frac, int emax, int bias) {
        int sign = neg ? 0x8000 : 0;
        sourceDenormal = false;
        if (e == emax) {
            sf.result(sign | EXP_MAX, J | (frac >>> 1));
        } else if (e == 0) {
            if (frac == 0) {
                sf.result(sign, 0);
            } else {
                sourceDenormal = true;
                int n = Long.numberOfLeadingZeros(frac);
                sf.result(sign | (BIAS - bias - n), frac << n);
            }
        } else {
            sf.result(sign | (e - bias + BIAS), J | (frac >>> 1));
        }
    }

    /** A two's-complement integer (int16/32/64 already sign-extended): exact. */
    void fromInteger(long v) {
        sourceDenormal = false;
        if (v == 0) {
            sf.result(0, 0);
            return;
        }
        int sign = v < 0 ? 0x8000 : 0;
        long mag = v < 0 ? -v : v;               // -2^63 stays 2^63 as unsigned
        int n = Long.numberOfLeadingZeros(mag);
        sf.result(sign | (BIAS + 63 - n), mag << n);
    }

    /** Packed BCD (SDM Vol. 1 §4.7): bytes 0-8 two digits each, byte 9 bit 7 the sign. */
    void fromBcd(long low8, int high2) {
        long v = 0;
        for (int i = 8; i >= 0; i--) {
            int b = i == 8 ? high2 & 0xFF : (int) (low8 >>> (8 * i)) & 0xFF;
            v = v * 100 + (b >>> 4) * 10 + (b & 0xF);   // invalid digits are undefined; this is one answer
        }
        boolean neg = (high2 & 0x8000) != 0;
        fromInteger(v);
        if (neg) sf.rse |= 0x8000;
    }

    // ---- narrowing: rounded ----

    long toFloat32(int se, long sig) {
        return toBinary(se, sig, 23, 0xFF, 127) & 0xFFFF_FFFFL;
    }

    long toFloat64(int se, long sig) {
        return toBinary(se, sig, 52, 0x7FF, 1023);
    }

    private long toBinary(int se, long sig, int fracBits, int emax, int bias) {
        sf.begin();
        boolean neg = Ext80.sign(se);
        long signBit = neg ? 1L << (fracBits + (emax == 0xFF ? 8 : 11)) : 0;
        long infBits = (long) emax << fracBits;
        int drop = 63 - fracBits;
        switch (Ext80.classify(se, sig)) {
            case Ext80.UNSUPPORTED -> {
                sf.raise(IE);
                return infBits | 1L << (fracBits - 1) | (1L << (fracBits + (emax == 0xFF ? 8 : 11)));
            }
            case Ext80.QNAN, Ext80.SNAN -> {
                if ((sig & QUIET) == 0) sf.raise(IE);
                return signBit | infBits | ((sig | QUIET) << 1 >>> (drop + 1));
            }
            case Ext80.INFINITY -> {
                return signBit | infBits;
            }
            case Ext80.ZERO -> {
                return signBit;
            }
            default -> { }                              // a denormal source raises no DE on a store
        }
        int te = SoftFloat80.normExp(se, sig) - BIAS + bias;
        long s = SoftFloat80.normSig(sig);
        if (te <= 0) {
            boolean tiny = te < 0;
            if (!tiny) {
                sf.roundSig(neg, s, 0, drop);
                tiny = !sf.rCarry;
            }
            if (tiny && (sf.masks & UE) == 0) {
                sf.flags |= UE;                          // unmasked: UE alone, memory unchanged
                sf.store = false;
                return 0;
            }
            sf.shiftRightJam(s, 0, 1 - te);
            long r = sf.roundSig(neg, sf.sh, sf.sl, drop);
            if (sf.rInexact) {
                sf.flags |= PE;
                if (tiny) sf.flags |= UE;
            }
            sf.roundedUp = sf.rUp;
            return signBit | (r >>> drop);             // a carry into bit 63 lands in the exponent field as 1
        }
        long r = sf.roundSig(neg, s, 0, drop);
        if (sf.rCarry) te++;
        if (sf.rInexact) sf.flags |= PE;
        sf.roundedUp = sf.rUp;
        if (te >= emax) {
            if ((sf.masks & OE) == 0) {
                sf.flags = (sf.flags & ~PE) | OE;       // unmasked: OE alone, memory unchanged
                sf.roundedUp = false;
                sf.store = false;
                return 0;
            }
            sf.flags |= OE;
            sf.flags |= PE;
            boolean toInf = switch (sf.rc) {
                case SoftFloat80.RC_NEAREST -> true;
                case SoftFloat80.RC_DOWN -> neg;
                case SoftFloat80.RC_UP -> !neg;
                default -> false;
            };
            sf.roundedUp = toInf;
            return toInf ? signBit | infBits : signBit | (infBits - 1);
        }
        return signBit | ((long) te << fracBits) | ((r << 1) >>> (drop + 1));
    }

    /**
     * FIST/FISTP: rounds by RC to a signed integer of {@code bits} (16, 32, 64). Out of range,
     * NaN, infinity or unsupported: IE and the integer indefinite (the most negative value).
     */
    long toInteger(int se, long sig, int bits) {
        sf.begin();
        long indefinite = 1L << (bits - 1);
        if (bits == 64) indefinite = Long.MIN_VALUE;
        int c = Ext80.classify(se, sig);
        if (c == Ext80.UNSUPPORTED || c == Ext80.QNAN || c == Ext80.SNAN || c == Ext80.INFINITY) {
            sf.raise(IE);
            return indefinite;
        }
        if (c == Ext80.ZERO) return 0;
        boolean neg = Ext80.sign(se);
        int e = SoftFloat80.normExp(se, sig);
        long s = SoftFloat80.normSig(sig);
        long mag;
        if (e >= BIAS + 63) {
            if (e > BIAS + 63) return outOfRange(indefinite);
            mag = s;                                    // 2^63 <= |x| < 2^64, already integral
        } else {
            sf.flagsForIntegral(neg, e, s);
            int re = sf.rse & 0x7FFF;
            mag = sf.rsig == 0 ? 0 : sf.rsig >>> (BIAS + 63 - re);
            if (sf.rsig != 0 && re == BIAS + 63) mag = sf.rsig;
        }
        long limit = 1L << (bits - 1);                  // bits == 64: Long.MIN_VALUE, i.e. 2^63 unsigned
        int cmp = Long.compareUnsigned(mag, limit);
        if (cmp > 0 || (cmp == 0 && !neg)) return outOfRange(indefinite);
        long v = neg ? -mag : mag;
        return bits == 64 ? v : v & ((1L << bits) - 1);
    }

    private long outOfRange(long indefinite) {
        sf.flags &= ~PE;
        sf.roundedUp = false;
        sf.raise(IE);
        return indefinite;
    }

    /** The packed-BCD indefinite (SDM Vol. 1 Table 4-4): low 8 bytes; the high 2 bytes are 0xFFFF. */
    static final long BCD_INDEFINITE_LOW = 0xC000_0000_0000_0000L;
    /** High two bytes (sign byte and the unused byte) of the last {@link #toBcd} image. */
    int bcdHigh;

    /** FBSTP: rounds by RC to an integer and packs 18 BCD digits; |x| >= 10^18 is invalid. */
    long toBcd(int se, long sig) {
        bcdHigh = 0xFFFF;
        long v = toInteger(se, sig, 64);
        if ((sf.flags & IE) != 0) {
            return BCD_INDEFINITE_LOW;
        }
        if (!sf.store) return 0;
        boolean neg = Ext80.sign(se);
        long mag = Math.abs(v);
        if (v == Long.MIN_VALUE || mag > 999_999_999_999_999_999L) {
            sf.flags &= ~PE;
            sf.roundedUp = false;
            sf.raise(IE);
            return BCD_INDEFINITE_LOW;
        }
        long low = 0;
        for (int i = 0; i < 8; i++) {
            long d = mag % 100;
            mag /= 100;
            low |= ((d / 10) << 4 | (d % 10)) << (8 * i);
        }
        bcdHigh = (int) ((mag / 10) << 4 | (mag % 10)) | (neg ? 0x8000 : 0);
        return low;
    }
}
