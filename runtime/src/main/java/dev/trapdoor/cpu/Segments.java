package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;

/**
 * Segment register loads: real-mode and virtual-8086 (base = selector * 16) and protected-mode
 * descriptor loads from the GDT or LDT with the checks of SDM Vol. 2 (MOV, POP, far JMP/CALL) and
 * Vol. 3A, 5. Faults are raised with the selector as error code (its RPL bits cleared).
 */
abstract class Segments extends Mmu {
    /** The descriptor read by the last {@link #readDescriptor}: low and high dwords. */
    int descLo, descHi;

    /**
     * Access rights of every segment register in virtual-8086 mode: present, DPL 3, read/write
     * accessed data, 16-bit (SDM Vol. 3A, 20.1.1; the VMX guest-state checks of SDM 27.3.1.2 ask for
     * exactly 0xf3), with a 64 KiB limit.
     */
    static final int V86_ACCESS = 0xf3;

    Segments(PhysicalMemory memory) {
        super(memory);
    }

    /** EFLAGS.VM in protected mode: virtual-8086 mode (SDM Vol. 3B, 20.2), where CPL is 3. */
    final boolean v86() {
        return (flagsRest & VM) != 0 && (cr0 & CR0_PE) != 0;
    }

    /** Protected mode outside virtual-8086 mode: selectors name descriptors. */
    final boolean descriptorMode() {
        return (cr0 & CR0_PE) != 0 && (flagsRest & VM) == 0;
    }

    /** A segment register load in virtual-8086 mode: base = selector * 16, as in real mode, with the fixed v86 attributes. */
    final void loadV86Segment(int s, int sel) {
        setCache(s, sel & 0xffff, (sel & 0xffff) << 4, 0xffff, V86_ACCESS);
    }

    /** Reads the descriptor for sel from the GDT or LDT; #GP(sel) if outside the table (SDM Vol. 3A, 3.5.1). */
    final void readDescriptor(int sel) {
        int index = sel & 0xfff8;
        int base;
        long limit;
        if ((sel & 4) != 0) {
            if ((ldtrAccess & arch_UNUSABLE) != 0 || (ldtrSel & 0xfffc) == 0) throw gp(sel & 0xfffc);
            base = ldtrBase;
            limit = ldtrLimit;
        } else {
            base = gdtBase;
            limit = gdtLimit & 0xffffL;
        }
        if (index + 7 > limit) throw gp(sel & 0xfffc);
        // Descriptor tables are read with supervisor rights whatever the CPL.
        int saved = cpl;
        cpl = 0;
        try {
            descLo = readLin32(base + index);
            descHi = readLin32(base + index + 4);
        } finally {
            cpl = saved;
        }
    }

    static int descBase(int lo, int hi) {
        return (lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000);
    }

    static long descLimit(int lo, int hi) {
        long limit = (lo & 0xffff) | (hi & 0xf0000);
        return (hi & (1 << 23)) != 0 ? (limit << 12) | 0xfff : limit;
    }

    /** Descriptor type, S, DPL, P in bits 7:0 and AVL, L, D/B, G in bits 15:12: the VMX access-rights layout. */
    static int descAccess(int hi) {
        return (hi >>> 8) & 0xf0ff;
    }

    /** Sets the accessed bit in the descriptor in memory if it is clear. */
    private void markAccessed(int sel) {
        if ((descHi & 0x100) != 0) return;
        descHi |= 0x100;
        int base = (sel & 4) != 0 ? ldtrBase : gdtBase;
        int saved = cpl;
        cpl = 0;
        try {
            writeLin32(base + (sel & 0xfff8) + 4, descHi);
        } finally {
            cpl = saved;
        }
    }

    final void setCache(int s, int sel, int base, long limit, int access) {
        segSel[s] = sel & 0xffff;
        segBase[s] = base;
        segLimit[s] = limit;
        segAccess[s] = access;
        refreshSegment(s);
    }

