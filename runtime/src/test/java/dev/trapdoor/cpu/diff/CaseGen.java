package dev.trapdoor.cpu.diff;

import java.util.Random;

import static dev.trapdoor.cpu.diff.Flags.*;

/**
 * Random test cases per instruction group, each with the EFLAGS bits and registers the SDM
 * leaves undefined masked out ({@link UndefinedFlags} has the table). Every group mixes the
 * byte, word (66h prefix) and dword forms and, where the instruction has one, register and
 * memory operands; memory operands address the harness scratch area.
 */
final class CaseGen {
    static final String[] GROUPS = {"alu", "unary", "shift", "shxd", "muldiv", "bcd", "bit", "cond", "atomic",
            "bswap", "string", "lea", "movx", "conv", "mov", "stack", "x87", "x87tr"};
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, ESI = 6, EDI = 7;

    private final Random rnd;
    private final Operands ops;
    private final X87Cases x87;

    CaseGen(long seed) {
        rnd = new Random(seed);
        ops = new Operands(rnd);
        x87 = new X87Cases(rnd);
    }

    TestCase next(String group) {
        TestCase t = new TestCase(group);
        ops.fill(t);
        Code c = new Code();
        switch (group) {
            case "alu" -> alu(c, t);
            case "unary" -> unary(c, t);
            case "shift" -> shift(c, t);
            case "shxd" -> shiftDouble(c, t);
            case "muldiv" -> mulDiv(c, t);
            case "bcd" -> bcd(c, t);
            case "bit" -> bit(c, t);
            case "cond" -> cond(c, t);
            case "atomic" -> atomic(c, t);
            case "bswap" -> c.b(0x0f, 0xc8 + ops.destReg());
            case "string" -> string(c, t);
            case "lea" -> lea(c, t);
            case "movx" -> movx(c, t);
            case "conv" -> conv(c, t);
            case "mov" -> mov(c, t);
            case "stack" -> stack(c, t);
            case "x87" -> x87.arithmetic(c, t);
            case "x87tr" -> x87.transcendental(c, t);
            default -> throw new IllegalArgumentException(group);
        }
        t.code = c.toArray();
        return t;
    }

    // ---- helpers

    private int size() {
        return new int[] {1, 2, 4}[rnd.nextInt(3)];
    }

    private static void osize(Code c, int size) {
        if (size == 2) c.b(0x66);
    }

    /** The opcode for the byte form or, with +1, the word/dword form. */
    private static int w(int opcode, int size) {
        return size == 1 ? opcode : opcode + 1;
    }

    /** ModRM for an E operand, register or memory; dest keeps ESP out of word/dword destinations. Returns the address or 0. */
    private int e(Code c, TestCase t, int reg, int size, boolean dest) {
        if (rnd.nextBoolean()) return ops.memory(c, t, reg, size);
        int rm = dest && size != 1 ? ops.destReg() : rnd.nextInt(8);
        c.b(Operands.modrmReg(reg, rm));
        return 0;
    }

    private int g(int size, boolean dest) {
        return dest && size != 1 ? ops.destReg() : rnd.nextInt(8);
    }

    private static int mask(int size) {
        return size == 4 ? -1 : (1 << (8 * size)) - 1;
    }

    private static void poke(TestCase t, int addr, int value, int size) {
        for (int i = 0; i < size; i++) t.scratch[addr - Harness.SCRATCH + i] = (byte) (value >>> (8 * i));
    }

    private static int peek(TestCase t, int addr, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= (t.scratch[addr - Harness.SCRATCH + i] & 0xff) << (8 * i);
        return v;
    }

    /** Value of a register operand of size bytes (byte registers 4-7 are AH-BH). */
    private static int regValue(TestCase t, int r, int size) {
        if (size == 1) return r < 4 ? t.regs[r] & 0xff : (t.regs[r - 4] >>> 8) & 0xff;
        return t.regs[r] & mask(size);
    }

    /** The count operand: mostly 0-33 (the masked-count edges), sometimes any byte. */
    private int count() {
        return rnd.nextInt(5) == 0 ? rnd.nextInt(256) : rnd.nextInt(34);
    }

    // ---- groups

