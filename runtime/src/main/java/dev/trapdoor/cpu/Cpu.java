package dev.trapdoor.cpu;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.VmcsField;

import java.util.concurrent.locks.LockSupport;

/**
 * The interpreter's vCPU core: the run loop over decoded blocks, block lookup and decoding, event
 * injection and the register exchange with {@link X86Registers}. Everything a guest does ends as
 * guest-visible state or an exit; an exception escaping here is an interpreter bug and becomes an
 * INTERNAL_ERROR exit.
 */
final class Cpu extends Exec {
    private static final int RECENT = 1024;

    private final BlockCache cache;
    private final Block[] recent = new Block[RECENT];
    private int seenEpoch;
    private volatile boolean stopRequested;
    private volatile boolean irqPending;
    private final int[] irqVectors = new int[8];
    private volatile Thread runner;
    private final Decoder.CodeSource fetcher = this::fetchCode;
    private long fetchFirstPage, fetchOtherPage;
    private InterruptController intr;
    private long instructionLimit = Long.MAX_VALUE;
    /** This entry's limit: the runtime's instruction limit or the VMX-preemption timer, whichever comes first. */
    private long runLimit = Long.MAX_VALUE;
    /** Retired count at which the VMX-preemption timer reaches 0 (Long.MAX_VALUE when it is not active). */
    private long timerDeadline = Long.MAX_VALUE;
    private int injectedVector = -1, injectedError = -1;
    /**
     * Debugger breakpoints on linear instruction addresses (not guest-visible: no DR7, no INT3),
     * sorted, replaced whole on change. A block is checked instruction by instruction only when
     * one of them falls inside it, so breakpoints elsewhere cost one binary search per block.
     */
    private volatile long[] breakpoints = new long[0];
    /** Resuming at a breakpoint executes its instruction once, as EFLAGS.RF does for DR breakpoints. */
    private int resumeAt = -1;

    Cpu(PhysicalMemory memory, Vmcs vmcs, BlockCache cache) {
        super(memory, vmcs);
        this.cache = cache;
        setRegisters(X86Registers.realMode(0xf000, 0xfff0));
    }

    // ---- the run loop

    void run(ExitInfo info) {
        exit = info;
        exitPending = false;
        runner = Thread.currentThread();
        enterVmx();
        try {
            runLoop();
        } catch (RuntimeException e) {
            info.reset(ExitReason.INTERNAL_ERROR);
            info.rip = eip & 0xffffffffL;
            info.message = "interpreter error at " + Integer.toHexString(segSel[CS]) + ":" + Integer.toHexString(eip) + ": " + e;
        } finally {
            runner = null;
        }
        VmxExit.record(this, vmcs, info);
    }

    /** VM entry's view of the VMCS: the controls for this run and the VMX-preemption timer (SDM 26.5.1: it counts down from the field's value, here once per instruction). */
    private void enterVmx() {
        procCtl = vmcs.procBased();
        pinCtl = vmcs.pinBased();
        vectoringInfo = 0;
        vectoringError = 0;
        timerDeadline = (pinCtl & PinBased.ACTIVATE_PREEMPTION_TIMER) != 0
                ? retired + vmcs.read(VmcsField.VMX_PREEMPTION_TIMER_VALUE) : Long.MAX_VALUE;
        runLimit = Math.min(instructionLimit, timerDeadline);
    }

    long timerDeadline() {
        return timerDeadline;
    }

