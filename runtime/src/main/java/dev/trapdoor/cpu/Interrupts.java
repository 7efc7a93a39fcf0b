package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.ProcBased;

/**
 * Event delivery: exceptions, software interrupts and external interrupts through the real-mode
 * IVT or the protected-mode IDT (interrupt and trap gates, SDM Vol. 3A, 6.10-6.12; from
 * virtual-8086 mode to ring 0 with the segment registers saved, SDM Vol. 3B, 20.3.1.1), the
 * double-fault rules of SDM Vol. 3A, Table 6-5, and the exits the VMX controls ask for
 * (exception bitmap, triple fault).
 */
abstract class Interrupts extends Segments {
    /** This vCPU's VMCS: the controls it honours and where exits are recorded. */
    final Vmcs vmcs;
    /** The primary processor-based and pin-based controls, read from {@link #vmcs} at each entry (the guest cannot change them). */
    int procCtl, pinCtl;
    /** The secondary processor-based controls in force this entry (0 unless "activate secondary controls"). */
    int proc2Ctl;
    /**
     * Blocking by NMI (SDM Vol. 3C, Table 25-3 bit 3): set by delivering an NMI, cleared by IRET. With
     * "virtual NMIs" it is virtual-NMI blocking instead; with "NMI exiting" and no virtual NMIs IRET
     * leaves it alone (25.3, IRET).
     */
    boolean nmiBlocked;
    ExitInfo exit = new ExitInfo();
    /** Set by anything that fills {@link #exit}; the run loop returns when it sees it. */
    boolean exitPending;
    /** Interruption information of the event being delivered when an exit interrupts its delivery (IDT-vectoring information, SDM 28.2.4); 0 if none. */
    int vectoringInfo, vectoringError;
    /** The event being delivered right now (interruption-information format), 0 outside delivery. */
    int delivering, deliveringError;
    /** Instruction length of a software interrupt or exception being delivered (reported with its IDT-vectoring information). */
    int deliveringLength;

    Interrupts(PhysicalMemory memory, Vmcs vmcs) {
        super(memory);
        this.vmcs = vmcs;
    }

    final boolean procControl(int bit) {
        return (procCtl & bit) != 0;
    }

    final boolean proc2Control(int bit) {
        return (proc2Ctl & bit) != 0;
    }

    /** IRET's effect on NMI blocking in VMX non-root operation (SDM Vol. 3C, 25.3, IRET). */
    final void iretUnblocksNmi() {
        boolean nmiExiting = (pinCtl & dev.trapdoor.vmx.PinBased.NMI_EXITING) != 0;
        boolean virtualNmis = (pinCtl & dev.trapdoor.vmx.PinBased.VIRTUAL_NMIS) != 0;
        if (!nmiExiting || virtualNmis) nmiBlocked = false;
    }

    /**
     * An exit caused by instruction i (SDM 26.1): it has not executed, EIP stays at it, and the
     * handler completes or emulates it. qualification in the reason's format.
     */
    final void instructionExit(ExitReason reason, Insn i, long qualification) {
        exit.reset(reason);
        exit.rip = insStart & 0xffffffffL;
        exit.instructionLength = i.len;
        exit.qualification = qualification;
        eip = insStart;
        retired--; // not retired: the exiting instruction has not executed
        exitPending = true;
    }

    static boolean hasErrorCode(int vector) {
        return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
    }

    private static boolean contributory(int v) {
        return v == 0 || (v >= 10 && v <= 13);
    }

