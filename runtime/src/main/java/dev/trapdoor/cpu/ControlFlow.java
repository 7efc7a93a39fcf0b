package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.Vmcs;

/**
 * Control transfers: near and far JMP/CALL/RET, Jcc, LOOP, JCXZ, INT n/INT3/INTO, IRET (SDM Vol. 2
 * for each). Far JMP/CALL in protected mode reach code segments directly, other tasks through a
 * TSS or task gate, and code through call gates (CALL to an inner ring switches stacks from the
 * TSS and copies the gate's parameters). IRET with NT returns to the back-linked task; IRET at
 * CPL 0 with VM in the popped EFLAGS enters virtual-8086 mode. In v86 mode far transfers take
 * paragraph selectors as in real mode, and IRET, POPF, PUSHF and INT n need IOPL 3.
 */
abstract class ControlFlow extends StringIo {
    private static final int[] DATA_SEGMENTS = {ES, DS, FS, GS};

    ControlFlow(PhysicalMemory memory, Vmcs vmcs) {
        super(memory, vmcs);
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
        if (systemTarget(sel, false, osize)) return;
        if (osize == 2) off &= 0xffff;
        loadCodeSegment(sel, protectedMode() ? cpl : 0);
        checkCodeLimit(off);
        eip = off;
    }

    final void callFar(int sel, int off, int osize) {
        if (systemTarget(sel, true, osize)) return;
        if (osize == 2) off &= 0xffff;
        int sp = pushFrame(gpr[ESP], osize, segSel[CS]);
        sp = pushFrame(sp, osize, eip);
        loadCodeSegment(sel, protectedMode() ? cpl : 0);
        checkCodeLimit(off);
        setSp(sp);
        eip = off;
    }

    /**
     * Far JMP/CALL to a system descriptor (SDM Vol. 2, JMP and CALL, protected mode): a TSS or task
     * gate switches tasks, a call gate transfers to its code segment. False for code segments
     * (the caller loads them), and in real mode.
     */
    private boolean systemTarget(int sel, boolean call, int osize) {
        if (!descriptorMode() || (sel & 0xfffc) == 0) return false;
        readDescriptor(sel);
        int access = descAccess(descHi);
        if ((access & 0x10) != 0) return false;
        int type = access & 0xf, dpl = (access >>> 5) & 3, err = sel & 0xfffc;
        if (type != 0x9 && type != 0x1 && type != 0x5 && type != 0xc && type != 0x4) throw gp(err);
        if (dpl < cpl || dpl < (sel & 3)) throw gp(err);
        if ((access & 0x80) == 0) throw fault(11, err);
        int kind = call ? SWITCH_CALL : SWITCH_JMP;
        switch (type) {
            case 0x9, 0x1 -> switchTask(sel, kind, eip, -1);
            case 0x5 -> switchTask(descLo >>> 16, kind, eip, -1);
            default -> throughCallGate(descLo, descHi, type == 0xc ? 4 : 2, call);
        }
        return true;
    }

    /** Call gate (SDM Vol. 2, CALL "CALL-GATE"): same privilege, or CALL to a more privileged non-conforming segment. */
    private void throughCallGate(int lo, int hi, int size, boolean call) {
        int target = lo >>> 16;
        int off = (lo & 0xffff) | (size == 4 ? hi & 0xffff0000 : 0);
        int params = hi & 0x1f;
        if ((target & 0xfffc) == 0) throw gp(0);
        readDescriptor(target);
        int access = descAccess(descHi);
        int dpl = (access >>> 5) & 3, err = target & 0xfffc;
        if ((access & 0x18) != 0x18 || dpl > cpl) throw gp(err);
        if ((access & 0x80) == 0) throw fault(11, err);
        boolean conforming = (access & 4) != 0;
        if (!call) {
            if (!conforming && dpl != cpl) throw gp(err);
            loadCodeSegment(target, cpl);
            checkCodeLimit(off);
            eip = off;
            return;
        }
        if (conforming || dpl == cpl) {
            int sp = pushFrame(gpr[ESP], size, segSel[CS]);
            sp = pushFrame(sp, size, eip);
            loadCodeSegment(target, cpl);
            checkCodeLimit(off);
            setSp(sp);
            eip = off;
            return;
        }
        callInner(target, off, dpl, size, params);
    }

