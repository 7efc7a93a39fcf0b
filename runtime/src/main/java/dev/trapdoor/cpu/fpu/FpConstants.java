package dev.trapdoor.cpu.fpu;

/**
 * The constants of FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2 and FLDZ (D9 E8-EE). The 387+
 * hold them with more than 64 bits and round them by RC (SDM Vol. 1 §8.3.8): the table keeps
 * the round-to-nearest significand and on which side of it the exact value lies.
 */
final class FpConstants {
    private static final int[] SE = {0x3FFF, 0x4000, 0x3FFF, 0x4000, 0x3FFD, 0x3FFE, 0};
    private static final long[] SIG = {
        0x8000_0000_0000_0000L, 0xD49A_784B_CD1B_8AFEL, 0xB8AA_3B29_5C17_F0BCL,
        0xC90F_DAA2_2168_C235L, 0x9A20_9A84_FBCF_F799L, 0xB172_17F7_D1CF_79ACL, 0};
    /** +1: the exact value is above the nearest significand, -1: below, 0: exact. */
    private static final int[] SIDE = {0, 1, -1, -1, -1, -1, 0};

    private FpConstants() {}

    /** Leaves constant n (0-6) rounded by rc in sf's result. */
    static void load(int n, int rc, SoftFloat80 sf) {
        long sig = SIG[n];
        int side = SIDE[n];
        if (side > 0 && rc == SoftFloat80.RC_UP) sig++;
        if (side < 0 && (rc == SoftFloat80.RC_DOWN || rc == SoftFloat80.RC_ZERO)) sig--;
        sf.result(SE[n], sig);
    }
}