    private void runLoop() {
        if (pendingIo != null) {
            try {
                completeIo();
            } catch (CpuFault f) {
                eip = insStart;
                deliverException(faultVector, faultError);
                if (exitPending) return;
            }
        }
        if (injectedVector >= 0) {
            int v = injectedVector;
            injectedVector = -1;
            insStart = eip;
            deliverException(v, injectedError);
            if (exitPending) return;
        }
        long entryInfo = vmcs.read(VmcsField.VM_ENTRY_INTERRUPTION_INFO);
        if (InterruptionInfo.valid(entryInfo)) {
            vmcs.store(VmcsField.VM_ENTRY_INTERRUPTION_INFO, entryInfo & ~(long) InterruptionInfo.VALID);
            if (!VmxEntry.inject(this, vmcs, entryInfo)) return;
            if (exitPending) return;
        }
        boolean windowExiting = (procCtl & ProcBased.INTERRUPT_WINDOW_EXITING) != 0;
        Block prev = null;
        while (true) {
            if (stopRequested) {
                stopRequested = false;
                exit.reset(ExitReason.STOP_REQUEST);
                exit.rip = eip & 0xffffffffL;
                exit.message = "stop requested";
                return;
            }
            if (retired >= runLimit) {
                exit.reset(ExitReason.PREEMPTION_TIMER);
                exit.rip = eip & 0xffffffffL;
                if (retired >= timerDeadline) exit.message = "VMX-preemption timer";
                return;
            }
            if (windowExiting && interruptsEnabled() && retired > interruptShadowUntil) {
                // Interrupt-window exiting (SDM 26.7.5): before any instruction once IF=1 and nothing blocks; it also ends HLT.
                halted = false;
                exit.reset(ExitReason.INTERRUPT_WINDOW);
                exit.rip = eip & 0xffffffffL;
                return;
            }
            if (interruptsEnabled() && retired > interruptShadowUntil) {
                if (irqPending) {
                    takeInterrupt();
                    if (exitPending) return;
                } else if (intr != null && intr.hasInterrupt()) {
                    takeExternalInterrupt(intr.acknowledge());
                    if (exitPending) return;
                }
            }
            if (halted) {
                if (runLimit != Long.MAX_VALUE) {
                    // HLT without HLT exiting while a limit is set (the runtime's next device deadline, or the VMX-preemption
                    // timer, which does not tick while halted here): sleeping in here would stop virtual time, so the vCPU
                    // leaves as the preemption timer does, still halted; the runtime skips virtual time to the deadline (its
                    // timers may raise the interrupt) and re-enters.
                    exit.reset(ExitReason.PREEMPTION_TIMER);
                    exit.rip = eip & 0xffffffffL;
                    exit.message = HALTED;
                    return;
                }
                waitForInterrupt();
                continue;
            }
            prev = runBlock(prev, windowExiting);
            if (exitPending) return;
        }
    }

    /** Runs the block at CS:EIP; returns it for chaining, or null after a fault. */
    private Block runBlock(Block prev, boolean windowExiting) {
        try {
            insStart = eip;
            Block b = chained(prev);
            if (b == null) {
                b = findBlock();
                if (prev != null) link(prev, b);
            }
            int epoch = cache.codePageEpoch();
            if (epoch != seenEpoch) {
                seenEpoch = epoch;
                flushWriteTlb();
            }
            Insn[] insns = b.insns;
            int n = b.count;
            // An interrupt waiting out an STI/MOV SS shadow is taken right after the shadowed instruction.
            if ((irqPending || intr != null) && interruptShadowUntil >= retired) n = (int) Math.min(n, interruptShadowUntil - retired + 1);
            if (runLimit - retired < n) n = (int) Math.max(1, runLimit - retired);
            if (windowExiting) n = 1; // the window can open after any instruction (STI, POPF, IRET)
            // EFLAGS.TF: one instruction, then a single-step #DB trap (SDM Vol. 3B, 18.3.1.4).
            boolean singleStep = (flagsRest & TF) != 0;
            if (singleStep) n = 1;
            int ipMask = b.code32 ? -1 : 0xffff;
            long[] bps = breakpoints;
            boolean checkBreakpoints = bps.length != 0 && breakpointInBlock(bps, b);
            for (int k = 0; k < n; k++) {
                Insn i = insns[k];
                insStart = eip;
                if (checkBreakpoints && hitBreakpoint(bps)) return null;
                eip = (eip + i.len) & ipMask;
                execute(i);
                retired++;
                if (!b.valid || exitPending) break; // rewrote itself (decode again from the next instruction) or exited
            }
            if (singleStep && !exitPending && !halted) {
                dr[6] |= 0x4000; // BS
                insStart = eip;
                deliverException(1, -1);
                return null;
            }
            return b;
        } catch (CpuFault f) {
            eip = insStart;
            deliverException(faultVector, faultError);
            delivering = 0; // a software interrupt whose delivery faulted
            return null;
        }
    }

    /**
     * The successor of prev at EIP if prev recorded it under the current translation epoch: the
     * block for CS:EIP depends only on CS base and attributes and the paging state, all of which
     * bump the epoch when they change.
     */
    private Block chained(Block prev) {
        if (prev == null || prev.chainOwner != this || prev.chainEpoch != translationEpoch) return null;
        Block b = null;
        if (eip == prev.succEip0) b = prev.succ0;
        else if (eip == prev.succEip1) b = prev.succ1;
        return b != null && b.valid ? b : null;
    }

