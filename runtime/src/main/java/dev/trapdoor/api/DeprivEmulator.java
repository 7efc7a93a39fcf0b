package dev.trapdoor.api;

import dev.trapdoor.api.DeprivilegedMonitor.Guest;
import dev.trapdoor.api.DeprivilegedMonitor.GuestFault;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.cpu.Disassembler;
import dev.trapdoor.cpu.Insn;

/**
 * The monitor's instruction emulation and virtual event delivery. Works on the guest's real
 * register file (as the trap left it) and the virtual state; returns what the trap was, for the
 * counters. Anything it does not emulate is reflected to the guest as the fault the CPU raised.
 */
final class DeprivEmulator {
    private static final int IF = 0x200, TF = 0x100, IOPL = 0x3000, NT = 0x4000, RF = 0x10000, VM = 0x20000;
    private static final int GP = 13, NP = 11;

    private final Vm vm;
    private final DeprivMachine machine;
    private final DeprivState v;
    private final Guest g;
    private final Insn insn = new Insn();
    /** Set by an STI that enabled interrupts: none is delivered at that trap (SDM Vol. 2, STI: the interrupt shadow). */
    private boolean stiShadow;
    /** The instruction's bytes (at most 15, SDM Vol. 2, 2.3.11) and zero padding, so operand reads stay in bounds. */
    private final byte[] code = new byte[24];

    DeprivEmulator(Vm vm, DeprivMachine machine, DeprivState v, Guest g) {
        this.vm = vm;
        this.machine = machine;
        this.v = v;
        this.g = g;
    }

    String trap(int vector, int error, X86Registers r) {
        stiShadow = false;
        if (vector == DeprivMachine.SYSCALL_VECTOR) {
            deliver(vector, -1, true, r);
            return "int 0x80";
        }
        if (vector == GP || vector == NP) {
            String done = emulate(r);
            if (done != null) return done;
        }
        deliver(vector, DeprivMachine.hasErrorCode(vector) ? error : -1, false, r);
        return "#" + vector + " reflected";
    }

    /** Decodes the instruction at EIP and emulates it if it is one the monitor handles; null if not. */
    private String emulate(X86Registers r) {
        long eip = r.eip & 0xffffffffL;
        for (int i = 0; i < 15; i++) code[i] = (byte) g.read8(eip + i);
        if (!Disassembler.decode(insn, code, 0, r.eip, true) || insn.length() > 15) return null;
        int len = insn.length();
        int p = 0;
        boolean o16 = false;
        while (code[p] == 0x66) { o16 = true; p++; }
        int op = code[p] & 0xff;
        int size = o16 ? 2 : 4;
        String name = insn.row().mnemonic;
        boolean kernel = v.cpl == 0;
        switch (op) {
            case 0xfa, 0xfb -> { // CLI, STI: CPL <= IOPL (virtual IOPL is 0)
                if (!kernel) return null;
                stiShadow = op == 0xfb && !v.interruptFlag;
                v.interruptFlag = op == 0xfb;
            }
            case 0xf4 -> { // HLT: wakes for a pending virtual interrupt; with none, nothing will ever wake it
                if (!kernel) return null;
                r.eip += len;
                if (!(v.interruptFlag && v.hasPending()))
                    vm.requestShutdown(0, "deprivileged guest: HLT with virtual IF=" + (v.interruptFlag ? 1 : 0) + " and nothing pending");
                return name;
            }
            case 0xe4, 0xe5, 0xec, 0xed -> { // IN
                if (!kernel) return null;
                int port = op >= 0xec ? r.gpr[X86Registers.EDX] & 0xffff : code[p + 1] & 0xff;
                int n = (op & 1) == 0 ? 1 : size;
                int val = vm.io().read(port, n);
                int mask = n == 4 ? -1 : (1 << (8 * n)) - 1;
                r.gpr[X86Registers.EAX] = (r.gpr[X86Registers.EAX] & ~mask) | (val & mask);
            }
            case 0xe6, 0xe7, 0xee, 0xef -> { // OUT
                if (!kernel) return null;
                int port = op >= 0xee ? r.gpr[X86Registers.EDX] & 0xffff : code[p + 1] & 0xff;
                int n = (op & 1) == 0 ? 1 : size;
                vm.io().write(port, n, n == 4 ? r.gpr[X86Registers.EAX] : r.gpr[X86Registers.EAX] & ((1 << (8 * n)) - 1));
            }
            case 0xcf -> { // IRET: reached here because the frame's CS is a guest code selector
                if (o16) return null;
                iret(r);
                return name;
            }
            case 0xcd -> { // INT n to a vector without a monitor gate
                deliver(code[p + 1] & 0xff, -1, true, r.eip + len, r);
                return "int";
            }
            case 0x0f -> {
                if (!kernel) return null;
                if (!system(code[p + 1] & 0xff, p + 2, r)) return null;
            }
            default -> { return null; }
        }
        r.eip += len;
        return name;
    }

