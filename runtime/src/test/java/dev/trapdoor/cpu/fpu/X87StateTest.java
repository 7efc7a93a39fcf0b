package dev.trapdoor.cpu.fpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Stack, tag, control/status word and image behaviour. Expected values marked "host" were read
 * from the host's x87 (FNSTSW/FNSTCW/FNSTENV/FXSAVE after the same sequence).
 */
class X87StateTest {
    private static final int ONE_SE = 0x3FFF;
    private static final long ONE_SIG = 0x8000_0000_0000_0000L;

    @Test
    void fninitDefaults() {
        X87 f = new X87();
        f.fld1();
        f.fninit();
        assertEquals(0x037F, f.controlWord());
        assertEquals(0, f.statusWord());
        assertEquals(0xFFFF, f.tagWord());
        assertFalse(f.pendingException());
    }

    @Test
    void controlWordReservedBits() {
        X87 f = new X87();
        f.fldcw(0);
        assertEquals(0x0040, f.fnstcw());                 // host
        f.fldcw(0xFFFF);
        assertEquals(0x1F7F, f.fnstcw());                 // host
    }

    @Test
    void stackOverflowPushesIndefinite() {
        X87 f = new X87();
        for (int i = 0; i < 9; i++) f.fld1();
        assertEquals(0x3A41, f.statusWord());             // host: TOP=7, C1, SF, IE
        assertEquals(Ext80.INDEFINITE_SE, f.stSe(0));
        assertEquals(Ext80.INDEFINITE_SIG, f.stSig(0));
    }

    @Test
    void stackUnderflowWritesIndefinite() {
        X87 f = new X87();
        f.arith(X87.ADD, 0, 1, false);
        assertEquals(0x0041, f.statusWord());             // host
        assertEquals(Ext80.INDEFINITE_SIG, f.stSig(0));
    }

    @Test
    void unmaskedUnderflowLeavesStackAndSetsPending() {
        X87 f = new X87();
        f.fldcw(0x037E);                                   // IE unmasked
        f.arith(X87.ADD, 0, 1, false);
        assertTrue(f.pendingException());
        assertEquals(X87.B | X87.ES | X87.SF | SoftFloat80.IE, f.statusWord());
        assertEquals(0xFFFF, f.tagWord());
        f.fnclex();
        assertFalse(f.pendingException());
    }

    @Test
    void fldcwUnmaskingAPendingFlagSetsEs() {
        X87 f = new X87();
        f.fldM80(0, 1);                                    // denormal
        f.fld1();
        f.arith(X87.MUL, 0, 1, false);                     // masked DE
        assertFalse(f.pendingException());
        f.fldcw(0x037D);
        assertTrue(f.pendingException());
    }

    @Test
    void fxamOnEmptyAndFreedRegisters() {
        X87 f = new X87();
        f.fxam();
        assertEquals(0x4100, f.statusWord());             // host
        f.fld1();
        f.fchs();
        f.ffree(0);
        f.fxam();
        assertEquals(0x7B00, f.statusWord());             // host: empty, C1 = sign of the stale value
    }

    @Test
    void fincstpFdecstpKeepTags() {
        X87 f = new X87();
        f.fld1();
        f.fchs();
        f.fincstp();
        f.fdecstp();
        f.fxam();
        assertEquals(0x3E00, f.statusWord());             // host: negative normal
    }

    @Test
    void constantsRoundByRc() {
        X87 f = new X87();
        f.fldcw(0x037F | SoftFloat80.RC_DOWN << 10);
        f.fldConstant(3);
        assertEquals(0xC90F_DAA2_2168_C234L, f.stSig(0)); // host
        f.fldcw(0x037F | SoftFloat80.RC_UP << 10);
        f.fldConstant(1);
        assertEquals(0xD49A_784B_CD1B_8AFFL, f.stSig(0)); // host
    }

    @Test
    void fcomiReturnsEflags() {
        X87 f = new X87();
        f.fld1();
        f.fldConstant(6);                                  // 0.0 in ST0, 1.0 in ST1
        assertEquals(X87.EFLAGS_CF, f.fcomi(1, false, false));
        f.fxch(1);
        assertEquals(0, f.fcomi(1, false, false));
        f.fldSt(0);
        assertEquals(X87.EFLAGS_ZF, f.fcomi(1, false, true));
        f.fldM80(0x7FFF, 0xC000_0000_0000_0000L);
        assertEquals(X87.EFLAGS_ZF | X87.EFLAGS_PF | X87.EFLAGS_CF, f.fcomi(1, true, false));
        assertEquals(0, f.statusWord() & SoftFloat80.IE);  // FUCOMI: QNaN is quiet
        f.fcomi(1, false, false);
        assertEquals(SoftFloat80.IE, f.statusWord() & SoftFloat80.IE);
    }

    @Test
    void fcmovAndFxch() {
        X87 f = new X87();
        f.fld1();
        f.fldConstant(6);
        f.fcmov(1, false);
        assertEquals(0, f.stSig(0));
        f.fcmov(1, true);
        assertEquals(ONE_SIG, f.stSig(0));
        assertEquals(ONE_SE, f.stSe(0));
    }

