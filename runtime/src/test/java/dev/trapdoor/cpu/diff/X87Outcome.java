package dev.trapdoor.cpu.diff;

import java.math.BigInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compares two FNSAVE images (32-bit protected-mode layout, SDM Vol. 1, Figure 8-9): the control
 * word's masks, precision and rounding fields, the status word but for the bits the SDM leaves
 * undefined for the case's instruction, the full tag word, and each non-empty register. The
 * instruction and operand pointers are not compared: which of them a CPU updates, and whether it
 * stores FCS/FDS at all, varies by model (CPUID.07H:EBX bits 6 and 13).
 */
final class X87Outcome {
    /**
     * How far a transcendental result may be from the host's, in units in the last place of the
     * 64-bit significand: the interpreter rounds a 256-bit fixed-point value once (exact reduction
     * by the x87's 66-bit pi/2), the host's microcode is within about 1 ulp of its own exact value;
     * 100,000 cases showed at most 3 ulps apart.
     */
    static final long TRANSCENDENTAL_ULPS = Long.getLong("diff.ulps", 4);
    /** The largest transcendental distance seen, for the report. */
    static final AtomicLong maxUlps = new AtomicLong();

    private static final int FCW = 0, FSW = 4, FTW = 8, ST0 = 28;
    private static final int FCW_COMPARED = 0x0f3f;

    private X87Outcome() {}

    static String compare(TestCase t, byte[] host, byte[] emu, boolean strict) {
        StringBuilder sb = new StringBuilder();
        int fcwMask = strict ? 0xffff : FCW_COMPARED;
        int hostCw = u16(host, FCW), emuCw = u16(emu, FCW);
        if (((hostCw ^ emuCw) & fcwMask) != 0) sb.append(String.format("fcw host %04x interp %04x; ", hostCw, emuCw));
        int fswMask = strict ? 0xffff : 0xffff & ~t.fswUndefined;
        int hostSw = u16(host, FSW), emuSw = u16(emu, FSW);
        if (((hostSw ^ emuSw) & fswMask) != 0)
            sb.append(String.format("fsw host %04x interp %04x (compared %04x); ", hostSw, emuSw, fswMask));
        int hostTw = u16(host, FTW), emuTw = u16(emu, FTW);
        if (hostTw != emuTw) sb.append(String.format("ftw host %04x interp %04x; ", hostTw, emuTw));
        int top = (hostSw >>> 11) & 7;
        for (int i = 0; i < 8; i++) {
            int physical = (top + i) & 7;
            if (((hostTw >>> (2 * physical)) & 3) == 3) continue; // empty: its contents are not architectural
            long hs = u64(host, ST0 + 10 * i), es = u64(emu, ST0 + 10 * i);
            int he = u16(host, ST0 + 10 * i + 8), ee = u16(emu, ST0 + 10 * i + 8);
            if (hs == es && he == ee) continue;
            if (t.x87Tolerance && withinTolerance(he, hs, ee, es)) continue;
            sb.append(String.format("st(%d) host %04x:%016x interp %04x:%016x; ", i, he, hs, ee, es));
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    /** Same sign, both finite nonzero, and |host - interp| within TRANSCENDENTAL_ULPS of the host's ulp. */
    private static boolean withinTolerance(int hostSe, long hostSig, int emuSe, long emuSig) {
        if ((hostSe ^ emuSe) >>> 15 != 0) return false;
        int he = hostSe & 0x7fff, ee = emuSe & 0x7fff;
        if (he == 0x7fff || ee == 0x7fff || hostSig == 0 || emuSig == 0) return false;
        if (Math.abs(he - ee) > 2) return false;
        int low = Math.min(he, ee);
        BigInteger h = unsigned(hostSig).shiftLeft(he - low), e = unsigned(emuSig).shiftLeft(ee - low);
        BigInteger ulps = h.subtract(e).abs().shiftRight(he - low); // in units of the host's last place
        long d = ulps.bitLength() > 62 ? Long.MAX_VALUE : ulps.longValue();
        maxUlps.accumulateAndGet(d, Math::max);
        return d <= TRANSCENDENTAL_ULPS;
    }

    /** The case's x87 inputs: the loaded values (first pushed first), the memory operand and the control word. */
    static String describeInputs(TestCase t) {
        StringBuilder sb = new StringBuilder("\n      x87 in: loaded");
        byte[] s = t.scratch;
        int loads = 0;
        for (int k = 0; k + 5 < t.code.length; k++)
            if ((t.code[k] & 0xff) == 0xdb && (t.code[k + 1] & 0xff) == 0x2d) loads++;
        for (int k = 0; k < loads; k++) sb.append(String.format(" %04x:%016x", u16(s, 10 * k + 8), u64(s, 10 * k)));
        sb.append(String.format("; operand %04x:%016x; cw %04x", u16(s, 0x58), u64(s, 0x50), u16(s, 0x62)));
        return sb.toString();
    }

    private static BigInteger unsigned(long v) {
        return new BigInteger(Long.toUnsignedString(v));
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    private static long u64(byte[] b, int o) {
        long v = 0;
        for (int k = 7; k >= 0; k--) v = v << 8 | (b[o + k] & 0xff);
        return v;
    }
}