    /** 0F-prefixed system instructions: LGDT, LIDT, LTR, MOV to and from CRn. */
    private boolean system(int op2, int at, X86Registers r) {
        int modrm = code[at] & 0xff;
        int mod = modrm >>> 6, reg = (modrm >>> 3) & 7, rm = modrm & 7;
        switch (op2) {
            case 0x01 -> {
                if (mod == 3 || (reg != 2 && reg != 3)) return false;
                long ea = effectiveAddress(at, r);
                int limit = g.read16(ea);
                long base = g.read32(ea + 2) & 0xffffffffL;
                if (reg == 2) {
                    v.gdtBase = base;
                    v.gdtLimit = limit;
                    machine.shadowGdt(v, g);
                } else {
                    v.idtBase = base;
                    v.idtLimit = limit;
                }
                return true;
            }
            case 0x00 -> {
                if (reg != 3 || mod != 3) return false; // LTR r16 only
                int sel = r.gpr[rm] & 0xffff;
                long slot = v.gdtBase + (sel & ~7);
                if ((sel & ~7) == 0 || (sel & ~7) + 7 > v.gdtLimit) throw new GuestFault("LTR " + Integer.toHexString(sel) + " outside the GDT");
                long d = g.read64(slot);
                if (((d >>> 40) & 0x9f) != 0x89) throw new GuestFault("LTR " + Integer.toHexString(sel) + ": not an available 32-bit TSS");
                g.write64(slot, d | (2L << 40)); // busy (SDM Vol. 3A, 7.2.4)
                v.tr = sel;
                return true;
            }
            case 0x20, 0x22 -> {
                boolean to = op2 == 0x22;
                long val = to ? r.gpr[rm] & 0xffffffffL : 0;
                switch (reg) {
                    case 0 -> {
                        if (to) {
                            if ((val & 1) == 0 || (val & 0x80000000L) != 0)
                                throw new GuestFault("CR0 " + Long.toHexString(val) + ": real mode and paging are outside this monitor");
                            v.cr0 = val | 0x10;
                        } else r.gpr[rm] = (int) v.cr0;
                    }
                    case 2 -> { if (to) v.cr2 = val; else r.gpr[rm] = (int) v.cr2; }
                    case 3 -> { if (to) v.cr3 = val; else r.gpr[rm] = (int) v.cr3; }
                    case 4 -> { if (to) v.cr4 = val; else r.gpr[rm] = (int) v.cr4; }
                    default -> { return false; }
                }
                return true;
            }
            default -> { return false; }
        }
    }

    /** A 32-bit ModRM memory operand's linear address (flat segments: the base is 0). */
    private long effectiveAddress(int at, X86Registers r) {
        int modrm = code[at] & 0xff;
        int mod = modrm >>> 6, rm = modrm & 7;
        int p = at + 1;
        long ea;
        if (rm == 4) {
            int sib = code[p++] & 0xff;
            int scale = sib >>> 6, index = (sib >>> 3) & 7, base = sib & 7;
            ea = index == 4 ? 0 : (long) r.gpr[index] << scale;
            if (base == 5 && mod == 0) { ea += readDisp(p, 4); return ea & 0xffffffffL; }
            ea += r.gpr[base];
        } else if (rm == 5 && mod == 0) {
            return readDisp(p, 4) & 0xffffffffL;
        } else {
            ea = r.gpr[rm];
        }
        if (mod == 1) ea += readDisp(p, 1);
        else if (mod == 2) ea += readDisp(p, 4);
        return ea & 0xffffffffL;
    }

    private int readDisp(int p, int n) {
        if (n == 1) return code[p];
        return (code[p] & 0xff) | (code[p + 1] & 0xff) << 8 | (code[p + 2] & 0xff) << 16 | code[p + 3] << 24;
    }

    /** IRET in the virtual view (SDM Vol. 2, IRET, protected mode without NT). */
    private void iret(X86Registers r) {
        long sp = r.gpr[X86Registers.ESP] & 0xffffffffL;
        int eip = g.read32(sp);
        int cs = g.read32(sp + 4) & 0xffff;
        int flags = g.read32(sp + 8);
        int newCpl = cs & 3;
        if (newCpl < v.cpl || !codeDescriptorOk(cs, newCpl)) {
            deliver(GP, cs & ~3, false, r);
            return;
        }
        int ss = v.ss;
        long esp = sp + 12;
        if (newCpl > v.cpl) {
            esp = g.read32(sp + 12) & 0xffffffffL;
            ss = g.read32(sp + 16) & 0xffff;
        }
        var realSs = machine.stackSegment(ss);
        if (realSs == null || (ss & 3) != newCpl) {
            deliver(GP, ss & ~3, false, r);
            return;
        }
        int changeable = 0x3f7fd5 & ~(IOPL | VM | RF); // arithmetic, TF, DF, NT, AC, ID
        r.eflags = (r.eflags & ~changeable) | (flags & changeable);
        if (v.cpl == 0) v.interruptFlag = (flags & IF) != 0; // CPL <= IOPL (0)
        v.cpl = newCpl;
        v.cs = cs;
        v.ss = ss;
        r.eip = eip;
        r.gpr[X86Registers.ESP] = (int) esp;
        r.seg[X86Registers.CS].copyFrom(DeprivMachine.guestCode());
        r.seg[X86Registers.SS].copyFrom(realSs);
    }