    private void alu(Code c, TestCase t) {
        int op = rnd.nextInt(8), size = size();
        boolean write = op != 7;
        osize(c, size);
        switch (rnd.nextInt(5)) {
            case 0 -> { c.b(w(op << 3, size)); e(c, t, g(size, false), size, write); }
            case 1 -> { c.b(w((op << 3) + 2, size)); e(c, t, g(size, write), size, false); }
            case 2 -> c.b(w((op << 3) + 4, size)).imm(ops.value(), Math.min(size, 4));
            case 3 -> {
                c.b(size == 1 ? (rnd.nextBoolean() ? 0x80 : 0x82) : 0x81);
                e(c, t, op, size, write);
                c.imm(ops.value(), size);
            }
            default -> {
                c.b(size == 1 ? 0x80 : 0x83);
                e(c, t, op, size, write);
                c.b(ops.value());
            }
        }
        if (op == 1 || op == 4 || op == 6) t.undefinedFlags(UndefinedFlags.LOGIC);
    }

    private void unary(Code c, TestCase t) {
        int size = size();
        osize(c, size);
        switch (rnd.nextInt(5)) {
            case 0 -> { c.b(w(0x84, size)); e(c, t, g(size, false), size, false); t.undefinedFlags(UndefinedFlags.LOGIC); }
            case 1 -> { c.b(w(0xf6, size)); e(c, t, 0, size, false); c.imm(ops.value(), size); t.undefinedFlags(UndefinedFlags.LOGIC); }
            case 2 -> { c.b(w(0xf6, size)); e(c, t, 2 + rnd.nextInt(2), size, true); } // not, neg
            case 3 -> { c.b(w(0xfe, size)); e(c, t, rnd.nextInt(2), size, true); }     // inc, dec
            default -> c.b((rnd.nextBoolean() ? 0x40 : 0x48) + ops.destReg()); // inc/dec r16/r32 (the byte size means r32 here)
        }
    }

    private void shift(Code c, TestCase t) {
        int op = rnd.nextInt(8), size = size(), count = 1;
        int form = rnd.nextInt(3);
        if (form == 2) {
            count = count();
            t.set(ECX, (t.regs[ECX] & ~0xff) | count);
        }
        osize(c, size);
        switch (form) {
            case 0 -> { count = count(); c.b(w(0xc0, size)); e(c, t, op, size, true); c.b(count); }
            case 1 -> { c.b(w(0xd0, size)); e(c, t, op, size, true); }
            default -> { c.b(w(0xd2, size)); e(c, t, op, size, true); }
        }
        t.undefinedFlags(UndefinedFlags.shift(op, count, size));
    }

    private void shiftDouble(Code c, TestCase t) {
        int size = rnd.nextBoolean() ? 2 : 4;
        boolean right = rnd.nextBoolean(), imm = rnd.nextBoolean();
        int count = count();
        if (!imm) t.set(ECX, (t.regs[ECX] & ~0xff) | count);
        int masked = count & 31;
        boolean undefinedResult = masked > size * 8;
        osize(c, size);
        c.b(0x0f, (right ? 0xac : 0xa4) + (imm ? 0 : 1));
        int src = g(size, false);
        if (undefinedResult) {
            int dst = ops.destReg();
            c.b(Operands.modrmReg(src, dst));
            t.regMask &= ~(1 << dst);
        } else {
            e(c, t, src, size, true);
        }
        if (imm) c.b(count);
        t.undefinedFlags(UndefinedFlags.shiftDouble(masked, size));
    }

    private void mulDiv(Code c, TestCase t) {
        int size = size(), kind = rnd.nextInt(4);
        if (kind == 3) { // the two- and three-operand IMUL forms
            size = rnd.nextBoolean() ? 2 : 4;
            osize(c, size);
            int f = rnd.nextInt(3);
            c.b(f == 0 ? 0x0f : f == 1 ? 0x69 : 0x6b);
            if (f == 0) c.b(0xaf);
            e(c, t, g(size, true), size, false);
            if (f == 1) c.imm(ops.value(), size);
            if (f == 2) c.b(ops.value());
            t.undefinedFlags(UndefinedFlags.MUL);
            return;
        }
        int op = 4 + rnd.nextInt(4);
        osize(c, size);
        c.b(w(0xf6, size));
        if (op < 6) {
            e(c, t, op, size, false);
            t.undefinedFlags(UndefinedFlags.MUL);
            return;
        }
        divide(c, t, op == 7, size);
        t.undefinedFlags(UndefinedFlags.DIV);
    }

