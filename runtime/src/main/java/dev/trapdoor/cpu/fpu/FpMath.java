package dev.trapdoor.cpu.fpu;

import static dev.trapdoor.cpu.fpu.Ext80.BIAS;
import static dev.trapdoor.cpu.fpu.Ext80.EXP_MAX;
import static dev.trapdoor.cpu.fpu.Ext80.J;
import static dev.trapdoor.cpu.fpu.SoftFloat80.ZE;

/** FSCALE, FXTRACT, FPREM and FPREM1: exact operations on exponents and significands. */
final class FpMath {
    private final SoftFloat80 sf;

    /** FXTRACT's first result (the exponent), written to ST(0) before the significand is pushed. */
    int exponentSe;
    long exponentSig;
    /** FPREM/FPREM1 condition codes: C2 (incomplete) or the quotient bits Q2->C0, Q1->C3, Q0->C1. */
    int conditionCodes;

    /** Exponent steps one incomplete FPREM pass removes at most (the 387+ reduce by 32..63). */
    static final int PARTIAL_BITS = 32;

    FpMath(SoftFloat80 sf) {
        this.sf = sf;
    }

    /** FSCALE: a * 2^trunc(b) (SDM Vol. 2 FSCALE table), rounded to 64 bits. */
    void scale(int ase, long asig, int bse, long bsig) {
        sf.begin();
        if (sf.specialOperands(ase, asig, bse, bsig)) return;
        boolean an = Ext80.sign(ase), bn = Ext80.sign(bse);
        boolean ai = Ext80.isInfinity(ase, asig), bi = Ext80.isInfinity(bse, bsig);
        if (bi) {
            if (!bn && asig == 0) sf.invalid();
            else if (bn && ai) sf.invalid();
            else if (!bn) sf.infinity(an);
            else sf.zero(an);
            sf.denormalOperand(ase, asig, bse, bsig);
            return;
        }
        if (sf.denormalOperand(ase, asig, bse, bsig)) return;
        if (ai || asig == 0) {
            sf.result(ase, asig);
            return;
        }
        int n = 0;
        if (bsig != 0) {
            int eb = SoftFloat80.normExp(bse, bsig);
            long sb = SoftFloat80.normSig(bsig);
            if (eb >= BIAS + 20) n = 1 << 20;              // far beyond the exponent range either way
            else if (eb >= BIAS) n = (int) (sb >>> (63 - (eb - BIAS)));
            if (bn) n = -n;
        }
        int e = SoftFloat80.normExp(ase, asig) + n;
        // beyond what the unmasked responses' 24576 bias can bring into range: infinity or zero
        if (e >= EXP_MAX + SoftFloat80.WRAP && (sf.masks & SoftFloat80.OE) == 0) {
            sf.flags |= SoftFloat80.OE | SoftFloat80.PE;
            sf.roundedUp = true;
            sf.infinity(an);
        } else if (e <= -SoftFloat80.WRAP && (sf.masks & SoftFloat80.UE) == 0) {
            sf.flags |= SoftFloat80.UE | SoftFloat80.PE;
            sf.zero(an);
        } else {
            sf.roundPack(an, e, SoftFloat80.normSig(asig), 0, 64);
        }
    }

    /** FXTRACT: exponent into exponentSe/Sig, significand (exponent 0, the sign of a) into the result. */
    void extract(int se, long sig) {
        sf.begin();
        if (sf.specialOperand(se, sig)) {
            exponentSe = sf.rse;
            exponentSig = sf.rsig;
            return;
        }
        boolean neg = Ext80.sign(se);
        if (Ext80.isInfinity(se, sig)) {
            exponentSe = EXP_MAX;
            exponentSig = J;
            sf.infinity(neg);
            return;
        }
        if (sig == 0) {
            sf.raise(ZE);
            exponentSe = 0x8000 | EXP_MAX;
            exponentSig = J;
            sf.zero(neg);
            return;
        }
        if (sf.denormalOperand(se, sig, 0, 0)) return;
        int e = SoftFloat80.normExp(se, sig) - BIAS;
        if (e == 0) {
            exponentSe = 0;
            exponentSig = 0;
        } else {
            int mag = Math.abs(e), lz = Long.numberOfLeadingZeros(mag);
            exponentSe = (e < 0 ? 0x8000 : 0) | (BIAS + 63 - lz);
            exponentSig = (long) mag << lz;
        }
        sf.result((neg ? 0x8000 : 0) | BIAS, SoftFloat80.normSig(sig));
    }

    /**
     * FPREM (truncating quotient) and FPREM1 (IEEE, nearest-even quotient): exact remainder.
     * When the exponents differ by 64 or more, one pass reduces the difference partially and
     * reports C2=1 (SDM Vol. 2 FPREM).
     */
    void remainder(int ase, long asig, int bse, long bsig, boolean ieee) {
        sf.begin();
        conditionCodes = 0;
        if (sf.specialOperands(ase, asig, bse, bsig)) return;
        boolean neg = Ext80.sign(ase);
        if (Ext80.isInfinity(ase, asig) || bsig == 0) {
            sf.invalid();
            return;
        }
        if (sf.denormalOperand(ase, asig, bse, bsig)) return;
        if (asig == 0) {
            sf.result(ase, asig);
            return;
        }
        if (Ext80.isInfinity(bse, bsig)) {
            sf.roundPack(neg, SoftFloat80.normExp(ase, asig), SoftFloat80.normSig(asig), 0, 64);
            return;
        }
        int ea = SoftFloat80.normExp(ase, asig), eb = SoftFloat80.normExp(bse, bsig);
        long sa = SoftFloat80.normSig(asig), sb = SoftFloat80.normSig(bsig);
        int d = ea - eb;
        if (d < 0) {
            if (ieee && d == -1 && Long.compareUnsigned(sa, sb) > 0) {
                long r = (sb << 1) - sa;                 // b - a at the scale of a
                conditionCodes = X87.C1;
                pack(!neg, eb - 1, r);
            } else {
                sf.roundPack(neg, ea, sa, 0, 64);
            }
            return;
        }
        boolean partial = d >= 64;
        int steps = partial ? PARTIAL_BITS + (d - PARTIAL_BITS) % PARTIAL_BITS : d;
        long r = sa, q = 0;
        if (Long.compareUnsigned(r, sb) >= 0) {
            r -= sb;
            q = 1;
        }
        for (int i = 0; i < steps; i++) {
            boolean carry = r < 0;
            r <<= 1;
            q <<= 1;
            if (carry || Long.compareUnsigned(r, sb) >= 0) {
                r -= sb;
                q |= 1;
            }
        }
        int er = partial ? eb + d - steps : eb;
        if (ieee && !partial) {
            int c = r < 0 ? 1 : Long.compareUnsigned(r << 1, sb);
            if (c > 0 || (c == 0 && (q & 1) != 0)) {
                r = sb - r;
                q++;
                neg = !neg;
            }
        }
        conditionCodes = partial ? X87.C2
                : ((q & 4) != 0 ? X87.C0 : 0) | ((q & 2) != 0 ? X87.C3 : 0) | ((q & 1) != 0 ? X87.C1 : 0);
        if (r == 0) {
            sf.zero(Ext80.sign(ase));
            return;
        }
        pack(neg, er, r);
    }

    private void pack(boolean neg, int e, long r) {
        int n = Long.numberOfLeadingZeros(r);
        sf.roundPack(neg, e - n, r << n, 0, 64);
    }
}
