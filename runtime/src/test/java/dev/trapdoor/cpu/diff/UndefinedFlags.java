package dev.trapdoor.cpu.diff;

import static dev.trapdoor.cpu.diff.Flags.*;

/**
 * The EFLAGS bits the SDM (Vol. 2, each instruction's "Flags Affected"; Vol. 1 Appendix A)
 * leaves undefined, which the differential test does not compare. Processors differ there
 * (the host here may be AMD or Intel), so only the defined bits can be held against the host.
 *
 * <pre>
 *   AND OR XOR TEST                      AF
 *   MUL IMUL (all forms)                 SF ZF AF PF
 *   DIV IDIV                             CF OF SF ZF AF PF
 *   DAA DAS                              OF
 *   AAA AAS                              OF SF ZF PF
 *   AAM AAD                              OF AF CF
 *   BT BTS BTR BTC                       OF SF AF PF
 *   BSF BSR                              CF OF SF AF PF  (and the destination if the source is 0)
 *   ROL ROR RCL RCR, masked count != 1   OF             (masked count 0: nothing changes)
 *   SHL SHR SAL SAR, masked count != 0   AF; OF unless the masked count is 1;
 *                                        CF for SHL/SHR when the count >= the operand width
 *   SHLD SHRD, masked count != 0         AF; OF unless the count is 1;
 *                                        count > operand width: all six and the result
 * </pre>
 */
final class UndefinedFlags {
    static final int LOGIC = AF;
    static final int MUL = SF | ZF | AF | PF;
    static final int DIV = ARITH;
    static final int BT = OF | SF | AF | PF;
    static final int BITSCAN = CF | OF | SF | AF | PF;

    private UndefinedFlags() {}

    /** Group 2 (op = ModRM.reg) by count on an operand of size bytes. */
    static int shift(int op, int count, int size) {
        int masked = count & 31;
        if (masked == 0) return 0;
        int u = masked == 1 ? 0 : OF;
        if (op >= 4) {
            u |= AF;
            if (op != 7 && masked >= size * 8) u |= CF;
        }
        return u;
    }

    static int shiftDouble(int masked, int size) {
        if (masked == 0) return 0;
        if (masked > size * 8) return ARITH;
        return AF | (masked == 1 ? 0 : OF);
    }

    /** k: 0 DAA 1 DAS 2 AAA 3 AAS 4 AAM 5 AAD. */
    static int bcd(int k) {
        return switch (k) {
            case 0, 1 -> OF;
            case 2, 3 -> OF | SF | ZF | PF;
            default -> OF | AF | CF;
        };
    }
}