    /**
     * Delivers a fault raised by the instruction at insStart (EIP already restored to it), applying
     * the exception bitmap and the double-fault rules; ends in an exit where VMX would.
     */
    final void deliverException(int vector, int error) {
        int first = -1, firstError = -1;
        while (true) {
            if (vector == EPT_EXIT) {
                eptExit(first, firstError);
                return;
            }
            if (vmcs.exceptionExits(vector, hasErrorCode(vector) ? error : 0)) {
                recordVectoring(first, firstError);
                exceptionExit(vector, error, 0);
                if (first < 0 && InterruptionInfo.type(delivering) >= InterruptionInfo.TYPE_SOFTWARE_INTERRUPT)
                    exit.instructionLength = deliveringLength; // SDM 28.2.4: the length of the INT n / INT3 / INTO
                return;
            }
            if (vector == 14) cr2 = faultAddress;
            // A fault-class exception pushes RF = 1 so that the faulting instruction restarts past its
            // instruction breakpoint (SDM Vol. 3B, 17.3.1.1); #DB sets RF itself where it is a fault.
            if (faultClass(vector)) flagsRest |= RF;
            try {
                deliver(vector, hasErrorCode(vector) ? error : -1, eip, false, first >= 0);
                return;
            } catch (CpuFault f) {
                int second = faultVector;
                if (vector == 8 && second != EPT_EXIT) {
                    tripleFault();
                    return;
                }
                boolean df = (contributory(vector) && contributory(second))
                        || (vector == 14 && (second == 14 || contributory(second)));
                first = vector;
                firstError = hasErrorCode(vector) ? error : -1;
                if (df) {
                    vector = 8;
                    error = 0;
                } else {
                    vector = second;
                    error = faultError;
                }
            }
        }
    }

    /**
     * An exit while delivering another event reports that event as IDT-vectoring information (SDM
     * 28.2.4): the exception whose delivery faulted (first), or the event being delivered.
     */
    private void recordVectoring(int first, int firstError) {
        if (first >= 0) {
            vectoringInfo = InterruptionInfo.encode(first, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, hasErrorCode(first));
            vectoringError = Math.max(firstError, 0);
        } else if (delivering != 0) {
            vectoringInfo = delivering;
            vectoringError = deliveringError;
        }
    }

    /** An EPT violation or misconfiguration (SDM Vol. 3C, 28.2): the instruction restarts after it; an event being delivered is IDT-vectoring information. */
    private void eptExit(int first, int firstError) {
        recordVectoring(first, firstError);
        fillEptExit(exit);
        exit.rip = eip & 0xffffffffL;
        exitPending = true;
    }

    private static boolean faultClass(int v) {
        return v != 1 && v != 2 && v != 3 && v != 4 && v != 8 && v != 18;
    }

    final void exceptionExit(int vector, int error, int length) {
        exit.reset(ExitReason.EXCEPTION_NMI);
        exit.vector = vector;
        exit.errorCode = hasErrorCode(vector) ? error : -1;
        exit.rip = eip & 0xffffffffL;
        exit.instructionLength = length;
        exit.qualification = vector == 14 ? faultAddress & 0xffffffffL : 0;
        exitPending = true;
    }

    final void tripleFault() {
        exit.reset(ExitReason.TRIPLE_FAULT);
        exit.rip = eip & 0xffffffffL;
        exitPending = true;
    }

