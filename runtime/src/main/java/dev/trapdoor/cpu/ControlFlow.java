package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExecutionControls;

/**
 * Control transfers: near and far JMP/CALL/RET, Jcc, LOOP, JCXZ, INT n/INT3/INTO, IRET (SDM Vol. 2
 * for each). Far transfers reach code segments directly; call gates and task switches are not
 * implemented yet and fault with #GP(selector) from the segment loader.
 */
abstract class ControlFlow extends StringIo {
    private static final int[] DATA_SEGMENTS = {ES, DS, FS, GS};

    ControlFlow(PhysicalMemory memory, ExecutionControls controls) {
        super(memory, controls);
    }

    final void jumpNear(int target, int osize) {
        if (osize == 2) target &= 0xffff;
        checkCodeLimit(target);
        eip = target;
    }

    final void callNear(int target, int osize) {
        if (osize == 2) target &= 0xffff;
        checkCodeLimit(target);
        push(eip, osize);
        eip = target;
    }

    final void jumpFar(int sel, int off, int osize) {
        if (osize == 2) off &= 0xffff;
        loadCodeSegment(sel, protectedMode() ? cpl : 0);
        checkCodeLimit(off);
        eip = off;
    }

    final void callFar(int sel, int off, int osize) {
        if (osize == 2) off &= 0xffff;
        int sp = pushFrame(gpr[ESP], osize, segSel[CS]);
        sp = pushFrame(sp, osize, eip);
        loadCodeSegment(sel, protectedMode() ? cpl : 0);
        checkCodeLimit(off);
        setSp(sp);
        eip = off;
    }

    final void retNear(int osize, int release) {
        int sp = stackPointer();
        int target = read(SS, sp, osize);
        if (osize == 2) target &= 0xffff;
        checkCodeLimit(target);
        setSp(sp + osize + release);
        eip = target;
    }

    final void retFar(int osize, int release) {
        int sp = stackPointer();
        int off = read(SS, sp, osize);
        int sel = read(SS, sp + osize, 2);
        if (osize == 2) off &= 0xffff;
        sp += 2 * osize + release;
        if (protectedMode() && (sel & 3) != cpl) {
            returnOuter(sel, off, sp, osize, release, -1);
            return;
        }
        loadCodeSegment(sel, protectedMode() ? cpl : 0);
        checkCodeLimit(off);
        setSp(sp);
        eip = off;
    }

    /**
     * Return to an outer ring: pops ESP and SS after CS:EIP (and EFLAGS for IRET), then nulls data
     * segment registers the new CPL may not use (SDM Vol. 2, RET and IRET "RETURN-TO-OUTER-PRIVILEGE-LEVEL").
     */
    private void returnOuter(int sel, int off, int sp, int osize, int release, int flags) {
        int rpl = sel & 3;
        if (rpl < cpl) throw gp(sel & 0xfffc);
        int newEsp = read(SS, sp, osize);
        int newSs = read(SS, sp + osize, 2);
        int oldCpl = cpl;
        loadCodeSegment(sel, rpl);
        try {
            loadSegment(SS, newSs);
        } catch (CpuFault f) {
            cpl = oldCpl;
            throw f;
        }
        checkCodeLimit(off);
        if (flags != -1) setIretFlags(flags, osize, oldCpl);
        gpr[ESP] = osize == 2 && !stack32 ? (gpr[ESP] & 0xffff0000) | (newEsp & 0xffff) : newEsp;
        if (release != 0) setSp(stackPointer() + release);
        eip = off;
        for (int s : DATA_SEGMENTS) {
            int a = segAccess[s];
            boolean dataOrNonConforming = (a & 8) == 0 || (a & 4) == 0;
            if ((a & arch_UNUSABLE) == 0 && dataOrNonConforming && ((a >>> 5) & 3) < cpl) setCache(s, 0, 0, 0, arch_UNUSABLE);
        }
    }

    final void iret(int osize) {
        int sp = stackPointer();
        int off = read(SS, sp, osize);
        int sel = read(SS, sp + osize, 2);
        int flags = read(SS, sp + 2 * osize, osize);
        if (osize == 2) off &= 0xffff;
        sp += 3 * osize;
        if (!protectedMode()) {
            loadCodeSegment(sel, 0);
            checkCodeLimit(off);
            setSp(sp);
            setIretFlags(flags, osize, 0);
            eip = off;
            return;
        }
        // Nested-task returns and returns to virtual-8086 mode are not modelled yet.
        if ((flagsRest & NT) != 0) throw gp(0);
        if ((sel & 3) != cpl) {
            returnOuter(sel, off, sp, osize, 0, flags);
            return;
        }
        loadCodeSegment(sel, cpl);
        checkCodeLimit(off);
        setSp(sp);
        setIretFlags(flags, osize, cpl);
        eip = off;
    }

    /** EFLAGS bits POPF and IRET may change (SDM Vol. 2, POPF table): IOPL only at CPL 0, IF only if CPL <= IOPL. */
    final int changeableFlags(int osize, int atCpl) {
        int mask = CF | PF | AF | ZF | SF | TF | DF | OF | NT | AC | ID | IF | IOPL;
        if (protectedMode()) {
            if (atCpl > 0) mask &= ~IOPL;
            if (atCpl > ((flagsRest >>> 12) & 3)) mask &= ~IF;
        }
        if (osize == 2) mask &= 0xffff;
        return mask;
    }

    private void setIretFlags(int v, int osize, int atCpl) {
        int mask = changeableFlags(osize, atCpl);
        int cur = getEflags() & ~RF;
        setEflags((cur & ~mask) | (v & mask));
    }

    final void popf(int osize) {
        int v = pop(osize);
        int mask = changeableFlags(osize, cpl);
        setEflags(((getEflags() & ~RF) & ~mask) | (v & mask));
    }

    /** INT n / INT3 / INTO: a software event; INT3 and INTO are exceptions the bitmap can intercept. */
    final void softwareInterrupt(int vector, Insn i, boolean exception) {
        if (exception && ((controls.exceptionBitmap >>> vector) & 1) != 0) {
            eip = insStart;
            retired--;
            exceptionExit(vector, -1, i.len);
            return;
        }
        deliver(vector, -1, eip, true, false);
    }
}