    /** CALL through a gate to ring dpl: new SS:ESP from the TSS, old SS:ESP and the parameters pushed there. */
    private void callInner(int target, int off, int dpl, int size, int params) {
        long inner = innerStack(dpl, 0);
        int[] f = innerFrame;
        f[0] = segSel[SS];
        f[1] = gpr[ESP];
        int oldSp = stackPointer();
        for (int k = 0; k < params; k++) f[1 + params - k] = read(SS, oldSp + k * size, size); // the last parameter is pushed first
        f[params + 2] = segSel[CS];
        f[params + 3] = eip;
        enterInnerRing(inner, dpl, target, off, 0, size, params + 4, false);
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
        if (descriptorMode() && (sel & 3) != cpl) {
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
        checkV86Iopl();
        if (descriptorMode() && (flagsRest & NT) != 0) { // return to the back-linked task (SDM Vol. 3A, 8.3)
            switchTask(backLink(), SWITCH_IRET, eip, -1);
            return;
        }
        int sp = stackPointer();
        int off = read(SS, sp, osize);
        int sel = read(SS, sp + osize, 2);
        int flags = read(SS, sp + 2 * osize, osize);
        if (osize == 2) off &= 0xffff;
        sp += 3 * osize;
        if (!descriptorMode()) {
            // Real mode, or virtual-8086 mode at IOPL 3: CS is a paragraph number; in v86 IOPL and VM stay (SDM Vol. 2, IRET).
            checkCodeLimit(off); // the limit CS will have: real mode keeps it, v86 has 0xffff
            loadCodeSegment(sel, 0);
            setSp(sp);
            setIretFlags(flags, osize, cpl);
            eip = off;
            return;
        }
        if (osize == 4 && cpl == 0 && (flags & VM) != 0) {
            returnToV86(off, sel, flags, sp);
            return;
        }
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
        setEflags((cur & ~mask) | (v & (mask | RF))); // IRET loads RF from the image (SDM Vol. 3B, 17.3.1.1)
    }

    /** PUSHF: the image without RF and VM (SDM Vol. 2, PUSHF); IOPL-sensitive in virtual-8086 mode. */
    final void pushf(int osize) {
        checkV86Iopl();
        push(getEflags() & ~(RF | VM), osize);
    }

    /** POPF: VM, RF and the bits {@link #changeableFlags} excludes stay; IOPL-sensitive in virtual-8086 mode. */
    final void popf(int osize) {
        checkV86Iopl();
        int v = pop(osize);
        int mask = changeableFlags(osize, cpl);
        setEflags(((getEflags() & ~RF) & ~mask) | (v & mask));
    }

    /** INT n / INT3 / INTO: a software event; INT3 and INTO are exceptions the bitmap can intercept. */
    final void softwareInterrupt(int vector, Insn i, boolean exception) {
        if (!exception) checkV86Iopl(); // INT n, not INT3/INTO/INT1 (SDM Vol. 2, INT n: "IF EFLAGS.VM = 1 and IOPL < 3")
        if (exception && vmcs.exceptionExits(vector, 0)) {
            eip = insStart;
            retired--;
            exceptionExit(vector, -1, i.len);
            return;
        }
        // Should the delivery fault and the fault exit, this event is the IDT-vectoring information (SDM 28.2.4);
        // the run loop clears it once the fault is dealt with.
        int type = !exception ? InterruptionInfo.TYPE_SOFTWARE_INTERRUPT
                : vector == 1 ? InterruptionInfo.TYPE_PRIVILEGED_SOFTWARE_EXCEPTION : InterruptionInfo.TYPE_SOFTWARE_EXCEPTION;
        delivering = InterruptionInfo.encode(vector, type, false);
        deliveringLength = i.len;
        deliver(vector, -1, eip, true, false);
        delivering = 0;
    }
}
