package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;

/**
 * The arithmetic families with more than one flag rule: group-2 shifts and rotates, double
 * shifts, multiply and divide (SDM Vol. 2, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD, MUL,
 * IMUL, DIV, IDIV). Where the SDM leaves a flag undefined the rule used is named at the site.
 */
abstract class Alu extends TaskSwitch {
    Alu(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    /** Group-2 operation op on v (size bytes) by count (already taken from CL/imm/1). */
    final int shift(int op, int v, int count, int size) {
        int bits = size * 8;
        count &= 0x1f;
        int m = mask(size);
        v &= m;
        switch (op) {
            case 0, 1 -> { // rol, ror: only CF and OF change
                if (count == 0) return v;
                int c = count % bits;
                int r = op == 0 ? ((v << c) | (v >>> (bits - c))) & m : ((v >>> c) | (v << (bits - c))) & m;
                if (c == 0) r = v;
                boolean cf, of;
                if (op == 0) {
                    cf = (r & 1) != 0;
                    of = ((r >>> (bits - 1)) & 1) != (cf ? 1 : 0);       // OF = MSB(r) xor CF
                } else {
                    cf = ((r >>> (bits - 1)) & 1) != 0;
                    of = (((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1) != 0; // two top bits differ
                }
                setArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                return r;
            }
            case 2, 3 -> { // rcl, rcr: rotate through CF, a (bits+1)-bit rotation
                int c = size == 4 ? count : count % (bits + 1);
                if (c == 0) return v;
                long oldCf = cf() ? 1 : 0;
                long wide = ((long) v & (m & 0xffffffffL)) | (oldCf << bits);
                int w = bits + 1;
                long wm = (1L << w) - 1;
                long rot = op == 2 ? ((wide << c) | (wide >>> (w - c))) & wm : ((wide >>> c) | (wide << (w - c))) & wm;
                int r = (int) rot & m;
                boolean cf = ((rot >>> bits) & 1) != 0;
                boolean of = op == 2
                        ? (((r >>> (bits - 1)) & 1) != 0) != cf                   // OF = MSB(r) xor CF
                        : (((r >>> (bits - 1)) ^ (r >>> (bits - 2))) & 1) != 0;  // = MSB(v) xor old CF
                setArith(CF | OF, (cf ? CF : 0) | (of ? OF : 0));
                return r;
            }
            case 4, 6 -> { // shl/sal
                if (count == 0) return v;
                long wide = ((long) v & 0xffffffffL) << count;
                int r = (int) wide & m;
                boolean cf = ((wide >>> bits) & 1) != 0;
                boolean of = (((r >>> (bits - 1)) & 1) != 0) != cf;   // defined for count 1; same rule otherwise
                setResultFlags(r, size, cf, of);
                return r;
            }
            case 5 -> { // shr
                if (count == 0) return v;
                long uv = (long) v & 0xffffffffL;
                int r = (int) (uv >>> count);
                boolean cf = ((uv >>> (count - 1)) & 1) != 0;
                boolean of = ((v >>> (bits - 1)) & 1) != 0;            // OF = MSB of the original operand
                setResultFlags(r, size, cf, of);
                return r;
            }
            default -> { // sar
                if (count == 0) return v;
                int sv = signExtend(v, size);
                int r = (sv >> Math.min(count, 31)) & m;
                boolean cf = ((sv >> Math.min(count - 1, 31)) & 1) != 0;
                setResultFlags(r, size, cf, false);
                return r;
            }
        }
    }

    /** SHLD (left) / SHRD (right): dst shifted with bits from src coming in (count mod 32). */
    final int shiftDouble(boolean left, int dst, int src, int count, int size) {
        count &= 0x1f;
        if (count == 0) return dst;
        int bits = size * 8;
        int m = mask(size);
        if (count > bits) return dst; // undefined result for 16-bit operands with count > 16: leave unchanged
        long d = dst & (m & 0xffffffffL), s = src & (m & 0xffffffffL);
        int r;
        boolean cf;
        if (left) {
            long wide = (d << bits) | s;
            r = (int) ((wide << count) >>> bits) & m;
            cf = ((d >>> (bits - count)) & 1) != 0;
        } else {
            long wide = (s << bits) | d;
            r = (int) (wide >>> count) & m;
            cf = ((d >>> (count - 1)) & 1) != 0;
        }
        boolean of = (((r ^ dst) >>> (bits - 1)) & 1) != 0; // sign change, defined for count 1
        setResultFlags(r, size, cf, of);
        return r;
    }

    /** MUL/IMUL/DIV/IDIV with the accumulator (group 3, /4-/7). */
    final void mulDiv(int op, int src, int size) {
        switch (size) {
            case 1 -> mulDiv8(op, src & 0xff);
            case 2 -> mulDiv16(op, src & 0xffff);
            default -> mulDiv32(op, src);
        }
    }

    private void mulDiv8(int op, int src) {
        int al = gpr[EAX] & 0xff;
        int ax = gpr[EAX] & 0xffff;
        switch (op) {
            case 4 -> {
                int r = al * src;
                setReg(EAX, 2, r);
                boolean hi = (r & 0xff00) != 0;
                setResultFlags(r, 1, hi, hi);
            }
            case 5 -> {
                int r = (byte) al * (byte) src;
                setReg(EAX, 2, r);
                boolean ov = r != (byte) r;
                setResultFlags(r, 1, ov, ov);
            }
            case 6 -> {
                if (src == 0) throw fault(0, -1);
                int q = ax / src;
                if (q > 0xff) throw fault(0, -1);
                setReg(EAX, 2, ((ax % src) << 8) | q);
            }
            default -> {
                int d = (byte) src;
                if (d == 0) throw fault(0, -1);
                int q = (short) ax / d;
                if (q != (byte) q) throw fault(0, -1);
                setReg(EAX, 2, (((short) ax % d) << 8) | (q & 0xff));
            }
        }
    }

    private void mulDiv16(int op, int src) {
        int ax = gpr[EAX] & 0xffff;
        switch (op) {
            case 4 -> {
                int r = ax * src;
                setReg(EAX, 2, r);
                setReg(EDX, 2, r >>> 16);
                boolean hi = (r >>> 16) != 0;
                setResultFlags(r, 2, hi, hi);
            }
            case 5 -> {
                int r = (short) ax * (short) src;
                setReg(EAX, 2, r);
                setReg(EDX, 2, r >>> 16);
                boolean ov = r != (short) r;
                setResultFlags(r, 2, ov, ov);
            }
            case 6 -> {
                if (src == 0) throw fault(0, -1);
                long n = ((long) (gpr[EDX] & 0xffff) << 16) | ax;
                long q = n / src;
                if (q > 0xffff) throw fault(0, -1);
                setReg(EAX, 2, (int) q);
                setReg(EDX, 2, (int) (n % src));
            }
            default -> {
                int d = (short) src;
                if (d == 0) throw fault(0, -1);
                int n = ((gpr[EDX] & 0xffff) << 16) | ax;
                long q = (long) n / d;
                if (q != (short) q) throw fault(0, -1);
                setReg(EAX, 2, (int) q);
                setReg(EDX, 2, (int) ((long) n % d));
            }
        }
    }

    private void mulDiv32(int op, int src) {
        int eax = gpr[EAX];
        switch (op) {
            case 4 -> {
                long r = (eax & 0xffffffffL) * (src & 0xffffffffL);
                gpr[EAX] = (int) r;
                gpr[EDX] = (int) (r >>> 32);
                boolean hi = gpr[EDX] != 0;
                setResultFlags((int) r, 4, hi, hi);
            }
            case 5 -> {
                long r = (long) eax * src;
                gpr[EAX] = (int) r;
                gpr[EDX] = (int) (r >>> 32);
                boolean ov = r != (int) r;
                setResultFlags((int) r, 4, ov, ov);
            }
            case 6 -> {
                if (src == 0) throw fault(0, -1);
                long n = ((long) gpr[EDX] << 32) | (eax & 0xffffffffL);
                long d = src & 0xffffffffL;
                long q = Long.divideUnsigned(n, d);
                if ((q >>> 32) != 0) throw fault(0, -1);
                gpr[EAX] = (int) q;
                gpr[EDX] = (int) Long.remainderUnsigned(n, d);
            }
            default -> {
                if (src == 0) throw fault(0, -1);
                long n = ((long) gpr[EDX] << 32) | (eax & 0xffffffffL);
                if (n == Long.MIN_VALUE && src == -1) throw fault(0, -1);
                long q = n / src;
                if (q != (int) q) throw fault(0, -1);
                gpr[EAX] = (int) q;
                gpr[EDX] = (int) (n % src);
            }
        }
    }

    /** Two- and three-operand IMUL: the truncated product; CF = OF = the product did not fit. */
    final int imul(int a, int b, int size) {
        long full = (long) signExtend(a, size) * signExtend(b, size);
        int r = (int) full & mask(size);
        boolean ov = full != signExtend(r, size);
        setResultFlags(r, size, ov, ov);
        return r;
    }
}
