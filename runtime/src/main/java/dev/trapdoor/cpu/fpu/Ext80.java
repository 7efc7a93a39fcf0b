package dev.trapdoor.cpu.fpu;

/**
 * An 80-bit double extended-precision value (SDM Vol. 1 §4.2.2): a 16-bit word with the sign
 * (bit 15) and the biased exponent (bits 14:0), and a 64-bit significand whose bit 63 is the
 * explicit integer bit J. Mutable so that registers and results can be reused without
 * allocation; the static helpers classify raw (se, sig) pairs.
 */
public final class Ext80 {
    public static final int BIAS = 16383;
    public static final int EXP_MAX = 0x7FFF;
    public static final long J = 0x8000_0000_0000_0000L;
    public static final long QUIET = 0x4000_0000_0000_0000L;

    /** The x87 default QNaN, "real indefinite" (SDM Vol. 1 Table 4-3). */
    public static final int INDEFINITE_SE = 0xFFFF;
    public static final long INDEFINITE_SIG = 0xC000_0000_0000_0000L;

    /** Classes returned by {@link #classify}. */
    public static final int ZERO = 0, NORMAL = 1, DENORMAL = 2, PSEUDO_DENORMAL = 3,
            INFINITY = 4, QNAN = 5, SNAN = 6, UNSUPPORTED = 7;

    public int se;
    public long sig;

    public Ext80() {}

    public Ext80(int se, long sig) {
        set(se, sig);
    }

    public Ext80 set(int se, long sig) {
        this.se = se & 0xFFFF;
        this.sig = sig;
        return this;
    }

    public static int exp(int se) {
        return se & 0x7FFF;
    }

    public static boolean sign(int se) {
        return (se & 0x8000) != 0;
    }

    public static int classify(int se, long sig) {
        int e = se & 0x7FFF;
        if (e == 0) {
            if (sig == 0) return ZERO;
            return sig < 0 ? PSEUDO_DENORMAL : DENORMAL;
        }
        if (sig >= 0) return UNSUPPORTED;            // unnormal, pseudo-infinity, pseudo-NaN: invalid on 387+
        if (e == EXP_MAX) {
            if ((sig << 1) == 0) return INFINITY;
            return (sig & QUIET) != 0 ? QNAN : SNAN;
        }
        return NORMAL;
    }

    public static boolean isNaN(int se, long sig) {
        return (se & 0x7FFF) == EXP_MAX && sig < 0 && (sig << 1) != 0;
    }

    public static boolean isSignalingNaN(int se, long sig) {
        return isNaN(se, sig) && (sig & QUIET) == 0;
    }

    public static boolean isUnsupported(int se, long sig) {
        return (se & 0x7FFF) != 0 && sig >= 0;
    }

    public static boolean isDenormal(int se, long sig) {
        return (se & 0x7FFF) == 0 && sig != 0;
    }

    public static boolean isZero(int se, long sig) {
        return (se & 0x7FFF) == 0 && sig == 0;
    }

    public static boolean isInfinity(int se, long sig) {
        return (se & 0x7FFF) == EXP_MAX && sig == J;
    }

    @Override
    public String toString() {
        return String.format("%04x:%016x", se, sig);
    }
}
