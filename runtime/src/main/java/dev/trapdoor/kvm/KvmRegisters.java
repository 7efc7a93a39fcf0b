package dev.trapdoor.kvm;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;

import java.lang.foreign.MemorySegment;

import static dev.trapdoor.kvm.KvmAbi.*;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Copies between {@link X86Registers} and kvm_regs + kvm_sregs. KVM keeps the access rights of a
 * segment as separate bytes; X86Registers keeps them in the VMX layout (SDM Vol. 3C, Table 25-2:
 * type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13, D/B 14, G 15, unusable 16). Both keep the limit in
 * bytes. Fields X86Registers does not have (r8-r15, CR8, APIC base, the pending-interrupt bitmap)
 * are left as they are in the structs.
 */
final class KvmRegisters {
    private KvmRegisters() {}

    static void toKvm(X86Registers r, MemorySegment regs, MemorySegment sregs) {
        for (int i = 0; i < 8; i++) regs.set(JAVA_LONG, REGS_GPR[i], r.gpr[i] & 0xffffffffL);
        regs.set(JAVA_LONG, REGS_RIP, r.eip & 0xffffffffL);
        regs.set(JAVA_LONG, REGS_RFLAGS, r.eflags & 0xffffffffL);
        for (int i = 0; i < 6; i++) putSegment(sregs, SREGS_SEG[i], r.seg[i]);
        putSegment(sregs, SREGS_TR, r.tr);
        putSegment(sregs, SREGS_LDT, r.ldtr);
        putTable(sregs, SREGS_GDT, r.gdtBase, r.gdtLimit);
        putTable(sregs, SREGS_IDT, r.idtBase, r.idtLimit);
        sregs.set(JAVA_LONG, SREGS_CR0, r.cr0);
        sregs.set(JAVA_LONG, SREGS_CR2, r.cr2);
        sregs.set(JAVA_LONG, SREGS_CR3, r.cr3);
        sregs.set(JAVA_LONG, SREGS_CR4, r.cr4);
        sregs.set(JAVA_LONG, SREGS_EFER, r.efer);
    }

    static void fromKvm(MemorySegment regs, MemorySegment sregs, X86Registers r) {
        for (int i = 0; i < 8; i++) r.gpr[i] = (int) regs.get(JAVA_LONG, REGS_GPR[i]);
        r.eip = (int) regs.get(JAVA_LONG, REGS_RIP);
        r.eflags = (int) regs.get(JAVA_LONG, REGS_RFLAGS);
        for (int i = 0; i < 6; i++) getSegment(sregs, SREGS_SEG[i], r.seg[i]);
        getSegment(sregs, SREGS_TR, r.tr);
        getSegment(sregs, SREGS_LDT, r.ldtr);
        r.gdtBase = sregs.get(JAVA_LONG, SREGS_GDT + DTABLE_BASE);
        r.gdtLimit = sregs.get(JAVA_SHORT, SREGS_GDT + DTABLE_LIMIT) & 0xffff;
        r.idtBase = sregs.get(JAVA_LONG, SREGS_IDT + DTABLE_BASE);
        r.idtLimit = sregs.get(JAVA_SHORT, SREGS_IDT + DTABLE_LIMIT) & 0xffff;
        r.cr0 = sregs.get(JAVA_LONG, SREGS_CR0);
        r.cr2 = sregs.get(JAVA_LONG, SREGS_CR2);
        r.cr3 = sregs.get(JAVA_LONG, SREGS_CR3);
        r.cr4 = sregs.get(JAVA_LONG, SREGS_CR4);
        r.efer = sregs.get(JAVA_LONG, SREGS_EFER);
    }

    static void putSegment(MemorySegment s, long at, Segment g) {
        int ar = g.access;
        s.set(JAVA_LONG, at + SEG_BASE, g.base);
        s.set(JAVA_INT, at + SEG_LIMIT, (int) g.limit);
        s.set(JAVA_SHORT, at + SEG_SELECTOR, (short) g.selector);
        s.set(JAVA_BYTE, at + SEG_TYPE, (byte) (ar & 0xf));
        s.set(JAVA_BYTE, at + SEG_S, (byte) ((ar >>> 4) & 1));
        s.set(JAVA_BYTE, at + SEG_DPL, (byte) ((ar >>> 5) & 3));
        s.set(JAVA_BYTE, at + SEG_PRESENT, (byte) ((ar >>> 7) & 1));
        s.set(JAVA_BYTE, at + SEG_AVL, (byte) ((ar >>> 12) & 1));
        s.set(JAVA_BYTE, at + SEG_L, (byte) ((ar >>> 13) & 1));
        s.set(JAVA_BYTE, at + SEG_DB, (byte) ((ar >>> 14) & 1));
        s.set(JAVA_BYTE, at + SEG_G, (byte) ((ar >>> 15) & 1));
        s.set(JAVA_BYTE, at + SEG_UNUSABLE, (byte) ((ar >>> 16) & 1));
    }

    static void getSegment(MemorySegment s, long at, Segment g) {
        g.base = s.get(JAVA_LONG, at + SEG_BASE);
        g.limit = s.get(JAVA_INT, at + SEG_LIMIT) & 0xffffffffL;
        g.selector = s.get(JAVA_SHORT, at + SEG_SELECTOR) & 0xffff;
        g.access = (s.get(JAVA_BYTE, at + SEG_TYPE) & 0xf)
                | (s.get(JAVA_BYTE, at + SEG_S) & 1) << 4
                | (s.get(JAVA_BYTE, at + SEG_DPL) & 3) << 5
                | (s.get(JAVA_BYTE, at + SEG_PRESENT) & 1) << 7
                | (s.get(JAVA_BYTE, at + SEG_AVL) & 1) << 12
                | (s.get(JAVA_BYTE, at + SEG_L) & 1) << 13
                | (s.get(JAVA_BYTE, at + SEG_DB) & 1) << 14
                | (s.get(JAVA_BYTE, at + SEG_G) & 1) << 15
                | (s.get(JAVA_BYTE, at + SEG_UNUSABLE) & 1) << 16;
    }

    private static void putTable(MemorySegment s, long at, long base, int limit) {
        s.set(JAVA_LONG, at + DTABLE_BASE, base);
        s.set(JAVA_SHORT, at + DTABLE_LIMIT, (short) limit);
    }

    // ---- the few fields the exit path reads from kvm_run's synced copies

    static long rip(MemorySegment regs) { return regs.get(JAVA_LONG, REGS_RIP); }
    static long gpr(MemorySegment regs, int index) { return regs.get(JAVA_LONG, REGS_GPR[index]); }
    static long csBase(MemorySegment sregs) { return sregs.get(JAVA_LONG, SREGS_SEG[X86Registers.CS] + SEG_BASE); }
    static boolean csBig(MemorySegment sregs) { return sregs.get(JAVA_BYTE, SREGS_SEG[X86Registers.CS] + SEG_DB) != 0; }
    static boolean csLong(MemorySegment sregs) { return sregs.get(JAVA_BYTE, SREGS_SEG[X86Registers.CS] + SEG_L) != 0; }
    static long cr0(MemorySegment sregs) { return sregs.get(JAVA_LONG, SREGS_CR0); }
}