    private boolean codeDescriptorOk(int sel, int cpl) {
        if ((sel & ~7) == 0 || (sel & ~7) + 7 > v.gdtLimit) return false;
        long d = g.read64(v.gdtBase + (sel & ~7));
        boolean present = (d & (1L << 47)) != 0, code = (d & (3L << 43)) == (3L << 43);
        return present && code && (int) ((d >>> 45) & 3) == cpl;
    }

    /** After a trap: the highest pending virtual interrupt, if the guest's virtual IF lets it in. */
    boolean deliverPending(X86Registers r) {
        if (!v.interruptFlag || !v.hasPending() || stiShadow) return false;
        deliver(v.takePending(), -1, false, r);
        return true;
    }

    private void deliver(int vector, int error, boolean software, X86Registers r) {
        deliver(vector, error, software, r.eip, r);
    }

    /**
     * Delivers an interrupt or exception through the guest's own IDT (SDM Vol. 3A, 6.12.1): the
     * gate's DPL check for software interrupts, a stack switch from the guest's TSS when the
     * handler is more privileged, the frame with the guest-visible EFLAGS, CS and SS.
     */
    private void deliver(int vector, int error, boolean software, long returnEip, X86Registers r) {
        if (v.idtLimit < vector * 8 + 7) throw new GuestFault("vector " + vector + " is beyond the guest's IDT");
        long gate = g.read64(v.idtBase + vector * 8L);
        int type = (int) (gate >>> 40) & 0x1f, dpl = (int) (gate >>> 45) & 3;
        if (software && dpl < v.cpl) {
            deliver(GP, vector * 8 + 2, false, r.eip, r);
            return;
        }
        if ((gate & (1L << 47)) == 0 || (type != 0xe && type != 0xf))
            throw new GuestFault("vector " + vector + ": no present 32-bit interrupt or trap gate");
        int sel = (int) (gate >>> 16) & 0xffff;
        long offset = (gate & 0xffff) | ((gate >>> 32) & 0xffff0000L);
        long d = (sel & ~7) != 0 && (sel & ~7) + 7 <= v.gdtLimit ? g.read64(v.gdtBase + (sel & ~7)) : 0;
        if ((d & (1L << 47)) == 0 || (d & (3L << 43)) != (3L << 43)) throw new GuestFault("vector " + vector + ": gate selector is not code");
        int newCpl = (int) (d >>> 45) & 3;
        if (newCpl > v.cpl) throw new GuestFault("vector " + vector + ": handler less privileged than the interrupted code");
        int flags = (r.eflags & ~(IF | IOPL)) | (v.interruptFlag ? IF : 0);
        long sp = r.gpr[X86Registers.ESP] & 0xffffffffL;
        int ss = v.ss;
        if (newCpl < v.cpl) { // stack switch from the guest's TSS
            long tss = tssBase();
            long esp0 = g.read32(tss + 4) & 0xffffffffL;
            ss = g.read32(tss + 8) & 0xffff;
            sp = push(esp0, v.ss);
            sp = push(sp, r.gpr[X86Registers.ESP]);
        }
        sp = push(sp, flags);
        sp = push(sp, v.cs);
        sp = push(sp, (int) returnEip);
        if (error >= 0) sp = push(sp, error);
        var realSs = machine.stackSegment(ss);
        if (realSs == null) throw new GuestFault("vector " + vector + ": the handler's stack segment " + Integer.toHexString(ss) + " is not data");
        if (type == 0xe) v.interruptFlag = false;
        r.eflags &= ~(TF | NT | RF | VM);
        v.cpl = newCpl;
        v.cs = sel;
        v.ss = ss;
        r.eip = (int) offset;
        r.gpr[X86Registers.ESP] = (int) sp;
        r.seg[X86Registers.CS].copyFrom(DeprivMachine.guestCode());
        r.seg[X86Registers.SS].copyFrom(realSs);
    }

    private long tssBase() {
        if ((v.tr & ~7) == 0 || (v.tr & ~7) + 7 > v.gdtLimit) throw new GuestFault("interrupt from user mode with no task register loaded");
        long d = g.read64(v.gdtBase + (v.tr & ~7));
        return ((d >>> 16) & 0xffffff) | ((d >>> 32) & 0xff000000L);
    }

    private long push(long sp, int value) {
        sp = (sp - 4) & 0xffffffffL;
        g.write32(sp, value);
        return sp;
    }
}
