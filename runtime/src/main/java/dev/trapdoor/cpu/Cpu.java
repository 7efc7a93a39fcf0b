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
    /** An NMI is waiting for the boundary where nothing blocks it (set from any thread). */
    volatile boolean nmiPending;
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
     * sorted, replaced whole on change, and the host's other stops. Both reach the run loop through
     * {@link DebugUnit} (with DR0-DR7): a block is checked instruction by instruction only when a
     * condition falls inside it, so breakpoints elsewhere cost one binary search per block.
     */
    private volatile long[] breakpoints = new long[0];
    private volatile DebugStops hostStops = DebugStops.NONE;
    /** Resuming at a host stop executes its instruction once, as EFLAGS.RF does for DR breakpoints. */
    private long resumeAt = -1;
    /** DR6 bits of a #DB trap that a host stop got to first: delivered at the next entry. */
    private int pendingDebugTrap;
    /** The debug unit holds hits of an I/O instruction that exited: reported once the next entry completes it. */
    private boolean carriedHits;
    private volatile DebugHit lastHit;
    /** The exit message that marks a debug hit not yet turned into a #DB or a stop (compared by identity). */
    private static final String DEBUG_MARK = new String("debug hit");

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
        try {
            if (enterVmx()) runLoop();
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
    private boolean enterVmx() {
        // The control checks (SDM 26.2) come before those of the guest state (26.3), which fail with an exit.
        String bad = translationControlProblem();
        if (bad == null) {
            String guest = VmxEntry.guestCr0Problem(cr0, vmcs.procBased2());
            if (guest != null) {
                VmxEntry.failGuestState(this, guest);
                return false;
            }
            bad = enterTranslation();
        }
        if (bad != null) {
            exit.reset(ExitReason.INTERNAL_ERROR);
            exit.rip = eip & 0xffffffffL;
            exit.message = "VM entry failed: " + bad;
            return false;
        }
        procCtl = vmcs.procBased();
        pinCtl = vmcs.pinBased();
        proc2Ctl = vmcs.procBased2();
        nmiBlocked = (vmcs.read(VmcsField.GUEST_INTERRUPTIBILITY_STATE) & VmxEvents.BLOCKING_BY_NMI) != 0; // the VMM may change it (27.3.2.5)
        vectoringInfo = 0;
        vectoringError = 0;
        timerDeadline = (pinCtl & PinBased.ACTIVATE_PREEMPTION_TIMER) != 0
                ? retired + vmcs.read(VmcsField.VMX_PREEMPTION_TIMER_VALUE) : Long.MAX_VALUE;
        runLimit = Math.min(instructionLimit, timerDeadline);
        return true;
    }

    /**
     * EPT and VPID as VM entry sets them up (their controls checked before), and for PAE paging the
     * PDPTEs loaded from CR3's table (26.3.2.4). Null when the entry goes on, else why it failed.
     */
    private String enterTranslation() {
        int vpid = vmcs.vpid();
        boolean ept = vmcs.eptEnabled();
        long eptp = vmcs.read(VmcsField.EPT_POINTER);
        enterTranslation(vpid, ept, eptp);
        if (pdptesStale && paePaging()) {
            try {
                loadPdptes();
            } catch (CpuFault f) {
                return faultVector == EPT_EXIT ? "the PDPTEs' table is not reachable through EPT" : "a PDPTE has reserved bits set (SDM 26.3.1.6)";
            }
        }
        pdptesStale = false;
        return null;
    }

    /** The checks of SDM 26.2.1.1 on VPID, EPT and "unrestricted guest"; null when they pass. */
    private String translationControlProblem() {
        int proc2 = vmcs.procBased2();
        if ((proc2 & dev.trapdoor.vmx.ProcBased2.ENABLE_VPID) != 0 && vmcs.vpid() == 0)
            return "enable VPID with VPID 0 (SDM 26.2.1.1)";
        if (vmcs.eptEnabled()) return eptPointerProblem(vmcs.read(VmcsField.EPT_POINTER));
        if ((proc2 & dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST) != 0)
            return "unrestricted guest without enable EPT (SDM 26.2.1.1)";
        return null;
    }

    /** The checks of SDM 26.2.1.1 on the EPT pointer; null when it is valid. */
    private String eptPointerProblem(long eptp) {
        if (!hasEptTables()) return "EPT enabled but no EPT tables are attached to this vCPU";
        int type = (int) eptp & 7;
        if (type != 0 && type != 6) return "EPT pointer memory type " + type + " (UC or WB only)";
        if (((eptp >>> 3) & 7) != 3) return "EPT pointer page-walk length " + (((eptp >>> 3) & 7) + 1) + " (4 only)";
        if ((eptp & 0xf80L) != 0) return "EPT pointer reserved bits 11:7 set";
        if ((eptp >>> eptWalker().maxPhysAddr()) != 0) return "EPT pointer beyond MAXPHYADDR";
        return null;
    }

    /** Set when the register file was replaced: the PDPTEs are loaded at the next VM entry. */
    private boolean pdptesStale;

    long timerDeadline() {
        return timerDeadline;
    }

    private void runLoop() {
        if (debugDirty) rebuildDebug();
        String badControls = VmxEvents.checkControls(pinCtl, procCtl);
        if (badControls != null) {
            VmxEntry.failEntry(this, vmcs, badControls);
            return;
        }
        boolean mtf = (procCtl & ProcBased.MONITOR_TRAP_FLAG) != 0;
        if (pendingIo != null) {
            try {
                completeIo();
            } catch (CpuFault f) {
                dropDebugHits();
                eip = insStart;
                deliverException(faultVector, faultError);
            }
            if (carriedHits) {
                carriedHits = false;
                if (debug != null && debug.hasHits()) debugHit();
            }
            if (exiting()) return;
            // The I/O instruction completed: the monitor trap flag's exit follows it (SDM 26.5.2).
            if (mtf) {
                VmxEvents.monitorTrap(this);
                return;
            }
        }
        if (pendingDebugTrap != 0) {
            int bits = pendingDebugTrap;
            pendingDebugTrap = 0;
            debugException(bits);
            if (exiting()) return;
        }
        mmioCompleted();
        if (mmioLogged != 0) {
            // An instruction that exited for MMIO runs to its end before anything else enters the guest, as KVM
            // completes an emulated MMIO instruction at the next KVM_RUN; its finished accesses are replayed.
            runBlock(null, true);
            if (exiting()) return;
            mmioInstructionDone();
        }
        boolean injected = false;
        if (injectedVector >= 0) {
            int v = injectedVector;
            injectedVector = -1;
            insStart = eip;
            deliverException(v, injectedError);
            if (exiting()) return;
            injected = true;
        }
        long entryInfo = vmcs.read(VmcsField.VM_ENTRY_INTERRUPTION_INFO);
        if (InterruptionInfo.valid(entryInfo)) {
            vmcs.store(VmcsField.VM_ENTRY_INTERRUPTION_INFO, entryInfo & ~(long) InterruptionInfo.VALID);
            if (!VmxEntry.inject(this, vmcs, entryInfo)) return;
            if (exiting()) return;
            injected = true;
        }
        // MTF and event injection (SDM 26.5.2): the MTF exit is pending right after the injected event is delivered
        // (or at once for the "pending MTF" injection, type 7 vector 0), before any guest instruction.
        if (mtf && injected) {
            VmxEvents.monitorTrap(this);
            return;
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
            // An exit the boundary made itself (a window, NMI or external-interrupt exit) ends the run; one that event
            // delivery raised goes through exiting(), which may let a debugger's vector stop continue.
            if (VmxEvents.boundary(this, windowExiting) && (!exitPending || exiting())) return;
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
            prev = runBlock(prev, windowExiting || mtf);
            if (exiting()) return;
            if (mtf) {
                VmxEvents.monitorTrap(this); // after one instruction, or after the fault it raised was delivered
                return;
            }
        }
    }

    /** Runs the block at CS:EIP (one instruction when oneStep); returns it for chaining, or null after a fault. */
    private Block runBlock(Block prev, boolean oneStep) {
        try {
            if (debugDirty) rebuildDebug();
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
            if ((irqPending || intr != null || nmiPending) && interruptShadowUntil >= retired) n = (int) Math.min(n, interruptShadowUntil - retired + 1);
            if (runLimit - retired < n) n = (int) Math.max(1, runLimit - retired);
            if (oneStep) n = 1; // a window can open after any instruction (STI, POPF, IRET); MTF exits after each
            // EFLAGS.TF: one instruction, then a single-step #DB trap (SDM Vol. 3B, 18.3.1.4).
            boolean singleStep = (flagsRest & TF) != 0;
            if (singleStep) n = 1;
            int ipMask = b.code32 ? -1 : 0xffff;
            DebugUnit d = debug;
            // EFLAGS.RF suppresses instruction breakpoints for one instruction (SDM Vol. 3B, 17.3.1.1).
            boolean check = d != null && (checksBlock(d, b) || (flagsRest & RF) != 0);
            if (d == null && (flagsRest & RF) != 0) flagsRest &= ~RF;
            for (int k = 0; k < n; k++) {
                Insn i = insns[k];
                insStart = eip;
                if (check && beforeInstruction(d, i)) return null;
                eip = (eip + i.len) & ipMask;
                execute(i);
                retired++;
                if (!b.valid || exitPending) break; // rewrote itself (decode again from the next instruction) or exited
            }
            if (exitPending) {
                // A data breakpoint and single-step in one instruction are one #DB with both bits (17.3.1.2, 17.3.1.4).
                if (exit.message == DEBUG_MARK) exitAfterDebug(singleStep && !halted ? DebugUnit.DR6_BS : 0);
                return null;
            }
            if (singleStep && !halted) {
                debugException(DebugUnit.DR6_BS);
                return null;
            }
            return b;
        } catch (CpuFault f) {
            dropDebugHits();
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
        long phys = translateFetch(segBase[CS] + off);
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

    /** INTR is asserted: a vector queued by {@link #injectInterrupt} or the interrupt controller's request. */
    boolean interruptRequested() {
        return irqPending || (intr != null && intr.hasInterrupt());
    }

    /** The INTA cycle: the highest queued vector, else the controller's; -1 if nothing is requested. */
    int acknowledgeInterrupt() {
        if (irqPending) {
            int v = takeVector();
            if (v >= 0) return v;
        }
        return intr != null && intr.hasInterrupt() ? intr.acknowledge() : -1;
    }

    /** Delivers the requested external interrupt through the IDT (IF=1, nothing blocks it). */
    void takePendingInterrupt() {
        int vector = acknowledgeInterrupt();
        if (vector >= 0) takeExternalInterrupt(vector);
    }

    /** An NMI through vector 2 (SDM Vol. 3A, 6.7.1): it blocks further NMIs until IRET. */
    void takeNmi() {
        halted = false;
        insStart = eip;
        nmiBlocked = true;
        delivering = VmxEvents.NMI_INFO;
        try {
            deliver(2, -1, eip, false, true);
        } catch (CpuFault f) {
            eip = insStart;
            deliverException(faultVector, faultError);
        } finally {
            delivering = 0;
        }
    }

    /** Raises NMI (edge-triggered: one pending at most, SDM Vol. 3A, 6.7.1). */
    void injectNmi() {
        nmiPending = true;
        Thread t = runner;
        if (t != null) LockSupport.unpark(t);
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
            if (VmxEvents.wakes(this)) return; // the boundary events take it (and end HLT) or exit for it
            LockSupport.parkNanos(1_000_000L);
        }
    }

    // ---- debug conditions (DebugUnit: DR0-DR7 and the host's stops)

    private boolean checksBlock(DebugUnit d, Block b) {
        long start = (segBase[CS] + eip) & 0xffffffffL;
        Insn last = b.insns[b.count - 1];
        return d.checksBlock(start, start + last.offset + last.len);
    }

    /** Before instruction i at CS:EIP: true when it must not execute now (a host stop, or an instruction-breakpoint #DB). */
    private boolean beforeInstruction(DebugUnit d, Insn i) {
        long la = (segBase[CS] + eip) & 0xffffffffL;
        if (la == resumeAt) resumeAt = -1;
        else if (hostStopBefore(d, i, la)) return true;
        if ((flagsRest & RF) == 0) {
            int bits = d.execHits(la);
            if (bits != 0) { // a fault: EIP stays at the instruction and RF is pushed as it is (0)
                debugException(bits);
                return true;
            }
        }
        flagsRest &= ~RF; // cleared at the start of each instruction, after the instruction-breakpoint check
        if (d.hasIoBreakpoints()) {
            int port = ioPort(i);
            if (port >= 0) {
                int bits = d.ioHits(port, i.size);
                if (bits != 0) { // I/O breakpoints are traps, reported with the data hits after the instruction
                    d.drHits |= bits;
                    debugHit();
                }
            }
        }
        return false;
    }

    private int ioPort(Insn i) {
        return switch (i.op) {
            case Ops.IN_I, Ops.OUT_I -> i.imm & 0xff;
            case Ops.IN_D, Ops.OUT_D, Ops.INS, Ops.OUTS -> gpr[EDX] & 0xffff;
            default -> -1;
        };
    }

    /** A host breakpoint, mnemonic or port stop before the instruction: an exit the guest never sees. */
    private boolean hostStopBefore(DebugUnit d, Insn i, long la) {
        String kind = null;
        int id = 0, port = -1;
        if (d.hostBreakpoint(la)) {
            kind = DebugStops.BREAKPOINT;
        } else if (d.mnemonicStop(i.row)) {
            kind = DebugStops.MNEMONIC;
        } else if (d.host.ports.length != 0 && (port = ioPort(i)) >= 0) {
            DebugStops.PortRange p = d.host.portStop(port);
            if (p != null) {
                kind = DebugStops.PORT;
                id = p.id();
            }
        }
        if (kind == null) return false;
        resumeAt = la;
        boolean out = i.op == Ops.OUT_I || i.op == Ops.OUT_D || i.op == Ops.OUTS;
        exit.reset(ExitReason.EXCEPTION_NMI);
        exit.vector = 1;
        exit.qualification = id; // not a DR0-3 match: a debugger stop the guest cannot see
        exit.rip = eip & 0xffffffffL;
        exit.guestLinear = la;
        exit.message = kind;
        if (kind == DebugStops.PORT) {
            exit.port = port;
            exit.size = i.size;
            exit.in = !out;
        }
        lastHit = new DebugHit(kind, id, eip & 0xffffffffL, la, -1, kind == DebugStops.PORT ? i.size : 0, out, 0,
                kind == DebugStops.MNEMONIC ? i.row.mnemonic : null);
        exitPending = true;
        return true;
    }

    @Override
    final void debugHit() {
        DebugUnit d = debug;
        if (d != null && d.hitEip < 0) d.hitEip = insStart & 0xffffffffL;
        if (exitPending) return; // a real exit already ends this instruction: it wins
        exitPending = true;
        exit.reset(ExitReason.EXCEPTION_NMI);
        exit.message = DEBUG_MARK;
    }

    /** exitPending is set: settles debug hits first; true when the run must return with an exit. */
    private boolean exiting() {
        if (!exitPending) return false;
        if (exit.message == DEBUG_MARK) return exitAfterDebug(0);
        if (debug != null) {
            // An I/O instruction's exit ends it only when the next entry completes it: its hits (an I/O
            // breakpoint, the memory an OUTS read) are reported then.
            if (exit.reason == ExitReason.IO_INSTRUCTION && debug.hasHits()) carriedHits = true;
            else debug.clearHits();
        }
        return true;
    }

    /** The instruction faulted: what it touched before the fault is not reported (it did not complete). */
    private void dropDebugHits() {
        carriedHits = false;
        if (debug != null) debug.clearHits();
        if (exitPending && exit.message == DEBUG_MARK) exitPending = false;
    }

    /**
     * An instruction or event delivery completed with debug hits and no exit of its own: a host
     * watch or vector becomes a stop (any guest #DB waits for the next entry), DR hits (and BS,
     * passed in extraDr6) become one #DB trap. True when an exit is pending after that.
     */
    private boolean exitAfterDebug(int extraDr6) {
        exitPending = false;
        DebugUnit d = debug;
        if (d == null) return false;
        int bits = d.drHits | extraDr6;
        if (d.watchHit >= 0 || d.vectorHit >= 0) {
            exit.reset(ExitReason.EXCEPTION_NMI);
            exit.vector = 1;
            exit.rip = eip & 0xffffffffL;
            if (d.watchHit >= 0) {
                DebugStops.Watch w = d.host.watches[d.watchHit];
                exit.message = DebugStops.WATCHPOINT;
                exit.qualification = w.id();
                exit.guestLinear = d.hitLinear;
                exit.guestPhysical = d.hitPhysical;
                exit.size = d.hitSize;
                exit.in = !d.hitWrite;
                lastHit = new DebugHit(DebugStops.WATCHPOINT, w.id(), d.hitEip, d.hitLinear, d.hitPhysical, d.hitSize, d.hitWrite, d.hitValue, null);
            } else {
                exit.message = DebugStops.VECTOR;
                exit.qualification = d.vectorHit;
                exit.guestLinear = (segBase[CS] + eip) & 0xffffffffL;
                lastHit = new DebugHit(DebugStops.VECTOR, 0, d.hitEip, exit.guestLinear, -1, 0, false, d.vectorHit, null);
            }
            d.clearHits();
            pendingDebugTrap |= bits;
            exitPending = true;
            return true;
        }
        d.clearHits();
        if (bits != 0) debugException(bits);
        return exiting();
    }

    /**
     * #DB (vector 1) with these DR6 bits: B0-B3 replace the old ones, BS and BD add to them (SDM
     * Vol. 3B, 17.2.3). EIP is where the handler returns to: the instruction for an instruction
     * breakpoint (a fault), the next one for data, I/O and single-step (traps). When the exception
     * bitmap makes #DB an exit, DR6 stays as it was and the qualification carries the bits (SDM
     * Vol. 3C, 28.2.1).
     */
    private void debugException(int bits) {
        int saved = dr[6];
        if ((bits & 0xf) != 0) dr[6] &= ~0xf;
        dr[6] |= bits;
        insStart = eip;
        deliverException(1, -1);
        if (exitPending && exit.reason == ExitReason.EXCEPTION_NMI && exit.vector == 1 && exit.message != DEBUG_MARK) {
            exit.qualification = bits;
            dr[6] = saved;
        }
    }

    private void rebuildDebug() {
        debugDirty = false;
        DebugUnit old = debug;
        debug = DebugUnit.build(dr, cr4, breakpoints, hostStops);
        // Watched pages must leave the software TLB (every VPID's); without page watches, before or now, the TLB stays.
        if ((old != null && old.watchesPages()) || (debug != null && debug.watchesPages())) flushAllContexts();
    }

    synchronized void addBreakpoint(long linear) {
        long la = linear & 0xffffffffL;
        if (java.util.Arrays.binarySearch(breakpoints, la) >= 0) return;
        long[] next = java.util.Arrays.copyOf(breakpoints, breakpoints.length + 1);
        next[next.length - 1] = la;
        java.util.Arrays.sort(next);
        breakpoints = next;
        debugDirty = true;
    }

    synchronized void removeBreakpoint(long linear) {
        long la = linear & 0xffffffffL;
        breakpoints = java.util.Arrays.stream(breakpoints).filter(x -> x != la).toArray();
        debugDirty = true;
    }

    /** Replaces the host's stops; the vCPU applies them before its next instruction (running or not). */
    void setDebugStops(DebugStops stops) {
        hostStops = stops == null ? DebugStops.NONE : stops;
        debugDirty = true;
    }

    DebugHit lastDebugHit() {
        return lastHit;
    }

    /**
     * Linear to physical for a debugger: no fault, no accessed/dirty update, -1 when not mapped.
     * The address is where the bytes are in the VM's memory map (through EPT when it is on).
     */
    long debugTranslate(long linear) {
        return walkView(linear).hostPhysical();
    }

    /** The walk behind linear, step by step (guest entries and the EPT entries beneath them), read-only. */
    dev.trapdoor.memory.paging.WalkView.Result walkView(long linear) {
        boolean ept = vmcs.eptEnabled() && hasEptTables();
        var view = new dev.trapdoor.memory.paging.WalkView(memory, ept ? eptTables() : null,
                vmcs.read(VmcsField.EPT_POINTER), 36, ept ? eptWalker().maxPhysAddr() : 39);
        long[] pdptes = new long[4];
        for (int k = 0; k < 4; k++) {
            // Replaced registers load their PDPTEs at the next entry: until then show what CR3's table holds.
            pdptes[k] = pdptesStale ? memory.read64((cr3 & 0xffffffe0L) + 8L * k) : walker.pdpte(k);
        }
        return view.walk(linear, cr0 & 0xffffffffL, cr3 & 0xffffffffL, cr4 & 0xffffffffL, pdptes);
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
        // Also while running: a device that moved its deadline from inside the run (an MMIO timer write) is met in time.
        runLimit = Math.min(instructionLimit, timerDeadline);
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

    /**
     * After a restore replaced the registers: the walker sees the new control registers, PAE's
     * PDPTEs load again at the next entry, every VPID's TLB goes, the debug conditions are rebuilt.
     */
    void afterStateLoad() {
        syncWalker();
        flushAllContexts();
        pdptesStale = true;
        debugDirty = true;
    }

    /** NMI and debug-trap state held here (format 2 of the CPU state). */
    void saveNmiAndDebug(dev.trapdoor.snapshot.StateWriter out) {
        out.bool(nmiPending).bool(nmiBlocked).bool(movSsShadow).bool(monitorArmed).i32(pendingDebugTrap);
    }

    void loadNmiAndDebug(dev.trapdoor.snapshot.StateReader in) {
        nmiPending = in.bool();
        nmiBlocked = in.bool();
        movSsShadow = in.bool();
        monitorArmed = in.bool();
        pendingDebugTrap = in.i32();
    }

    /** Requested interrupts, an exception injected for the next entry, and a breakpoint being resumed over. */
    void saveEvents(dev.trapdoor.snapshot.StateWriter out) {
        synchronized (irqVectors) {
            out.ints(irqVectors).bool(irqPending);
        }
        out.i32(injectedVector).i32(injectedError).i64(resumeAt);
    }

    void loadEvents(dev.trapdoor.snapshot.StateReader in) {
        int[] v = new int[irqVectors.length];
        in.intsInto(v);
        boolean pending = in.bool();
        int iv = in.range(-1, 255, "injected vector"), ie = in.i32();
        long ra = in.i64();
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
        // New guest state: with VPIDs the TLB keeps its translations (VM entry does not flush them, SDM Vol. 3C,
        // 29.4.3.3); without, VM entry flushes them anyway.
        if ((vmcs.procBased2() & dev.trapdoor.vmx.ProcBased2.ENABLE_VPID) == 0) flushTlb();
        else translationEpoch++;
        pdptesStale = true;
        debugDirty = true; // CR4.DE may have changed
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