    /** DIV/IDIV with a divisor and dividend chosen so that the quotient fits (no #DE natively). */
    private void divide(Code c, TestCase t, boolean signed, int size) {
        int bits = 8 * size;
        long d, n;
        while (true) {
            d = signed ? (long) (ops.value() << (32 - bits)) >> (32 - bits) : ops.value() & (mask(size) & 0xffffffffL);
            if (d == 0) continue;
            if (!signed) {
                long q = rnd.nextLong() & (mask(size) & 0xffffffffL);
                long r = Math.floorMod(rnd.nextLong(), d);
                n = q * d + r; // < 2^(2*bits) since q, r < 2^bits, d < 2^bits
                break;
            }
            long q = (rnd.nextLong() << (64 - bits)) >> (64 - bits);
            long r = Math.floorMod(rnd.nextLong(), Math.abs(d));
            if (q * d < 0 || (q == 0 && rnd.nextBoolean())) r = -r;
            n = q * d + r;
            long lim = 1L << (2 * bits - 1);
            if (bits == 32 ? Math.multiplyHigh(q, d) != (q * d >> 63) : n < -lim || n >= lim) continue;
            if (n / d != q) continue;
            break;
        }
        // Dividend in AX, DX:AX or EDX:EAX; the divisor must not be one of those registers.
        if (size == 1) {
            t.set(EAX, (t.regs[EAX] & ~0xffff) | (int) (n & 0xffff));
        } else {
            t.set(EAX, size == 2 ? (t.regs[EAX] & ~0xffff) | (int) (n & 0xffff) : (int) n);
            t.set(EDX, size == 2 ? (t.regs[EDX] & ~0xffff) | (int) ((n >>> 16) & 0xffff) : (int) (n >>> 32));
        }
        int reg = signed ? 7 : 6;
        if (rnd.nextBoolean()) {
            int at = ops.memory(c, t, reg, size);
            poke(t, at, (int) d, size);
        } else if (size == 1) {
            int r8;
            do {
                r8 = 1 + rnd.nextInt(3) + (rnd.nextBoolean() ? 4 : 0); // CL DL BL CH DH BH
            } while (t.isLocked(r8 & 3));
            c.b(Operands.modrmReg(reg, r8));
            int shift = r8 >= 4 ? 8 : 0;
            t.set(r8 & 3, (t.regs[r8 & 3] & ~(0xff << shift)) | (int) ((d & 0xff) << shift));
        } else {
            int r = ops.freeReg(t);
            c.b(Operands.modrmReg(reg, r));
            t.set(r, (t.regs[r] & ~mask(size)) | (int) (d & mask(size)));
        }
    }

    private void bcd(Code c, TestCase t) {
        int k = rnd.nextInt(6);
        switch (k) {
            case 0, 1, 2, 3 -> c.b(new int[] {0x27, 0x2f, 0x37, 0x3f}[k]);
            case 4 -> c.b(0xd4, rnd.nextInt(3) == 0 ? 1 + rnd.nextInt(255) : 10);
            default -> c.b(0xd5, rnd.nextInt(3) == 0 ? rnd.nextInt(256) : 10);
        }
        if (rnd.nextBoolean()) t.regs[EAX] = (t.regs[EAX] & ~0xffff) | rnd.nextInt(0x1000); // BCD-looking AX
        t.undefinedFlags(UndefinedFlags.bcd(k));
    }

    private void bit(Code c, TestCase t) {
        int size = rnd.nextBoolean() ? 2 : 4;
        osize(c, size);
        int k = rnd.nextInt(4);
        if (k == 0) { // BT/BTS/BTR/BTC Ev,Gv: a register bit offset reaches beyond the operand in memory
            int op = rnd.nextInt(4);
            c.b(0x0f, 0xa3 + 8 * op);
            if (rnd.nextBoolean()) {
                int dst = ops.destReg();
                c.b(Operands.modrmReg(rnd.nextInt(8), dst));
            } else {
                int target = ops.target(size) & -size;
                int g = ops.freeReg(t);
                int lowBits = (target - Harness.SCRATCH) * 8, highBits = (Harness.SCRATCH + Harness.SCRATCH_SIZE - target - size) * 8;
                int offset = -lowBits + rnd.nextInt(lowBits + highBits + 1);
                t.set(g, size == 2 ? (t.regs[g] & ~0xffff) | (offset & 0xffff) : offset);
                ops.memoryAt(c, t, g, target);
            }
            t.undefinedFlags(UndefinedFlags.BT);
        } else if (k == 1) { // group 8: BT* Ev,Ib
            c.b(0x0f, 0xba);
            e(c, t, 4 + rnd.nextInt(4), size, true);
            c.b(rnd.nextInt(256));
            t.undefinedFlags(UndefinedFlags.BT);
        } else { // BSF/BSR
            c.b(0x0f, k == 2 ? 0xbc : 0xbd);
            int dst = ops.destReg();
            int src;
            if (rnd.nextBoolean()) {
                int at = ops.memory(c, t, dst, size);
                if (rnd.nextInt(4) == 0) poke(t, at, 0, size);
                src = peek(t, at, size);
            } else {
                int r = rnd.nextInt(8);
                if (r != ESP && !t.isLocked(r) && rnd.nextInt(4) == 0) t.set(r, t.regs[r] & ~mask(size));
                c.b(Operands.modrmReg(dst, r));
                src = regValue(t, r, size);
            }
            if (src == 0) t.regMask &= ~(1 << dst);
            t.undefinedFlags(UndefinedFlags.BITSCAN);
        }
    }

