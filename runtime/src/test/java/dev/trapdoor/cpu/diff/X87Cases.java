package dev.trapdoor.cpu.diff;

import java.util.Random;

/**
 * Random x87 cases: a register stack of 0-8 edge-biased 80-bit values loaded with FLD m80 under a
 * masked control word, then FNCLEX and a control word of random rounding, precision and exception
 * masks, then one x87 instruction. The harness's FNSAVE records the result; {@link X87Outcome}
 * compares control, status and tag words and every non-empty register.
 *
 * <p>Scratch layout: 0x00-0x4f the eight 80-bit stack values, 0x50-0x5f the instruction's memory
 * operand, 0x60 the set-up control word, 0x62 the instruction's control word.
 *
 * <p>Group "x87" holds the arithmetic, loads, stores, compares and stack operations, checked bit
 * for bit; group "x87tr" the transcendental instructions, whose results are compared within a
 * tolerance in units in the last place ({@link X87Outcome#TRANSCENDENTAL_ULPS}).
 */
final class X87Cases {
    static final int C0 = 1 << 8, C1 = 1 << 9, C2 = 1 << 10, C3 = 1 << 14;
    /** The SDM's "C0, C2, C3 undefined" for arithmetic, loads and stores. */
    static final int ARITH_UNDEFINED = C0 | C2 | C3;

    private static final int VALUES = Harness.SCRATCH, OPERAND = Harness.SCRATCH + 0x50;
    private static final int SETUP_CW = Harness.SCRATCH + 0x60, OP_CW = Harness.SCRATCH + 0x62;

    private final Random rnd;

    X87Cases(Random rnd) {
        this.rnd = rnd;
    }

    void arithmetic(Code c, TestCase t) {
        prologue(c, t);
        int i = rnd.nextInt(8);
        int undefined = ARITH_UNDEFINED;
        switch (rnd.nextInt(24)) {
            case 0 -> { int d = rnd.nextInt(8); c.b(0xd8, mem(d)).d(OPERAND); operandFloat(t, 4); undefined = compareUndefined(d); }
            case 1 -> { int d = rnd.nextInt(8); c.b(0xdc, mem(d)).d(OPERAND); operandFloat(t, 8); undefined = compareUndefined(d); }
            case 2 -> { int d = rnd.nextInt(8); c.b(0xda, mem(d)).d(OPERAND); operandInt(t, 4); undefined = compareUndefined(d); }
            case 3 -> { int d = rnd.nextInt(8); c.b(0xde, mem(d)).d(OPERAND); operandInt(t, 2); undefined = compareUndefined(d); }
            case 4 -> { int d = rnd.nextInt(8); c.b(0xd8, 0xc0 | d << 3 | i); undefined = compareUndefined(d); }
            case 5 -> { int d = new int[]{0, 1, 4, 5, 6, 7}[rnd.nextInt(6)]; c.b(0xdc, 0xc0 | d << 3 | i); }
            case 6 -> { int d = new int[]{0, 1, 4, 5, 6, 7}[rnd.nextInt(6)]; c.b(0xde, 0xc0 | d << 3 | i); }
            case 7 -> { c.b(0xde, 0xd9); undefined = 0; }                                     // fcompp
            case 8 -> { c.b(0xdd, (rnd.nextBoolean() ? 0xe0 : 0xe8) | i); undefined = 0; }   // fucom(p) st(i)
            case 9 -> { c.b(0xda, 0xe9); undefined = 0; }                                     // fucompp
            case 10 -> { c.b(new int[]{0xdb, 0xdf}[rnd.nextInt(2)], (rnd.nextBoolean() ? 0xe8 : 0xf0) | i); undefined = C0 | C2 | C3; } // f(u)comi(p)
            case 11 -> { c.b(rnd.nextBoolean() ? 0xda : 0xdb, 0xc0 | rnd.nextInt(4) << 3 | i); } // fcmovcc
            case 12 -> loadStore(c, t);
            case 13 -> integerLoadStore(c, t);
            case 14 -> { c.b(0xdf, rnd.nextBoolean() ? 0x20 | 5 : 0x30 | 5).d(OPERAND); operandBcd(t); }     // fbld / fbstp
            case 15 -> { // fchs, fabs (C0, C2, C3 undefined) or ftst, fxam (all defined)
                int op = new int[]{0xe0, 0xe1, 0xe4, 0xe5}[rnd.nextInt(4)];
                c.b(0xd9, op);
                undefined = op <= 0xe1 ? ARITH_UNDEFINED : 0;
            }
            case 16 -> c.b(0xd9, 0xe8 + rnd.nextInt(7));                                     // fld1 .. fldz
            case 17 -> { int op = new int[]{0xf8, 0xf5}[rnd.nextInt(2)]; c.b(0xd9, op); undefined = 0; } // fprem, fprem1
            case 18 -> c.b(0xd9, new int[]{0xfa, 0xfc, 0xfd, 0xf4}[rnd.nextInt(4)]);       // fsqrt frndint fscale fxtract
            case 19 -> c.b(0xd9, new int[]{0xf6, 0xf7}[rnd.nextInt(2)]);                   // fdecstp fincstp
            case 20 -> c.b(0xd9, 0xc8 | i);                                                 // fxch
            case 21 -> { c.b(0xdd, 0xc0 | i); undefined = C0 | C1 | C2 | C3; }             // ffree
            case 22 -> { c.b(0xdf, 0xe0); undefined = 0; }                                  // fnstsw ax
            default -> { c.b(0xd9, 0xc0 | i); }                                             // fld st(i)
        }
        t.fswUndefined = undefined;
    }