    /**
     * Pushes the return frame and enters the handler for vector. returnEip is the EIP saved on the
     * stack; software says INT n (gate DPL checked against CPL); external sets EXT in error codes.
     */
    final void deliver(int vector, int error, int returnEip, boolean software, boolean external) {
        if (debug != null && debug.vector(vector)) debugHit();
        if (!protectedMode()) {
            deliverReal(vector, returnEip);
            return;
        }
        int ext = external ? 1 : 0;
        int gateErr = vector * 8 + 2 + ext;
        if (vector * 8 + 7 > (idtLimit & 0xffff)) throw gp(gateErr);
        int lo, hi;
        int saved = cpl;
        cpl = 0;
        try {
            lo = readLin32(idtBase + vector * 8);
            hi = readLin32(idtBase + vector * 8 + 4);
        } finally {
            cpl = saved;
        }
        int type = (hi >>> 8) & 0x1f;
        boolean gate32 = (type & 8) != 0;
        // 0x05: task gate; 0x06/0x07: 16-bit interrupt/trap gate; 0x0e/0x0f: 32-bit.
        if (type != 0x05 && type != 0x06 && type != 0x07 && type != 0x0e && type != 0x0f) throw gp(gateErr);
        int gateDpl = (hi >>> 13) & 3;
        if (software && gateDpl < cpl) throw gp(gateErr);
        if ((hi & 0x8000) == 0) throw fault(11, gateErr);
        if (type == 0x05) {
            switchTask(lo >>> 16, SWITCH_INT, returnEip, error);
            return;
        }
        int sel = lo >>> 16;
        int offset = (lo & 0xffff) | (hi & 0xffff0000);
        if (!gate32) offset &= 0xffff;
        if ((sel & 0xfffc) == 0) throw gp(ext);
        readDescriptor(sel);
        int access = descAccess(descHi);
        int dpl = (access >>> 5) & 3;
        if ((access & 0x18) != 0x18 || dpl > cpl) throw gp((sel & 0xfffc) + ext);
        if ((access & 0x80) == 0) throw fault(11, (sel & 0xfffc) + ext);
        boolean conforming = (access & 4) != 0;
        int flags = getEflags();
        int size = gate32 ? 4 : 2;
        int oldCs = segSel[CS];
        if (v86()) {
            // SDM Vol. 2, INT "INTERRUPT-FROM-VIRTUAL-8086-MODE" (Vol. 3B, 20.3.1.1): to a non-conforming ring-0 segment only.
            if (conforming || dpl != 0) throw gp((sel & 0xfffc) + ext);
            int[] f = innerFrame;
            int n = 0;
            f[n++] = segSel[GS];
            f[n++] = segSel[FS];
            f[n++] = segSel[DS];
            f[n++] = segSel[ES];
            f[n++] = segSel[SS];
            f[n++] = gpr[ESP];
            f[n++] = flags;
            f[n++] = oldCs;
            f[n++] = returnEip;
            if (error >= 0) f[n++] = error;
            enterInnerRing(innerStack(0, ext), 0, sel, offset, ext, size, n, true);
        } else if (!conforming && dpl < cpl) {
            deliverInterPrivilege(dpl, sel, offset, size, flags, returnEip, error, ext);
        } else {
            int sp = gpr[ESP];
            sp = pushFrame(sp, size, flags);
            sp = pushFrame(sp, size, oldCs);
            sp = pushFrame(sp, size, returnEip);
            if (error >= 0) sp = pushFrame(sp, size, error);
            int newCpl = conforming ? cpl : dpl;
            loadCodeSegment(sel, newCpl);
            setSp(sp);
        }
        eip = offset;
        int clear = TF | NT | RF | VM;
        if ((type & 1) == 0) clear |= IF;
        flagsRest &= ~clear;
    }

    /**
     * The ring-dpl stack from the current TSS as (SS << 32 | ESP), read as a supervisor access:
     * ESP and SS at 4 + 8 * dpl in a 32-bit TSS, SP and SS at 2 + 4 * dpl in a 16-bit one (SP
     * zero-extended); #TS(TSS selector + EXT) when the TSS is too short (SDM Vol. 2, CALL and INT;
     * Vol. 3A, 6.12.1 and 5.8.5).
     */
    final long innerStack(int dpl, int ext) {
        boolean tss32 = (trAccess & 8) != 0;
        int tssOff = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
        if (tssOff + (tss32 ? 5 : 3) > trLimit) throw fault(10, (trSel & 0xfffc) + ext);
        int saved = cpl;
        cpl = 0;
        try {
            if (!tss32) return (long) readLin16(trBase + tssOff + 2) << 32 | readLin16(trBase + tssOff);
            return (long) readLin16(trBase + tssOff + 4) << 32 | (readLin32(trBase + tssOff) & 0xffffffffL);
        } finally {
            cpl = saved;
        }
    }

    private static final int[] DATA_SEGMENTS = {ES, DS, FS, GS};
    /** What {@link #enterInnerRing} pushes on the inner stack, in push order: a call gate's 31 parameters and four more at most. */
    final int[] innerFrame = new int[35];