    private void cond(Code c, TestCase t) {
        int cc = rnd.nextInt(16);
        int mov = 0xb8 + 5; // MOV EBP, imm32 marks "fell through"
        switch (rnd.nextInt(5)) {
            case 0 -> { c.b(0x0f, 0x90 + cc); e(c, t, 0, 1, true); }
            case 1 -> {
                int size = rnd.nextBoolean() ? 2 : 4;
                osize(c, size);
                c.b(0x0f, 0x40 + cc);
                e(c, t, g(size, true), size, false);
            }
            case 2 -> c.b(0x70 + cc, 5).b(mov).d(ops.value());
            case 3 -> c.b(0x0f, 0x80 + cc).d(5).b(mov).d(ops.value());
            default -> { // LOOPNE/LOOPE/LOOP/JECXZ, also with 67h (CX)
                if (rnd.nextBoolean()) t.set(ECX, (t.regs[ECX] & ~0xffff) | rnd.nextInt(3));
                if (rnd.nextInt(3) == 0) c.b(0x67);
                c.b(0xe0 + rnd.nextInt(4), 5).b(mov).d(ops.value());
            }
        }
    }

    private void atomic(Code c, TestCase t) {
        int size = size();
        int k = rnd.nextInt(4);
        boolean lock = rnd.nextInt(4) == 0;
        if (k == 3) { // CMPXCHG8B m64
            if (lock) c.b(0xf0);
            c.b(0x0f, 0xc7);
            t.set(EAX, t.regs[EAX]);
            t.set(EDX, t.regs[EDX]);
            t.set(EBX, t.regs[EBX]);
            t.set(ECX, t.regs[ECX]);
            int at = ops.memory(c, t, 1, 8);
            if (rnd.nextBoolean()) {
                poke(t, at, t.regs[EAX], 4);
                poke(t, at + 4, t.regs[EDX], 4);
            }
            return;
        }
        if (k == 2) { // XCHG
            if (rnd.nextInt(3) == 0 && size != 1) {
                osize(c, size);
                c.b(0x90 + ops.destReg());
                return;
            }
            osize(c, size);
            c.b(w(0x86, size));
            e(c, t, g(size, true), size, true);
            return;
        }
        if (lock) c.b(0xf0);
        osize(c, size);
        c.b(0x0f, w(k == 0 ? 0xc0 : 0xb0, size));
        int gr = g(size, true);
        int at;
        if (lock || rnd.nextBoolean()) {
            t.set(EAX, t.regs[EAX]);
            at = ops.memory(c, t, gr, size);
            if (k == 1 && rnd.nextBoolean()) poke(t, at, t.regs[EAX], size);
        } else {
            int rm = ops.destReg();
            c.b(Operands.modrmReg(gr, rm));
            if (k == 1 && rnd.nextBoolean() && !t.isLocked(rm)) {
                // make the accumulator equal to the destination
                int v = regValue(t, rm, size);
                t.regs[EAX] = (t.regs[EAX] & ~mask(size)) | v;
            }
        }
    }

    private void string(Code c, TestCase t) {
        int op = rnd.nextInt(5); // movs cmps stos lods scas
        int size = size();
        boolean down = rnd.nextBoolean();
        int rep = rnd.nextInt(3); // none, F3, F2 (F2 only for cmps/scas)
        if (rep == 2 && op != 1 && op != 4) rep = 1;
        int count = rep == 0 ? 1 : rnd.nextInt(9);
        if (rep != 0) t.set(ECX, count);
        if (down) t.eflags |= DF;
        int span = Math.max(count, 1) * size;
        for (int reg : new int[] {ESI, EDI}) {
            int lo = down ? span - size : 0;
            int off = lo + rnd.nextInt(Harness.SCRATCH_SIZE - span + 1);
            t.set(reg, Harness.SCRATCH + off);
        }
        if (op == 1 || op == 4) { // a small alphabet so that REPE/REPNE stop early
            for (int i = 0; i < t.scratch.length; i++) t.scratch[i] = (byte) rnd.nextInt(2);
            t.set(EAX, rnd.nextBoolean() ? 0 : 0x01010101);
        }
        osize(c, size);
        if (rep != 0) c.b(rep == 1 ? 0xf3 : 0xf2);
        c.b(w(new int[] {0xa4, 0xa6, 0xaa, 0xac, 0xae}[op], size));
    }