    @Test
    void integerRoundTripAndIndefinite() {
        X87 f = new X87();
        f.fild(Long.MIN_VALUE);
        assertEquals(Long.MIN_VALUE, f.fist(64, false));
        assertTrue(f.memoryWrite);
        assertEquals(0x8000, f.fist(16, true));            // out of range: integer indefinite
        assertEquals(SoftFloat80.IE, f.statusWord() & 0x3F);
        f.fbld(0x0000_0000_0000_1234L, 0x8000);
        assertEquals(0x1234L, f.fbstp());
        assertEquals(0x8000, f.storeHigh);
    }

    @Test
    void fnstenvProtected32() {
        X87 f = new X87();
        f.fldConstant(6);
        f.fld1();
        f.recordInstruction(0x23, 0x1234_5678, 0x1E8, 0x2B, 0x0BAD_F00D);
        f.fldcw(0x0360);
        byte[] m = new byte[28];
        X87Image.fnstenv(f, m, 0, true, true);
        assertEquals(0x0360, u16(m, 0));
        assertEquals(0x3000, u16(m, 4));                  // host: TOP=6
        assertEquals(0x4FFF, u16(m, 8));                  // host: R7 zero, R6 valid, rest empty
        assertEquals(0x1234_5678, u32(m, 12));
        assertEquals(0x01E8_0023, u32(m, 16));
        assertEquals(0x0BAD_F00D, u32(m, 20));
        assertEquals(0x2B, u32(m, 24));
        assertEquals(0x3F, f.controlWord() & 0x3F);        // FNSTENV masks all exceptions
    }

    @Test
    void realMode16EnvironmentSplitsLinearAddresses() {
        X87 f = new X87();
        f.recordInstruction(0, 0xF_1234, 0x5D9, 0, 0xA_BCDE);
        byte[] m = new byte[14];
        X87Image.fnstenv(f, m, 0, false, false);
        assertEquals(0x1234, u16(m, 6));
        assertEquals(0xF000 | 0x5D9, u16(m, 8));
        assertEquals(0xBCDE, u16(m, 10));
        assertEquals(0xA000, u16(m, 12));
        X87 g = new X87();
        X87Image.fldenv(g, m, 0, false, false);
        assertEquals(0xF_1234, g.fip);
        assertEquals(0xA_BCDE, g.fdp);
        assertEquals(0x5D9, g.fop);
    }

    @Test
    void fnsaveFrstorRoundTrip() {
        for (boolean op32 : new boolean[] {false, true}) {
            X87 f = new X87();
            f.fld1();
            f.fldConstant(3);
            f.fldM80(0x7FFF, 0xA000_0000_0000_0001L);
            f.fldcw(0x0B7F);
            int sw = f.statusWord(), cw = f.controlWord(), tw = f.tagWord();
            byte[] m = new byte[op32 ? 108 : 94];
            X87Image.fnsave(f, m, 0, op32, true);
            assertEquals(0x037F, f.controlWord());
            assertEquals(0xFFFF, f.tagWord());
            X87Image.frstor(f, m, 0, op32, true);
            assertEquals(sw, f.statusWord());
            assertEquals(cw, f.controlWord());
            assertEquals(tw, f.tagWord());
            assertEquals(0xA000_0000_0000_0001L, f.stSig(0));
            assertEquals(ONE_SIG, f.stSig(2));
            byte[] again = new byte[m.length];
            X87Image.fnsave(f, again, 0, op32, true);
            assertArrayEquals(m, again);
        }
    }

    @Test
    void fxsaveLayout() {
        X87 f = new X87();
        f.fld1();
        f.fldConstant(6);
        byte[] m = new byte[512];
        X87Image.fxsave(f, m, 0);
        assertEquals(0x037F, u16(m, 0));                  // host
        assertEquals(0x3000, u16(m, 2));                  // host
        assertEquals(0xC0, m[4] & 0xFF);                  // host: abridged tag
        assertEquals(0, u32(m, 24));
        assertEquals(0, u32(m, 32));                      // ST0 = +0
        assertEquals(ONE_SE, u16(m, 48 + 8));             // ST1 = 1.0
        X87 g = new X87();
        X87Image.fxrstor(g, m, 0);
        assertEquals(f.tagWord(), g.tagWord());
        assertEquals(f.statusWord(), g.statusWord());
        assertEquals(ONE_SIG, g.stSig(1));
    }

    @Test
    void fsinOutOfRangeSetsC2() {
        X87 f = new X87();
        f.fldM80(0x3FFF + 63, 0x8000_0000_0000_0000L);     // 2^63
        f.fsin();
        assertEquals(X87.C2, f.statusWord() & X87.C2);
        assertEquals(0x3FFF + 63, f.stSe(0));
        f.fldM80(0x3FFF, 0x8000_0000_0000_0000L);
        f.fsin();
        assertEquals(0, f.statusWord() & X87.C2);
    }

    private static int u16(byte[] m, int o) {
        return (m[o] & 0xFF) | (m[o + 1] & 0xFF) << 8;
    }

    private static int u32(byte[] m, int o) {
        return u16(m, o) | u16(m, o + 2) << 16;
    }
}
