package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;

/**
 * Hardware task switching with 32-bit and 16-bit TSSes (SDM Vol. 3A, 8.3 and 8.6): through a task gate in the IDT
 * (Linux i386 handles #DF this way), JMP or CALL to a TSS or task gate, and IRET with EFLAGS.NT.
 * The current state goes to the old TSS, the new TSS's busy bit, back link and NT are set by the
 * kind of switch, then CR3, LDTR, EFLAGS, EIP, the general registers and the segment registers
 * come from the new TSS. Faults while loading the new task's segments are raised in the new task
 * (EIP already the new one), as #TS with the selector. A TSS whose EFLAGS has VM starts a
 * virtual-8086 task (SDM Vol. 3B, 20.2.5).
 */
abstract class TaskSwitch extends Virtual8086 {
    private static final int TSS32_MIN_LIMIT = 0x67;
    /** A 16-bit TSS is 44 bytes (SDM Vol. 3A, Figure 8-11). */
    private static final int TSS16_MIN_LIMIT = 0x2b;

    private final int[] loadSel = new int[6];
    private final int[] newGpr = new int[8];
    /** CR3, EIP, EFLAGS and LDT selector read from the new TSS. */
    private final int[] newState = new int[4];
    private static final int ST_CR3 = 0, ST_EIP = 1, ST_FLAGS = 2, ST_LDT = 3;

    TaskSwitch(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
    }