    void transcendental(Code c, TestCase t) {
        prologue(c, t);
        int op = new int[]{0xf0, 0xf1, 0xf2, 0xf3, 0xf9, 0xfb, 0xfe, 0xff}[rnd.nextInt(8)];
        c.b(0xd9, op);
        // C1 says whether the result was rounded up: it follows the last bit, which the tolerance admits differs.
        boolean trig = op == 0xf2 || op == 0xfb || op == 0xfe || op == 0xff;
        t.fswUndefined = C1 | C0 | C3 | (trig ? 0 : C2);
        t.x87Tolerance = true;
    }

    /** FLDCW (masked), the stack values, FNCLEX, FLDCW (the case's): the state the instruction starts from. */
    private void prologue(Code c, TestCase t) {
        t.x87 = true;
        int rc = rnd.nextInt(4) << 10, pc = new int[]{0, 2, 3, 3, 3}[rnd.nextInt(5)] << 8;
        int masks = rnd.nextInt(4) == 0 ? rnd.nextInt(0x40) : 0x3f;
        poke16(t, SETUP_CW, 0x037f);
        poke16(t, OP_CW, 0x0040 | rc | pc | masks);
        c.b(0xd9, 0x2d).d(SETUP_CW);
        int depth = rnd.nextInt(10) == 0 ? 8 : rnd.nextInt(5);
        for (int k = 0; k < depth; k++) {
            putExtended(t, VALUES + 10 * k);
            c.b(0xdb, 0x2d).d(VALUES + 10 * k);
        }
        c.b(0xdb, 0xe2);                 // fnclex
        c.b(0xd9, 0x2d).d(OP_CW);
    }

    private static int compareUndefined(int digit) {
        return digit == 2 || digit == 3 ? 0 : ARITH_UNDEFINED; // FCOM/FCOMP define C0-C3 (C1 = 0)
    }

    private static int mem(int digit) {
        return digit << 3 | 5; // mod 00, rm 101: disp32 follows
    }