    private void lea(Code c, TestCase t) {
        boolean o16 = rnd.nextInt(3) == 0, a16 = rnd.nextInt(3) == 0;
        if (o16) c.b(0x66);
        if (a16) c.b(0x67);
        c.b(0x8d);
        ops.anyAddress(c, ops.destReg(), a16);
    }

    private void movx(Code c, TestCase t) {
        int size = rnd.nextBoolean() ? 2 : 4;
        boolean word = rnd.nextBoolean(), signed = rnd.nextBoolean();
        osize(c, size);
        c.b(0x0f, (signed ? 0xbe : 0xb6) + (word ? 1 : 0));
        e(c, t, ops.destReg(), word ? 2 : 1, false);
    }

    private void conv(Code c, TestCase t) {
        switch (rnd.nextInt(5)) {
            case 0, 1 -> {
                if (rnd.nextBoolean()) c.b(0x66);
                c.b(rnd.nextBoolean() ? 0x98 : 0x99);
            }
            case 2 -> c.b(0x9f); // lahf
            case 3 -> c.b(0x9e); // sahf
            default -> c.b(new int[] {0xf8, 0xf9, 0xf5}[rnd.nextInt(3)]);
        }
    }

    private void mov(Code c, TestCase t) {
        int size = size();
        switch (rnd.nextInt(5)) {
            case 0 -> { osize(c, size); c.b(w(0x88, size)); e(c, t, g(size, false), size, true); }
            case 1 -> { osize(c, size); c.b(w(0x8a, size)); e(c, t, g(size, true), size, false); }
            case 2 -> { osize(c, size); c.b(w(0xc6, size)); e(c, t, 0, size, true); c.imm(ops.value(), size); }
            case 3 -> { osize(c, size); c.b(w(rnd.nextBoolean() ? 0xa0 : 0xa2, size)).d(ops.target(size)); } // moffs
            default -> { // XLAT: EBX + AL inside the scratch area
                t.set(EBX, Harness.SCRATCH);
                t.set(EAX, (t.regs[EAX] & ~0xff) | rnd.nextInt(Harness.SCRATCH_SIZE));
                c.b(0xd7);
            }
        }
    }

    /**
     * PUSH/POP in all forms, PUSHA/POPA, PUSHF/POPF, ENTER/LEAVE, with ESP (and EBP for the
     * frame instructions) inside the scratch area so that every stack access is compared.
     */
    private void stack(Code c, TestCase t) {
        int os = rnd.nextInt(3) == 0 ? 2 : 4;
        t.set(ESP, Harness.SCRATCH + 40 + 2 * rnd.nextInt(21));
        t.espBase = false;
        int k = rnd.nextInt(9);
        if (os == 2) c.b(0x66);
        switch (k) {
            case 0 -> c.b(0x50 + rnd.nextInt(8));
            case 1 -> c.b(0x58 + ops.destReg());
            case 2 -> { if (rnd.nextBoolean()) c.b(0x68).imm(ops.value(), os); else c.b(0x6a, ops.value()); }
            case 3 -> { c.b(0xff); e(c, t, 6, os, false); }
            case 4 -> { c.b(0x8f); e(c, t, 0, os, true); }
            case 5 -> c.b(rnd.nextBoolean() ? 0x60 : 0x61);
            case 6 -> {
                // POPF of a value that keeps TF, IF, IOPL, AC, ID as the harness has them (user mode cannot change most of them)
                int v = 0x202 | (rnd.nextInt() & (Flags.ARITH | DF));
                poke(t, t.regs[ESP], v, os);
                c.b(rnd.nextBoolean() ? 0x9d : 0x9c);
            }
            case 7 -> {
                t.set(5, Harness.SCRATCH + 64 + 4 * rnd.nextInt(12)); // EBP: frame pointers copied by ENTER level > 0
                c.b(0xc8).w(rnd.nextInt(24)).b(rnd.nextInt(4));
            }
            default -> {
                t.set(5, Harness.SCRATCH + 16 + 2 * rnd.nextInt(48)); // LEAVE: ESP = EBP, pop EBP
                c.b(0xc9);
            }
        }
    }
}