    /** MOV/POP to a data segment register or SS, and LDS/LES/LFS/LGS/LSS. */
    /**
     * SS for a change to an inner privilege level, from the TSS (SDM Vol. 2, CALL and INT n, "inner
     * privilege"): a null selector is #TS(EXT); one outside its table, with RPL or DPL other than the
     * new CPL, or not a writable data segment is #TS(selector + EXT); a non-present one #SS(selector
     * + EXT). Unlike MOV SS, none of these is #GP: the TSS is what is wrong.
     */
    final void loadInnerStack(int sel, int ext) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) throw fault(10, ext);
        int err = (sel & 0xfffc) + ext;
        boolean ldt = (sel & 4) != 0;
        long tableLimit = ldt ? ((ldtrAccess & arch_UNUSABLE) != 0 || (ldtrSel & 0xfffc) == 0 ? -1 : ldtrLimit) : gdtLimit & 0xffffL;
        if ((sel & 0xfff8) + 7 > tableLimit) throw fault(10, err);
        readDescriptor(sel);
        int access = descAccess(descHi);
        boolean system = (access & 0x10) == 0, code = (access & 8) != 0;
        if (system || code || (access & 2) == 0 || (sel & 3) != cpl || ((access >>> 5) & 3) != cpl) throw fault(10, err);
        if ((access & 0x80) == 0) throw fault(12, err);
        markAccessed(sel);
        setCache(SS, sel, descBase(descLo, descHi), descLimit(descLo, descHi), access);
    }

    final void loadSegment(int s, int sel) {
        sel &= 0xffff;
        if (v86()) {
            loadV86Segment(s, sel);
            return;
        }
        if (!protectedMode()) {
            // Real mode: only base and selector change; limit and attributes stay (SDM Vol. 3A, 20.1.1).
            int access = s == CS ? segAccess[CS] & ~(1 << 14) : (segAccess[s] & ~arch_UNUSABLE) | 0x80;
            setCache(s, sel, sel << 4, segLimit[s], access);
            return;
        }
        int rpl = sel & 3;
        if ((sel & 0xfffc) == 0) {
            if (s == SS) throw gp(0);
            setCache(s, sel, 0, 0, arch_UNUSABLE);
            return;
        }
        readDescriptor(sel);
        int access = descAccess(descHi);
        int dpl = (access >>> 5) & 3;
        boolean system = (access & 0x10) == 0, code = (access & 8) != 0;
        int err = sel & 0xfffc;
        if (s == SS) {
            // SDM Vol. 2, MOV: SS needs a writable data segment with RPL = DPL = CPL.
            if (system || code || (access & 2) == 0 || rpl != cpl || dpl != cpl) throw gp(err);
            if ((access & 0x80) == 0) throw fault(12, err);
        } else {
            if (system || (code && (access & 2) == 0)) throw gp(err);
            boolean conforming = code && (access & 4) != 0;
            if (!conforming && (rpl > dpl || cpl > dpl)) throw gp(err);
            if ((access & 0x80) == 0) throw fault(11, err);
        }
        markAccessed(sel);
        setCache(s, sel, descBase(descLo, descHi), descLimit(descLo, descHi), descAccess(descHi));
    }

    /**
     * Loads CS for a far JMP/CALL/RET/IRET to a code segment at the same privilege level or a
     * conforming one (SDM Vol. 2, JMP "far jump to conforming/non-conforming code segment").
     * Call gates, task gates and TSS targets are dealt with before this ({@code ControlFlow}); in
     * virtual-8086 mode the selector is a paragraph number.
     */
    final void loadCodeSegment(int sel, int targetCpl) {
        sel &= 0xffff;
        if (v86()) {
            loadV86Segment(CS, sel);
            return;
        }
        if (!protectedMode()) {
            setCache(CS, sel, sel << 4, segLimit[CS], segAccess[CS] & ~(1 << 14));
            return;
        }
        int err = sel & 0xfffc;
        if (err == 0) throw gp(0);
        readDescriptor(sel);
        int access = descAccess(descHi);
        int dpl = (access >>> 5) & 3;
        if ((access & 0x18) != 0x18) throw gp(err);
        boolean conforming = (access & 4) != 0;
        if (conforming ? dpl > targetCpl : dpl != targetCpl) throw gp(err);
        if ((access & 0x80) == 0) throw fault(11, err);
        markAccessed(sel);
        setCache(CS, (sel & ~3) | targetCpl, descBase(descLo, descHi), descLimit(descLo, descHi), descAccess(descHi));
        if (targetCpl != cpl) {
            cpl = targetCpl;
            flushTlb();
        }
    }

    /** Checks an EIP against the CS limit before a transfer (#GP(0), SDM Vol. 2, JMP). */
    final void checkCodeLimit(int target) {
        if ((target & 0xffffffffL) > segLimit[CS]) throw gp(0);
    }

    /** LLDT (SDM Vol. 2, LLDT): a null selector leaves LDTR unusable; otherwise an LDT descriptor from the GDT. */
    final void loadLdt(int sel) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) {
            ldtrSel = sel;
            ldtrAccess = arch_UNUSABLE;
            return;
        }
        if ((sel & 4) != 0) throw gp(sel & 0xfffc);
        readDescriptor(sel);
        int access = descAccess(descHi);
        if ((access & 0x1f) != 0x02) throw gp(sel & 0xfffc);
        if ((access & 0x80) == 0) throw fault(11, sel & 0xfffc);
        ldtrSel = sel;
        ldtrBase = descBase(descLo, descHi);
        ldtrLimit = descLimit(descLo, descHi);
        ldtrAccess = access;
    }

    /** LTR (SDM Vol. 2, LTR): an available TSS from the GDT, which becomes busy. */
    final void loadTaskRegister(int sel) {
        sel &= 0xffff;
        if ((sel & 0xfffc) == 0) throw gp(0);
        if ((sel & 4) != 0) throw gp(sel & 0xfffc);
        readDescriptor(sel);
        int access = descAccess(descHi);
        int type = access & 0x1f;
        if (type != 0x01 && type != 0x09) throw gp(sel & 0xfffc);
        if ((access & 0x80) == 0) throw fault(11, sel & 0xfffc);
        descHi |= 0x200; // busy
        int saved = cpl;
        cpl = 0;
        try {
            writeLin32(gdtBase + (sel & 0xfff8) + 4, descHi);
        } finally {
            cpl = saved;
        }
        trSel = sel;
        trBase = descBase(descLo, descHi);
        trLimit = descLimit(descLo, descHi);
        trAccess = descAccess(descHi);
    }
}
