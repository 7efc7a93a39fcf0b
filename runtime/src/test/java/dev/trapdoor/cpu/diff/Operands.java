package dev.trapdoor.cpu.diff;

import java.util.Random;

/**
 * Random operands for generated cases: edge-biased values, register choices that keep ESP
 * intact, and ModRM/SIB encodings (SDM Vol. 2, 2.1.5, Tables 2-1 to 2-3) whose effective address
 * lands inside the scratch area, solved by choosing the base/index register values.
 */
final class Operands {
    private static final int ESP = 4, EBP = 5;
    private static final int[] EDGES = {0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe};

    final Random rnd;

    Operands(Random rnd) {
        this.rnd = rnd;
    }

    /** A register value: random, or an edge value of one of the operand widths in the low bits. */
    int value() {
        int high = rnd.nextInt();
        return switch (rnd.nextInt(4)) {
            case 0 -> EDGES[rnd.nextInt(EDGES.length)];
            case 1 -> {
                int e = EDGES[rnd.nextInt(EDGES.length)];
                int width = new int[] {8, 16, 32}[rnd.nextInt(3)];
                yield width == 32 ? e : (high & (-1 << width)) | (e & ((1 << width) - 1));
            }
            case 2 -> rnd.nextInt(0x200) - 0x100;
            default -> high;
        };
    }

    /** Random initial registers (ESP = the harness stack) and arithmetic flags. */
    void fill(TestCase t) {
        for (int r = 0; r < 8; r++) if (!t.isLocked(r)) t.regs[r] = value();
        t.set(ESP, Harness.STACK_TOP);
        t.eflags = 0x202 | (rnd.nextInt() & Flags.ARITH);
        rnd.nextBytes(t.scratch);
    }

    /** A destination register for a word/dword operand: anything but ESP. */
    int destReg() {
        int r = rnd.nextInt(7);
        return r >= ESP ? r + 1 : r;
    }

    /** A register that the generator may fix a value in: not ESP and not already fixed. */
    int freeReg(TestCase t) {
        for (int tries = 0; tries < 100; tries++) {
            int r = rnd.nextInt(8);
            if (r != ESP && !t.isLocked(r)) return r;
        }
        throw new IllegalStateException("no free register");
    }

    /** Register-direct ModRM (mod = 11b). */
    static int modrmReg(int reg, int rm) {
        return 0xc0 | (reg << 3) | rm;
    }

    /**
     * Emits a 32-bit-address memory ModRM (plus SIB and displacement) for an access of size bytes,
     * fixing the values of the registers it uses so that the whole access is in the scratch area;
     * returns the address.
     */
    int memory(Code c, TestCase t, int reg, int size) {
        int target = target(size);
        memoryAt(c, t, reg, target);
        return target;
    }

    /** A random address in the scratch area with room for size bytes, aligned half of the time. */
    int target(int size) {
        int off = rnd.nextInt(Harness.SCRATCH_SIZE - size + 1);
        if (rnd.nextBoolean()) off &= -size;
        return Harness.SCRATCH + off;
    }

    /** As {@link #memory}, addressing exactly target. */
    void memoryAt(Code c, TestCase t, int reg, int target) {
        for (int tries = 0; tries < 64; tries++) {
            if (tryForm(c, t, reg, target)) return;
        }
        c.b((reg << 3) | 5).d(target); // disp32 alone always works
    }

    private boolean tryForm(Code c, TestCase t, int reg, int target) {
        int mod = rnd.nextInt(3), rm = rnd.nextInt(8);
        if (rm == 5 && mod == 0) {
            c.b((reg << 3) | 5).d(target);
            return true;
        }
        int base = rm, index = -1, scale = 0;
        boolean sib = rm == ESP;
        if (sib) {
            scale = rnd.nextInt(4);
            int i = rnd.nextInt(8);
            index = i == ESP ? -1 : i;
            base = rnd.nextInt(8);
            if (base == EBP && mod == 0) base = -1;
        }
        if (base >= 0 && base != ESP && t.isLocked(base)) return false;
        if (base == ESP && !t.espBase) return false;
        if (index >= 0 && t.isLocked(index)) return false;
        int lo = mod == 0 ? 0 : mod == 1 ? -128 : Integer.MIN_VALUE;
        int hi = mod == 0 ? 0 : mod == 1 ? 127 : Integer.MAX_VALUE;
        boolean disp32 = mod == 2 || (base < 0 && sib);
        if (disp32) {
            lo = Integer.MIN_VALUE;
            hi = Integer.MAX_VALUE;
        }
        int mul = 1 << scale;
        int vi = rnd.nextInt(33) - 16, vb, disp;
        if (base == ESP || base < 0) {
            long fixed = base == ESP ? t.regs[ESP] : 0;
            if (index < 0) vi = 0;
            long d = target - fixed - (long) vi * mul;
            if (d < lo || d > hi) return false;
            disp = (int) d;
            vb = (int) fixed;
        } else if (index == base) {
            int k = 1 + mul;
            int d0 = lo == hi ? 0 : (int) Math.max(lo + 16, Math.min(hi - 16, rnd.nextInt(256) - 128));
            vi = Math.floorDiv(target - d0, k);
            long d = target - (long) vi * k;
            if (d < lo || d > hi) return false;
            disp = (int) d;
            vb = vi;
        } else {
            if (index < 0) vi = 0;
            disp = lo == hi ? 0 : disp32 ? rnd.nextInt() : rnd.nextInt(256) - 128;
            vb = target - vi * mul - disp;
        }
        c.b((mod << 6) | (reg << 3) | rm);
        if (sib) c.b((scale << 6) | ((index < 0 ? ESP : index) << 3) | (base < 0 ? EBP : base));
        if (disp32) c.d(disp);
        else if (mod == 1) c.b(disp);
        if (base >= 0 && base != ESP) t.set(base, vb);
        if (index >= 0) t.set(index, vi);
        return true;
    }

    /** Any ModRM memory form with random registers, for LEA (nothing is accessed). */
    void anyAddress(Code c, int reg, boolean addr16) {
        int mod = rnd.nextInt(3), rm = rnd.nextInt(8);
        c.b((mod << 6) | (reg << 3) | rm);
        if (addr16) {
            if (mod == 1) c.b(rnd.nextInt());
            else if (mod == 2 || rm == 6 && mod == 0) c.w(rnd.nextInt());
            return;
        }
        int base = rm;
        if (rm == ESP) {
            int sib = rnd.nextInt(256);
            c.b(sib);
            base = sib & 7;
        }
        if (mod == 1) c.b(rnd.nextInt());
        else if (mod == 2 || base == EBP && mod == 0) c.d(rnd.nextInt());
    }
}