    /**
     * The privilege change shared by events delivered to an inner ring and CALL through a call gate
     * (SDM Vol. 3A, 5.8.5 and 6.12.1): SS:ESP from inner (SS << 32 | ESP, from {@link #innerStack}),
     * the first count values of {@link #innerFrame} pushed there (size bytes each), CS loaded from
     * codeSel at ring dpl and the target EIP checked against its limit (#GP(limitError)). From virtual-8086 mode VM is cleared
     * first (the ring-0 loads are protected-mode loads) and DS, ES, FS and GS are null afterwards.
     * A fault on the way puts SS, CS, CPL and EFLAGS back, so it is raised in the outer context.
     */
    final void enterInnerRing(long inner, int dpl, int codeSel, int target, int limitError, int size, int count, boolean fromV86) {
        int newEsp = (int) inner, newSs = (int) (inner >>> 32);
        int ssSel = segSel[SS], ssBase = segBase[SS], ssAccess = segAccess[SS];
        long ssLimit = segLimit[SS];
        int csSel = segSel[CS], csBase = segBase[CS], csAccess = segAccess[CS];
        long csLimit = segLimit[CS];
        int oldCpl = cpl, oldFlags = flagsRest;
        if (fromV86) flagsRest &= ~VM;
        cpl = dpl;
        try {
            loadInnerStack(newSs, limitError); // limitError is EXT for interrupts, 0 for call gates
            int sp = newEsp;
            for (int k = 0; k < count; k++) sp = pushFrame(sp, size, innerFrame[k]);
            cpl = oldCpl;
            loadCodeSegment(codeSel, dpl);
            if ((target & 0xffffffffL) > segLimit[CS]) throw gp(limitError);
            setSp(sp);
        } catch (CpuFault f) {
            flagsRest = oldFlags;
            if (dpl != oldCpl) flushTlb(); // pages cached at the inner ring's privilege must not serve the outer one
            cpl = oldCpl;
            setCache(SS, ssSel, ssBase, ssLimit, ssAccess);
            setCache(CS, csSel, csBase, csLimit, csAccess);
            throw f;
        }
        if (fromV86) for (int s : DATA_SEGMENTS) setCache(s, 0, 0, 0, arch_UNUSABLE);
    }

    /** Interrupt to an inner ring: the new stack comes from the TSS (SDM Vol. 3A, 6.12.1). */
    private void deliverInterPrivilege(int dpl, int sel, int offset, int size, int flags, int returnEip, int error, int ext) {
        long inner = innerStack(dpl, ext);
        int[] f = innerFrame;
        int n = 0;
        f[n++] = segSel[SS];
        f[n++] = gpr[ESP];
        f[n++] = flags;
        f[n++] = segSel[CS];
        f[n++] = returnEip;
        if (error >= 0) f[n++] = error;
        enterInnerRing(inner, dpl, sel, offset, ext, size, n, false);
    }

    /** What caused a task switch: the busy bit, NT and back link depend on it (SDM Vol. 3A, Table 8-2). */
    static final int SWITCH_JMP = 0, SWITCH_CALL = 1, SWITCH_IRET = 2, SWITCH_INT = 3;

    /** Task switch to the TSS sel (implemented by {@link TaskSwitch}). */
    abstract void switchTask(int sel, int kind, int returnEip, int error);

    /** Real-mode delivery through the IVT at IDTR.base (SDM Vol. 3A, 20.1.4). */
    private void deliverReal(int vector, int returnEip) {
        if (vector * 4 + 3 > (idtLimit & 0xffff)) throw gp(0);
        int target = readLin32(idtBase + vector * 4);
        int sp = gpr[ESP];
        sp = pushFrame(sp, 2, getEflags());
        sp = pushFrame(sp, 2, segSel[CS]);
        sp = pushFrame(sp, 2, returnEip);
        loadCodeSegment(target >>> 16, 0);
        setSp(sp);
        eip = target & 0xffff;
        flagsRest &= ~(IF | TF | AC | RF);
    }

    /** Writes v below sp on the stack and returns the new sp; ESP itself is set later by setSp. */
    final int pushFrame(int sp, int size, int v) {
        sp -= size;
        if (!stack32) sp &= 0xffff;
        write(SS, sp, size, v);
        return sp;
    }

    final void push(int v, int size) {
        setSp(pushFrame(gpr[ESP], size, v));
    }

    final int stackPointer() {
        return stack32 ? gpr[ESP] : gpr[ESP] & 0xffff;
    }

    final int pop(int size) {
        int sp = stackPointer();
        int v = read(SS, sp, size);
        setSp(sp + size);
        return v;
    }

    final void setSp(int sp) {
        if (stack32) gpr[ESP] = sp;
        else gpr[ESP] = (gpr[ESP] & 0xffff0000) | (sp & 0xffff);
    }
}