    private void link(Block prev, Block b) {
        if (prev.chainOwner != this || prev.chainEpoch != translationEpoch) {
            prev.chainOwner = this;
            prev.chainEpoch = translationEpoch;
            prev.succ0 = null;
            prev.succ1 = null;
        }
        if (prev.succ0 == null) {
            prev.succEip0 = eip;
            prev.succ0 = b;
        } else {
            prev.succEip1 = eip;
            prev.succ1 = b;
        }
    }

    private Block findBlock() {
        if ((eip & 0xffffffffL) > segLimit[CS]) throw gp(0);
        int lin = segBase[CS] + eip;
        long phys = translateFetch(lin);
        int slot = (int) (phys ^ (phys >>> 10)) & (RECENT - 1);
        Block b = recent[slot];
        if (b != null && b.phys == phys && b.code32 == code32 && b.valid) return b;
        b = cache.get(phys, code32);
        if (b == null || !b.valid) {
            b = decodeBlock(phys);
            cache.put(b);
        }
        recent[slot] = b;
        return b;
    }

    private int fetchCode(int at) {
        int off = code32 ? at : at & 0xffff;
        if ((off & 0xffffffffL) > segLimit[CS]) throw gp(0);
        long phys = translate(segBase[CS] + off, ACC_FETCH);
        if ((phys >>> 12) != fetchFirstPage) fetchOtherPage = phys >>> 12;
        return memory.read8(phys);
    }

    private Block decodeBlock(long phys) {
        Insn[] buf = new Insn[Block.MAX_INSNS];
        int start = eip;
        int pc = start;
        int n = 0;
        int ipMask = code32 ? -1 : 0xffff;
        int startPage = (segBase[CS] + start) >>> 12;
        long firstPage = phys >>> 12;
        long secondPage = -1;
        fetchFirstPage = firstPage;
        while (n < Block.MAX_INSNS) {
            Insn d = new Insn();
            fetchOtherPage = -1;
            boolean ok;
            try {
                ok = Decoder.decode(d, fetcher, pc, code32);
            } catch (CpuFault f) {
                if (n == 0) throw f;
                break;
            }
            if (!ok) {
                if (n == 0) throw gp(0); // longer than 15 bytes (SDM Vol. 2, 2.3.11)
                break;
            }
            if (fetchOtherPage >= 0) secondPage = fetchOtherPage;
            d.offset = pc - start;
            buf[n++] = d;
            pc = (pc + d.len) & ipMask;
            if (d.row.has(Row.END) || d.op == Ops.UD || (d.rep != 0 && d.row.has(Row.STRING_OP))) break;
            if (((segBase[CS] + pc) >>> 12) != startPage) break;
        }
        int bytes = (pc - start) & ipMask;
        int inFirst = (int) Math.min(bytes, 4096 - (phys & 0xfff));
        Insn[] insns = java.util.Arrays.copyOf(buf, n);
        return new Block(phys, code32, insns, n, firstPage, secondPage, inFirst, secondPage < 0 ? 0 : bytes - inFirst);
    }

    // ---- events

    boolean injectInterrupt(int vector) {
        synchronized (irqVectors) {
            irqVectors[(vector >>> 5) & 7] |= 1 << (vector & 31);
            irqPending = true;
        }
        Thread t = runner;
        if (t != null) LockSupport.unpark(t);
        return true;
    }

    private int takeVector() {
        synchronized (irqVectors) {
            for (int w = 7; w >= 0; w--) {
                int bits = irqVectors[w];
                if (bits != 0) {
                    int bit = 31 - Integer.numberOfLeadingZeros(bits);
                    irqVectors[w] &= ~(1 << bit);
                    boolean more = false;
                    for (int x : irqVectors) more |= x != 0;
                    irqPending = more;
                    return w * 32 + bit;
                }
            }
            irqPending = false;
            return -1;
        }
    }

    private void takeInterrupt() {
        int vector = takeVector();
        if (vector < 0) return;
        takeExternalInterrupt(vector);
    }