    /**
     * Switches to the task whose TSS descriptor is sel (already checked to be a TSS or reached
     * through a task gate). returnEip is the EIP saved in the old TSS; error, if >= 0, is pushed
     * on the new task's stack (exceptions with an error code through a task gate).
     */
    final void switchTask(int sel, int kind, int returnEip, int error) {
        sel &= 0xffff;
        int err = sel & 0xfffc;
        if ((sel & 4) != 0) throw fault(10, err); // a TSS descriptor lives in the GDT only
        readDescriptor(sel);
        int newLo = descLo, newHi = descHi;
        int type = (newHi >>> 8) & 0x1f;
        boolean busy = (type & 2) != 0;
        if ((type & 0x15) != 0x01) throw fault(10, err); // not a TSS (types 1, 3, 9, 11)
        boolean new32 = (type & 8) != 0, old32 = (trAccess & 8) != 0;
        if (kind == SWITCH_IRET ? !busy : busy) throw gp(err);
        if ((newHi & 0x8000) == 0) throw fault(11, err);
        long newLimit = descLimit(newLo, newHi);
        if (newLimit < (new32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) throw fault(10, err);
        int newBase = descBase(newLo, newHi);
        if (trLimit < (old32 ? TSS32_MIN_LIMIT : TSS16_MIN_LIMIT)) throw fault(10, trSel & 0xfffc);

        // Read the whole new state first, so a page fault here leaves the old task untouched.
        int saved = cpl;
        cpl = 0;
        int newFlags;
        try {
            if (new32) readTss32(newBase);
            else readTss16(newBase);
            newFlags = newState[ST_FLAGS];

            // Save the outgoing task.
            int flags = getEflags();
            if (kind == SWITCH_IRET) flags &= ~NT;
            if (old32) saveTss32(returnEip, flags);
            else saveTss16(returnEip, flags);
            if (kind == SWITCH_JMP || kind == SWITCH_IRET) setBusy(trSel, false);
            if (kind == SWITCH_CALL || kind == SWITCH_INT) {
                writeLin16(newBase, trSel);
                newFlags |= NT;
            }
            if (kind != SWITCH_IRET) setBusy(sel, true);
        } finally {
            cpl = saved;
        }
        int newCr3 = newState[ST_CR3], newEip = newState[ST_EIP], newLdt = newState[ST_LDT];

        // Commit: from here on faults belong to the new task.
        trSel = sel;
        trBase = newBase;
        trLimit = newLimit;
        trAccess = descAccess(newHi) | 0x2;
        cr0 |= CR0_TS;
        if (new32 && (cr0 & CR0_PG) != 0) { // a 16-bit task keeps the current page tables (SDM Vol. 3A, 8.6)
            cr3 = newCr3;
            flushTlb();
            if (paePaging()) loadPdptes(); // SDM Vol. 3A, 4.4.1: a task switch loads them too
        }
        setEflags(newFlags | 2); // with VM the new task is a virtual-8086 task: its segment loads below are paragraph numbers
        eip = newEip;
        insStart = newEip;
        System.arraycopy(newGpr, 0, gpr, 0, 8);
        for (int s = 0; s < 6; s++) setCache(s, loadSel[s], 0, 0, arch_UNUSABLE);
        loadNewTaskSegments(newLdt);
        if (error >= 0) setSp(pushFrame(gpr[ESP], new32 ? 4 : 2, error));
    }

    /** The 32-bit TSS layout (SDM Vol. 3A, Figure 8-2). */
    private void readTss32(int base) {
        newState[ST_CR3] = readLin32(base + 0x1c);
        newState[ST_EIP] = readLin32(base + 0x20);
        newState[ST_FLAGS] = readLin32(base + 0x24);
        for (int r = 0; r < 8; r++) newGpr[r] = readLin32(base + 0x28 + 4 * r);
        for (int s = 0; s < 6; s++) loadSel[s] = readLin16(base + 0x48 + 4 * s);
        newState[ST_LDT] = readLin16(base + 0x60);
    }

    private void saveTss32(int returnEip, int flags) {
        writeLin32(trBase + 0x1c, cr3);
        writeLin32(trBase + 0x20, returnEip);
        writeLin32(trBase + 0x24, flags);
        for (int r = 0; r < 8; r++) writeLin32(trBase + 0x28 + 4 * r, gpr[r]);
        for (int s = 0; s < 6; s++) writeLin16(trBase + 0x48 + 4 * s, segSel[s]);
    }

    /**
     * The 16-bit TSS layout (SDM Vol. 3A, 8.6 and Figure 8-11): IP, FLAGS, AX..DI, ES, CS, SS, DS
     * and the LDT selector from 0x0e; no CR3, FS, GS or I/O map. The upper halves of EIP and EFLAGS
     * are lost (so a 16-bit task is never a virtual-8086 task); the SDM leaves the upper halves of
     * the general registers "modified and not maintained": they read as all ones here, as on the
     * 386-class parts that emulators follow. FS and GS become null.
     */
    private void readTss16(int base) {
        newState[ST_CR3] = cr3;
        newState[ST_EIP] = readLin16(base + 0x0e);
        newState[ST_FLAGS] = readLin16(base + 0x10);
        for (int r = 0; r < 8; r++) newGpr[r] = 0xffff0000 | readLin16(base + 0x12 + 2 * r);
        for (int s = 0; s < 4; s++) loadSel[s] = readLin16(base + 0x22 + 2 * s);
        loadSel[FS] = 0;
        loadSel[GS] = 0;
        newState[ST_LDT] = readLin16(base + 0x2a);
    }

    private void saveTss16(int returnEip, int flags) {
        writeLin16(trBase + 0x0e, returnEip);
        writeLin16(trBase + 0x10, flags);
        for (int r = 0; r < 8; r++) writeLin16(trBase + 0x12 + 2 * r, gpr[r]);
        for (int s = 0; s < 4; s++) writeLin16(trBase + 0x22 + 2 * s, segSel[s]);
    }

    /** LDTR, CS (CPL becomes its RPL), SS and the data segments of the new task; invalid ones are #TS(selector). */
    private void loadNewTaskSegments(int ldt) {
        try {
            loadLdt(ldt);
        } catch (CpuFault f) {
            throw asTaskFault(ldt);
        }
        int cs = loadSel[CS];
        int newCpl = v86() ? 3 : cs & 3;
        cpl = newCpl;
        flushTlb();
        try {
            loadCodeSegment(cs, newCpl);
        } catch (CpuFault f) {
            throw asTaskFault(cs);
        }
        int[] order = {SS, ES, DS, FS, GS};
        for (int s : order) {
            try {
                loadSegment(s, loadSel[s]);
            } catch (CpuFault f) {
                throw asTaskFault(loadSel[s]);
            }
        }
    }

    /** #GP from a segment load in the new task becomes #TS(selector); #NP and #SS stay (SDM Vol. 3A, 8.3 step 12). */
    private RuntimeException asTaskFault(int sel) {
        if (faultVector == 13) return fault(10, sel & 0xfffc);
        return CpuFault.SIGNAL;
    }

    /** Sets or clears the busy bit (type bit 1) of the TSS descriptor for sel in the GDT. */
    private void setBusy(int sel, boolean busy) {
        int at = gdtBase + (sel & 0xfff8) + 4;
        int hi = readLin32(at);
        writeLin32(at, busy ? hi | 0x200 : hi & ~0x200);
    }

    /** The back link of the current TSS: IRET with NT returns to it. */
    final int backLink() {
        int saved = cpl;
        cpl = 0;
        try {
            return readLin16(trBase);
        } finally {
            cpl = saved;
        }
    }
}