    private void loadStore(Code c, TestCase t) {
        switch (rnd.nextInt(9)) {
            case 0 -> { c.b(0xd9, mem(0)).d(OPERAND); operandFloat(t, 4); }
            case 1 -> { c.b(0xdd, mem(0)).d(OPERAND); operandFloat(t, 8); }
            case 2 -> { c.b(0xdb, mem(5)).d(OPERAND); putExtended(t, OPERAND); }
            case 3 -> c.b(0xd9, mem(2 + rnd.nextInt(2))).d(OPERAND);   // fst(p) m32
            case 4 -> c.b(0xdd, mem(2 + rnd.nextInt(2))).d(OPERAND);   // fst(p) m64
            case 5 -> c.b(0xdb, mem(7)).d(OPERAND);                    // fstp m80
            case 6 -> c.b(0xdd, (rnd.nextBoolean() ? 0xd0 : 0xd8) | rnd.nextInt(8)); // fst(p) st(i)
            case 7 -> c.b(0xd9, mem(7)).d(OPERAND);                    // fnstcw
            default -> c.b(0xd9, mem(0)).d(OPERAND);
        }
    }

    private void integerLoadStore(Code c, TestCase t) {
        switch (rnd.nextInt(8)) {
            case 0 -> { c.b(0xdf, mem(0)).d(OPERAND); operandInt(t, 2); }
            case 1 -> { c.b(0xdb, mem(0)).d(OPERAND); operandInt(t, 4); }
            case 2 -> { c.b(0xdf, mem(5)).d(OPERAND); operandInt(t, 8); }
            case 3 -> c.b(0xdf, mem(2 + rnd.nextInt(2))).d(OPERAND);   // fist(p) m16
            case 4 -> c.b(0xdb, mem(2 + rnd.nextInt(2))).d(OPERAND);   // fist(p) m32
            default -> c.b(0xdf, mem(7)).d(OPERAND);                   // fistp m64
        }
    }

    // ---- operands

    private static void poke16(TestCase t, int addr, int v) {
        t.scratch[addr - Harness.SCRATCH] = (byte) v;
        t.scratch[addr - Harness.SCRATCH + 1] = (byte) (v >>> 8);
    }

    private static void pokeLong(TestCase t, int addr, long v, int bytes) {
        for (int k = 0; k < bytes; k++) t.scratch[addr - Harness.SCRATCH + k] = (byte) (v >>> (8 * k));
    }

    /** An 80-bit value biased to the classes where x87 arithmetic has its corner cases. */
    private void putExtended(TestCase t, int addr) {
        boolean negative = rnd.nextInt(3) == 0;
        int exp;
        long sig;
        switch (rnd.nextInt(16)) {
            case 0 -> { exp = 0; sig = 0; }
            case 1 -> { exp = 0; sig = rnd.nextLong() >>> 1 | 1; }                          // denormal
            case 2 -> { exp = 0; sig = rnd.nextLong() | Long.MIN_VALUE; }                   // pseudo-denormal
            case 3 -> { exp = 0x7fff; sig = Long.MIN_VALUE; }                               // infinity
            case 4 -> { exp = 0x7fff; sig = rnd.nextLong() | 0xc000000000000000L; }         // QNaN
            case 5 -> { exp = 0x7fff; sig = (rnd.nextLong() & 0x3fffffffffffffffL | 1) | Long.MIN_VALUE; } // SNaN
            case 6 -> { exp = 1 + rnd.nextInt(0x7ffe); sig = rnd.nextLong() >>> 1; }       // unnormal
            case 7 -> { exp = 0x7fff; sig = rnd.nextLong() >>> 1; }                         // pseudo-infinity / pseudo-NaN
            case 8 -> { long v = rnd.nextInt(1 << 20) - (1 << 19); exp = v == 0 ? 0 : 0x3fff + 63 - Long.numberOfLeadingZeros(Math.abs(v));
                        sig = v == 0 ? 0 : Math.abs(v) << Long.numberOfLeadingZeros(Math.abs(v)); negative = v < 0; } // small integer
            case 9 -> { exp = 0x3fff + 14 + rnd.nextInt(52); sig = rnd.nextLong() | Long.MIN_VALUE; } // near int16/32/64 limits
            case 10 -> { exp = 0x3fff + rnd.nextInt(8); sig = Long.MIN_VALUE | (long) rnd.nextInt(256) << 55; } // halves and quarters
            case 11 -> { exp = rnd.nextBoolean() ? 1 + rnd.nextInt(70) : 0x7ffe - rnd.nextInt(70); sig = rnd.nextLong() | Long.MIN_VALUE; } // near overflow/underflow
            case 12 -> { exp = 0x3ff0 + rnd.nextInt(32); sig = Long.MIN_VALUE | (rnd.nextLong() & 0xfffff800L); } // few bits
            case 13 -> { exp = 0x3fff - 1022 - rnd.nextInt(70); sig = rnd.nextLong() | Long.MIN_VALUE; } // double/float denormal range
            default -> { exp = 0x3fff - 40 + rnd.nextInt(80); sig = rnd.nextLong() | Long.MIN_VALUE; }
        }
        pokeLong(t, addr, sig, 8);
        poke16(t, addr + 8, exp | (negative ? 0x8000 : 0));
    }