    private void takeExternalInterrupt(int vector) {
        halted = false;
        insStart = eip;
        delivering = InterruptionInfo.encode(vector, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false);
        try {
            deliver(vector, -1, eip, false, true);
        } catch (CpuFault f) {
            eip = insStart;
            deliverException(faultVector, faultError);
        } finally {
            delivering = 0;
        }
    }

    /** HLT without HLT exiting: the vCPU sleeps until an interrupt it can take, or a stop request. */
    private void waitForInterrupt() {
        while (!stopRequested) {
            if ((irqPending || (intr != null && intr.hasInterrupt())) && interruptsEnabled()) {
                halted = false;
                return;
            }
            LockSupport.parkNanos(1_000_000L);
        }
    }

    private boolean breakpointInBlock(long[] bps, Block b) {
        long start = (segBase[CS] + eip) & 0xffffffffL;
        Insn last = b.insns[b.count - 1];
        long end = start + last.offset + last.len;
        int at = java.util.Arrays.binarySearch(bps, start);
        if (at >= 0) return true;
        int next = -at - 1;
        return next < bps.length && bps[next] < end;
    }

    private boolean hitBreakpoint(long[] bps) {
        int lin = segBase[CS] + eip;
        if (lin == resumeAt) {
            resumeAt = -1;
            return false;
        }
        if (java.util.Arrays.binarySearch(bps, lin & 0xffffffffL) < 0) return false;
        resumeAt = lin;
        exit.reset(ExitReason.EXCEPTION_NMI);
        exit.vector = 1;
        exit.qualification = 0; // not a DR0-3 match: a debugger breakpoint the guest cannot see
        exit.rip = eip & 0xffffffffL;
        exit.guestLinear = lin & 0xffffffffL;
        exit.message = "breakpoint";
        exitPending = true;
        return true;
    }

    synchronized void addBreakpoint(long linear) {
        long la = linear & 0xffffffffL;
        if (java.util.Arrays.binarySearch(breakpoints, la) >= 0) return;
        long[] next = java.util.Arrays.copyOf(breakpoints, breakpoints.length + 1);
        next[next.length - 1] = la;
        java.util.Arrays.sort(next);
        breakpoints = next;
    }

    synchronized void removeBreakpoint(long linear) {
        long la = linear & 0xffffffffL;
        breakpoints = java.util.Arrays.stream(breakpoints).filter(x -> x != la).toArray();
    }

    /**
     * Linear to physical for a debugger: no fault, no accessed/dirty update, -1 when not mapped.
     * Reads the 32-bit paging structures the same way {@link #translate} does.
     */
    long debugTranslate(long linear) {
        int lin = (int) linear;
        if ((cr0 & CR0_PG) == 0) return linear & 0xffffffffL;
        int pde = memory.read32((cr3 & 0xfffff000L) | ((lin >>> 22) << 2));
        if ((pde & 1) == 0) return -1;
        if ((pde & 0x80) != 0 && (cr4 & CR4_PSE) != 0) return (pde & 0xffc00000L) | (lin & 0x3fffff);
        int pte = memory.read32((pde & 0xfffff000L) | (((lin >>> 12) & 0x3ff) << 2));
        if ((pte & 1) == 0) return -1;
        return (pte & 0xfffff000L) | (lin & 0xfff);
    }

    /** The exit message of a PREEMPTION_TIMER exit taken while halted (HLT exiting off). */
    static final String HALTED = "halted";

    void setPortIo(dev.trapdoor.backend.PortIo io) {
        portIo = io;
    }

    void setMsrAccess(dev.trapdoor.backend.MsrAccess msrs) {
        msrAccess = msrs;
    }

    void setInterruptController(InterruptController c) {
        intr = c;
    }

    void setTscOffset(long offset) {
        tscOffset = offset;
    }

    void setInstructionLimit(long limit) {
        instructionLimit = limit;
    }

    /** Delivered at the start of the next run, with EIP at the instruction that exited (a fault). */
    void injectException(int vector, int errorCode) {
        injectedVector = vector;
        injectedError = errorCode;
    }

    void requestStop() {
        stopRequested = true;
        Thread t = runner;
        if (t != null) LockSupport.unpark(t);
    }

    // ---- snapshot: the event state only this class holds

    /** Requested interrupts, an exception injected for the next entry, and a breakpoint being resumed over. */
    void saveEvents(dev.trapdoor.snapshot.StateWriter out) {
        synchronized (irqVectors) {
            out.ints(irqVectors).bool(irqPending);
        }
        out.i32(injectedVector).i32(injectedError).i32(resumeAt);
    }

    void loadEvents(dev.trapdoor.snapshot.StateReader in) {
        int[] v = new int[irqVectors.length];
        in.intsInto(v);
        boolean pending = in.bool();
        int iv = in.range(-1, 255, "injected vector"), ie = in.i32(), ra = in.i32();
        synchronized (irqVectors) {
            System.arraycopy(v, 0, irqVectors, 0, v.length);
            irqPending = pending;
        }
        injectedVector = iv;
        injectedError = ie;
        resumeAt = ra;
        stopRequested = false;
    }

    // ---- registers

    void getRegisters(X86Registers out) {
        System.arraycopy(gpr, 0, out.gpr, 0, 8);
        out.eip = eip;
        out.eflags = getEflags();
        for (int s = 0; s < 6; s++) {
            Segment g = out.seg[s];
            g.selector = segSel[s];
            g.base = segBase[s] & 0xffffffffL;
            g.limit = segLimit[s];
            g.access = segAccess[s];
        }
        out.ldtr.selector = ldtrSel;
        out.ldtr.base = ldtrBase & 0xffffffffL;
        out.ldtr.limit = ldtrLimit;
        out.ldtr.access = ldtrAccess;
        out.tr.selector = trSel;
        out.tr.base = trBase & 0xffffffffL;
        out.tr.limit = trLimit;
        out.tr.access = trAccess;
        out.gdtBase = gdtBase & 0xffffffffL;
        out.gdtLimit = gdtLimit;
        out.idtBase = idtBase & 0xffffffffL;
        out.idtLimit = idtLimit;
        out.cr0 = cr0 & 0xffffffffL;
        out.cr2 = cr2 & 0xffffffffL;
        out.cr3 = cr3 & 0xffffffffL;
        out.cr4 = cr4 & 0xffffffffL;
        out.efer = efer;
    }

    void setRegisters(X86Registers in) {
        System.arraycopy(in.gpr, 0, gpr, 0, 8);
        eip = in.eip;
        setEflags(in.eflags);
        cr0 = (int) in.cr0;
        cr2 = (int) in.cr2;
        cr3 = (int) in.cr3;
        cr4 = (int) in.cr4;
        efer = in.efer;
        for (int s = 0; s < 6; s++) {
            Segment g = in.seg[s];
            segSel[s] = g.selector & 0xffff;
            segBase[s] = (int) g.base;
            segLimit[s] = g.limit & 0xffffffffL;
            segAccess[s] = g.access;
        }
        ldtrSel = in.ldtr.selector;
        ldtrBase = (int) in.ldtr.base;
        ldtrLimit = in.ldtr.limit & 0xffffffffL;
        ldtrAccess = in.ldtr.access;
        trSel = in.tr.selector;
        trBase = (int) in.tr.base;
        trLimit = in.tr.limit & 0xffffffffL;
        trAccess = in.tr.access;
        gdtBase = (int) in.gdtBase;
        gdtLimit = in.gdtLimit & 0xffff;
        idtBase = (int) in.idtBase;
        idtLimit = in.idtLimit & 0xffff;
        // VMX keeps CPL in SS.DPL (SDM Vol. 3C, 26.3.1.5).
        cpl = protectedMode() ? (segAccess[SS] >>> 5) & 3 : 0;
        refreshSegments();
        flushTlb();
    }

    long retired() {
        return retired;
    }

    /**
     * A listing of the code at CS:eip for diagnostics: up to bytes bytes read through the current
     * segmentation and paging without faulting or setting A/D bits beyond what a fetch would.
     */
    String describeAt(int at, int bytes) {
        byte[] code = new byte[bytes];
        int n = 0;
        int savedVector = faultVector, savedError = faultError, savedAddress = faultAddress;
        try {
            for (; n < bytes; n++) code[n] = (byte) memory.read8(translate(segBase[CS] + at + n, ACC_READ));
        } catch (CpuFault f) {
            // stop at the first unmapped byte
        } finally {
            faultVector = savedVector;
            faultError = savedError;
            faultAddress = savedAddress;
        }
        return Disassembler.listing(java.util.Arrays.copyOf(code, n), at, code32);
    }
}