    private void operandFloat(TestCase t, int bytes) {
        long v;
        int cls = rnd.nextInt(8);
        if (bytes == 4) {
            int sign = rnd.nextInt(3) == 0 ? 0x80000000 : 0;
            v = sign | switch (cls) {
                case 0 -> 0;
                case 1 -> rnd.nextInt(0x7fffff) + 1;                       // denormal
                case 2 -> 0x7f800000;                                      // infinity
                case 3 -> 0x7fc00000 | rnd.nextInt(0x400000);              // QNaN
                case 4 -> 0x7f800000 | (rnd.nextInt(0x3fffff) + 1);        // SNaN
                case 5 -> (0x7f - 20 + rnd.nextInt(40)) << 23 | rnd.nextInt(0x800000);
                default -> rnd.nextInt() & 0x7fffffff;
            };
            v &= 0xffffffffL;
        } else {
            long sign = rnd.nextInt(3) == 0 ? Long.MIN_VALUE : 0;
            v = sign | switch (cls) {
                case 0 -> 0L;
                case 1 -> (rnd.nextLong() & 0xfffffffffffffL) | 1;
                case 2 -> 0x7ff0000000000000L;
                case 3 -> 0x7ff8000000000000L | (rnd.nextLong() & 0x7ffffffffffffL);
                case 4 -> 0x7ff0000000000000L | (rnd.nextLong() & 0x7ffffffffffffL) | 1;
                case 5 -> (long) (0x3ff - 40 + rnd.nextInt(80)) << 52 | (rnd.nextLong() & 0xfffffffffffffL);
                default -> rnd.nextLong() & Long.MAX_VALUE;
            };
        }
        pokeLong(t, OPERAND, v, bytes);
    }

    private void operandInt(TestCase t, int bytes) {
        long[] edges = {0, 1, -1, 0x7fff, -0x8000, 0x7fffffffL, -0x80000000L, Long.MAX_VALUE, Long.MIN_VALUE, 3, -3, 1000000007};
        long v = rnd.nextBoolean() ? edges[rnd.nextInt(edges.length)] : rnd.nextLong();
        pokeLong(t, OPERAND, v, bytes);
    }

    /** 18 packed BCD digits and a sign byte; sometimes an invalid digit (FBLD's result is then undefined: avoided). */
    private void operandBcd(TestCase t) {
        for (int k = 0; k < 9; k++) t.scratch[OPERAND - Harness.SCRATCH + k] = (byte) (rnd.nextInt(10) | rnd.nextInt(10) << 4);
        t.scratch[OPERAND - Harness.SCRATCH + 9] = (byte) (rnd.nextBoolean() ? 0x80 : 0);
    }
}
