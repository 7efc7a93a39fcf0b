package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.vmx.ExitInfo;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One virtual CPU: its registers (read and written through a cache that is synced with the
 * backend only when a script looks or changes something) and its run loop: enter the guest, take
 * the exit, let watches and then the default handler deal with it, re-enter.
 */
public final class Vcpu {
    private final Vm vm;
    private final int index;
    private final VcpuBackend backend;
    private final ExitInfo info = new ExitInfo();
    private final X86Registers regs = new X86Registers();
    private boolean regsValid;
    private boolean regsDirty;
    private long exitSequence;
    private Exit lastExit;
    /** An exit a watch stopped on, not yet finished; the next run finishes it first. */
    private Exit pending;
    private int pendingNextWatch;
    private volatile boolean running;
    /** Retired-instruction count at which a step ends, or Long.MAX_VALUE when not stepping. */
    private long stepTarget = Long.MAX_VALUE;
    /** Single steps still to take on a backend that steps by trap (KVM), 0 otherwise. */
    private long trapSteps;
    /** Interrupts and NMIs that exited, waiting for VM-entry injection (interpreter only). */
    private final EventInjector events = new EventInjector();
    /** Controls turned off for one natively stepped instruction (DefaultExitHandler), restored at the MTF exit; null if none. */
    NativeStep nativeStep;

    Vcpu(Vm vm, int index, VcpuBackend backend) {
        this.vm = vm;
        this.index = index;
        this.backend = backend;
        // Ports and MSRs the VMCS bitmaps let through are reached by the CPU itself: the VM's bus and MSR set.
        dev.trapdoor.devices.IoBus bus = vm.io();
        backend.setPortIo(new dev.trapdoor.backend.PortIo() {
            @Override public int in(int port, int size) {
                int v = bus.read(port, size);
                if (vm.shutdownPending()) backend.requestStop();
                return v;
            }
            // A device reached without an exit may ask for shutdown (isa-debug-exit, the i8042 reset line):
            // the vCPU then stops soon and the run reports the shutdown, as it would after an exit.
            @Override public void out(int port, int size, int value) {
                bus.write(port, size, value);
                if (vm.shutdownPending()) backend.requestStop();
            }
        });
        backend.setMsrAccess(new dev.trapdoor.backend.MsrAccess() {
            @Override public boolean read(int msr, long[] value) {
                Long v = msr == MsrTable.IA32_TSC && backend.instructionsRetired() >= 0 ? Long.valueOf(vm.getClock().now()) : vm.getMsrs().read(msr);
                if (v == null) return false;
                value[0] = v;
                return true;
            }
            @Override public boolean write(int msr, long value) { return vm.getMsrs().write(msr, value); }
        });
    }

    /**
     * This vCPU's VMCS on the interpreter (its VM-execution controls and the last exit's
     * information; {@code vcpu.vmcs['EXCEPTION_BITMAP'] = 1 << 14}), null on a backend without one (KVM).
     */
    public dev.trapdoor.vmx.Vmcs getVmcs() {
        return backend instanceof dev.trapdoor.cpu.InterpreterVcpu i ? i.vmcs : null;
    }

    public Vm getVm() { return vm; }
    public int getIndex() { return index; }
    public boolean isRunning() { return running; }
    public Exit getLastExit() { return lastExit; }
    /** The exit the last run stopped on and that the next run will finish, or null. */
    public Exit getPendingExit() { return pending; }
    /** Guest instructions retired, or -1 where the backend cannot count them. */
    public long getInstructions() { return backend.instructionsRetired(); }

    // ---- entry states

    /** Real mode at cs:ip, the rest as after RESET (SDM Vol. 3A, Table 9-1). */
    public void resetRealMode(int cs, int ip) {
        setRegisters(X86Registers.realMode(cs, ip));
    }

    /** 32-bit protected mode with flat segments, paging off, at eip. */
    public void resetFlat32(long eip) {
        setRegisters(X86Registers.flat32((int) eip));
    }

    // ---- the run loop

    /**
     * Runs until something stops it: a breakpoint, a hook, HLT with nothing to wake the guest, a
     * device's shutdown request, a fault or {@link Vm#stop()}. A pending exit (the one the last run
     * stopped on) is finished first, so breakpoints behave as in a debugger.
     */
    public RunResult run() {
        stepTarget = Long.MAX_VALUE;
        trapSteps = 0;
        return enterLoop();
    }

    /**
     * Executes n guest instructions (or fewer, if something else stops the run first) and returns
     * with {@link StopReason#STEPPED}. Exits on the way are handled as in a run. Needs a backend
     * that counts instructions (the interpreter).
     */
    public RunResult step(long n) {
        if (n <= 0) throw new IllegalArgumentException("step needs a positive instruction count");
        long now = backend.instructionsRetired();
        if (now < 0) {
            // KVM: one single-step trap per instruction (KVM_GUESTDBG_SINGLESTEP), reported as VMX's monitor trap flag
            if (!backend.setMonitorTrap(false))
                throw new IllegalStateException("the " + vm.getBackend() + " backend can neither count instructions nor single-step");
            trapSteps = n;
            try {
                return enterLoop();
            } finally {
                trapSteps = 0;
                backend.setMonitorTrap(false);
            }
        }
        stepTarget = now + n;
        try {
            return enterLoop();
        } finally {
            stepTarget = Long.MAX_VALUE;
        }
    }

    public RunResult step() {
        return step(1);
    }

    private RunResult enterLoop() {
        if (running) throw new IllegalStateException("vCPU " + index + " is already running");
        running = true;
        try {
            if (pending != null) {
                Exit e = pending;
                pending = null;
                RunResult r = dispatch(e, pendingNextWatch);
                if (r != null) return r;
            }
            RecordReplay rr = vm.recordReplay();
            while (true) {
                events.beforeEntry(this);
                if (rr.replaying()) rr.beforeEntry(this);
                syncRegistersIn();
                long timeLimit = vm.time().limit(backend);
                backend.setInstructionLimit(Math.min(Math.min(timeLimit, stepTarget), rr.replaying() ? rr.entryLimit(this) : Long.MAX_VALUE));
                if (trapSteps > 0) backend.setMonitorTrap(true);
                backend.run(info);
                regsValid = false;
                vm.time().sync(backend);
                if (trapSteps > 0 && info.reason == dev.trapdoor.vmx.ExitReason.MONITOR_TRAP_FLAG) {
                    if (--trapSteps == 0) return RunResult.of(StopReason.STEPPED, null, "");
                    continue;                                   // our own step (KVM's single-step trap), not the guest's exit
                }
                boolean host = hostCaused(info, timeLimit);
                // Exits the host caused (a stop request, a step's or a replay's instruction limit) are not part of the
                // guest's exit stream: devices do not see them and they cost no virtual time, so a run that was stopped
                // and stepped takes the same guest exits at the same instructions as one that was not.
                if (!host) vm.runBetweenExits();
                Exit e = new Exit(this, ++exitSequence, info);
                e.debugHit = debugHitOf(info);
                e.guestNumber = host ? -1 : ++guestExits;
                if (host) vm.counters().count(info.reason, 0);
                else chargeRoundTrip(info.reason);
                if (!host) digest(e);
                if (rr.mode() != RecordReplay.Mode.OFF && rr.exitTaken(this, e)) {
                    pending = e;
                    pendingNextWatch = 0;
                    lastExit = e;
                    return RunResult.of(StopReason.BREAKPOINT, e, "replayed to exit " + e.getSequence());
                }
                RunResult r = dispatch(e, 0);
                if (r != null) return r;
                if (stepTarget != Long.MAX_VALUE && backend.instructionsRetired() >= stepTarget)
                    return RunResult.of(StopReason.STEPPED, null, "");
            }
        } finally {
            running = false;
        }
    }

    /** The modelled exit+entry cost: to the counters, and to virtual time where the backend counts instructions. */
    private void chargeRoundTrip(dev.trapdoor.vmx.ExitReason reason) {
        ExitCostModel costs = vm.getExitCosts();
        long cycles = costs.roundTrip(getVmcs());
        vm.counters().count(reason, cycles);
        if (costs.chargeTime && backend.instructionsRetired() >= 0) vm.time().charge(costs.nanos(cycles));
    }

    /** The VM's virtual time as this vCPU sees it now, also from inside a run. */
    long virtualNow() {
        return vm.time().now(backend);
    }

    /** A device moved the clock's next deadline from the vCPU's thread (mid-run or in an exit): come back in time for it. */
    void deadlineMoved() {
        if (running) backend.setInstructionLimit(Math.min(vm.time().limitWhileRunning(backend), stepTarget));
    }

    // ---- reverse execution

    /**
     * Goes back to the previous guest exit of this reason (an ExitReason, its name or number; null
     * for any), as a debugger's reverse-continue: restores the latest checkpoint of the recording
     * before it and replays to it. The exit is left pending, as a breakpoint leaves one; the VM is
     * then replaying, so continuing re-runs the recorded future. Needs {@link Vm#record}.
     */
    public RunResult reverseContinue(Object reason) {
        RecordReplay rr = vm.recordReplay();
        Recording rec = recordingForReverse(rr);
        dev.trapdoor.vmx.ExitReason r = reason == null ? null : Reasons.resolve(reason);
        Exit at = currentExit();
        long here = at != null && at.guestNumber > 0 ? at.guestNumber : guestExits + 1;
        long target = rr.previousExit(here, r);
        if (target < 0)
            throw new IllegalStateException("no earlier " + (r == null ? "" : r.name() + " ") + "exit in the recording (it holds guest exits "
                    + (rec.getStart().getExits() + 1) + " to " + rec.getEndExit() + ")");
        rr.replayFrom(rec, rr.checkpointForExit(target));
        return seek(rr, target);
    }

    /** Reverse-continue to the previous exit of any reason. */
    public RunResult reverseContinue() {
        return reverseContinue(null);
    }

    private RunResult seek(RecordReplay rr, long target) {
        if (pending != null && pending.guestNumber == target)
            return RunResult.of(StopReason.BREAKPOINT, pending, "back at exit " + pending.getSequence());
        rr.seekExit = target;
        rr.seeking = true;
        try {
            RunResult res = null;
            for (int tries = 0; tries < 1000 && !(pending != null && pending.guestNumber == target); tries++) {
                res = run();
                if (res.reason() == StopReason.ERROR || res.reason() == StopReason.INTERRUPTED && guestExits >= target) break;
            }
            if (pending == null || pending.guestNumber != target)
                throw new IllegalStateException("the replay did not reach exit " + target + " (" + res + "): it diverged from the recording");
            return RunResult.of(StopReason.BREAKPOINT, pending, "back at exit " + pending.getSequence());
        } finally {
            rr.seekExit = -1;
            rr.seeking = false;
        }
    }

    /**
     * Goes back n instructions: restores the latest checkpoint before that point and replays to
     * it. The VM is then replaying. Needs {@link Vm#record}.
     */
    public RunResult reverseStep(long n) {
        if (n <= 0) throw new IllegalArgumentException("reverse-step needs a positive instruction count");
        RecordReplay rr = vm.recordReplay();
        Recording rec = recordingForReverse(rr);
        long target = getInstructions() - n;
        Recording.Checkpoint cp = rr.checkpointForInstructions(target);
        rr.replayFrom(rec, cp);
        long now = getInstructions();
        if (now == target) return RunResult.of(StopReason.STEPPED, pending, "");
        rr.seeking = true;
        try {
            return step(target - now);
        } finally {
            rr.seeking = false;
        }
    }

    public RunResult reverseStep() {
        return reverseStep(1);
    }

    private Recording recordingForReverse(RecordReplay rr) {
        if (rr.mode() == RecordReplay.Mode.OFF || rr.recording() == null)
            throw new IllegalStateException("reverse execution replays a recording: start one with vm.record() (shell: record) first");
        if (running) throw new IllegalStateException("vCPU " + index + " is running");
        return rr.recording();
    }

    /**
     * Runs until the instruction at this linear address is next, as gdb's until/advance: a
     * temporary address breakpoint for this run only (any earlier stop, an exit breakpoint or the
     * guest halting, ends the run first). Ends with BREAKPOINT at the address when it got there.
     */
    public RunResult until(long linear) {
        Breakpoint b = vm.breakAt(linear);
        try {
            return run();
        } finally {
            vm.delete(b.getId());
        }
    }

    /** Equivalent of {@link #run()}, for the debugger habit of saying continue. */
    public RunResult cont() {
        return run();
    }

    private RunResult dispatch(Exit e, int firstWatch) {
        lastExit = e;
        dispatching = e;
        try {
            return dispatchWatches(e, firstWatch);
        } finally {
            dispatching = null;
        }
    }

    private RunResult dispatchWatches(Exit e, int firstWatch) {
        RecordReplay rr = vm.recordReplay();
        if (rr.replaying() && rr.beforeDispatch(this, e)) return finish(e, null);
        // A replay re-applies what hooks did from the recording and skips them; a seek consults no watch at all.
        boolean skipHooks = rr.replaying(), skipAll = rr.seeking;
        List<ExitWatch> watches = vm.watchList();
        for (int i = firstWatch; i < watches.size() && !skipAll; i++) {
            ExitWatch w = watches.get(i);
            if (skipHooks && w instanceof Hook) continue;
            if (!w.matches(e)) continue;
            Action a;
            try {
                a = w.fire(e);
            } catch (RuntimeException ex) {
                pending = e;
                pendingNextWatch = i + 1;
                return new RunResult(StopReason.ERROR, e, 0, null, w + " threw " + ScriptErrors.describe(ex));
            }
            if (a == Action.STOP) {
                pending = e;
                pendingNextWatch = i + 1;
                if (w instanceof Breakpoint bp) {
                    if (bp.isTemporary()) vm.delete(bp.id());
                    MemoryAccess access = e.getAccess();
                    return new RunResult(StopReason.BREAKPOINT, e, 0, bp, access == null ? "" : access.toString());
                }
                return new RunResult(StopReason.HOOK_STOP, e, 0, null, w.toString());
            }
            if (a == Action.HANDLED) {
                rr.handledByHook(this, e);
                return finish(e, null);
            }
        }
        inDefaultHandler = true;
        RunResult handled;
        try {
            handled = DefaultExitHandler.handle(vm, this, e);
        } finally {
            inDefaultHandler = false;
        }
        return finish(e, handled);
    }

    /** A stop request, or an instruction limit that was the host's (a step, a replay) and not a device deadline. */
    private boolean hostCaused(ExitInfo i, long timeLimit) {
        if (i.reason == dev.trapdoor.vmx.ExitReason.STOP_REQUEST) return true;
        if (i.reason != dev.trapdoor.vmx.ExitReason.PREEMPTION_TIMER || !i.message.isEmpty()) return false;
        long n = backend.instructionsRetired();
        return n >= 0 && n < timeLimit;
    }

    // ---- the guest's exit stream, for record/replay and its digest

    /** Exits the guest caused (all but the host's stop requests and instruction limits). */
    private long guestExits;
    private Exit dispatching;
    private boolean inDefaultHandler;
    private long digestA = 0x6a09e667f3bcc908L, digestB = 0xbb67ae8584caa73bL, digestCount;

    long guestExitCount() { return guestExits; }
    boolean inDefaultHandler() { return inDefaultHandler; }
    /** The exit being handled, or the one a watch stopped on, or null. */
    Exit currentExit() { return dispatching != null ? dispatching : pending; }

    private void digest(Exit e) {
        digestA = mix(digestA, e.getReason().number(), e.getQualification(), e.getRip(), backend.instructionsRetired());
        digestB = mix(digestB ^ 0x9e3779b97f4a7c15L, backend.instructionsRetired(), e.getRip(), e.getQualification(), e.getReason().number());
        digestCount++;
    }

    private static long mix(long h, long a, long b, long c, long d) {
        for (long v : new long[]{a, b, c, d}) {
            h ^= v;
            h *= 0xff51afd7ed558ccdL;
            h ^= h >>> 33;
            h *= 0xc4ceb9fe1a85ec53L;
            h ^= h >>> 29;
        }
        return h;
    }

    /**
     * A 128-bit digest of the guest's exit stream since the VM was built (or {@link #resetExitDigest()}):
     * each exit's reason, qualification, EIP and instruction count, in order. Two runs with equal
     * digests took the same exits at the same instructions.
     */
    public String getExitDigest() {
        return String.format("%016x%016x/%d", digestA, digestB, digestCount);
    }

    public void resetExitDigest() {
        digestA = 0x6a09e667f3bcc908L;
        digestB = 0xbb67ae8584caa73bL;
        digestCount = 0;
    }

    private RunResult finish(Exit e, RunResult handlerResult) {
        e.retire();
        if (handlerResult != null) return handlerResult;
        Vm.Shutdown s = vm.takeShutdown();
        if (s != null) return new RunResult(StopReason.SHUTDOWN, e, s.status(), null, s.reason());
        return null;
    }

    /** Thread-safe: makes a running vCPU return with {@link StopReason#INTERRUPTED} soon. */
    public void stop() {
        backend.requestStop();
    }

    /** Linear to guest-physical through the guest's page tables (no side effects); -1 if unmapped. */
    public long translate(long linear) {
        syncRegistersIn();
        return backend.translateLinear(linear);
    }

    // ---- EPT, VPID and the TLB (interpreter only)

    private dev.trapdoor.cpu.InterpreterVcpu interp(String what) {
        if (backend instanceof dev.trapdoor.cpu.InterpreterVcpu i) return i;
        throw new UnsupportedOperationException(what + " needs the interpreter backend");
    }

    /**
     * Turns EPT on for the next entries with ept's tables (the VMCS's "activate secondary
     * controls", "enable EPT" and EPT pointer), or off with null: "unrestricted guest" goes off
     * with it (it needs EPT, SDM 26.2.1.1), so from then on the guest must be in paged protected
     * mode to enter. {@code useEpt(vm.defaultEpt)} and {@code unrestrictedGuest = true} go back to the default.
     */
    public void useEpt(dev.trapdoor.memory.paging.Ept ept) {
        var i = interp("EPT");
        var v = i.vmcs;
        if (ept == null) {
            v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS, v.read(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS)
                    & ~(dev.trapdoor.vmx.ProcBased2.ENABLE_EPT | dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST));
            return;
        }
        i.eptTables(ept.pages(), ept.maxPhysAddr());
        v.write(dev.trapdoor.vmx.VmcsField.PROC_BASED_CONTROLS, v.procBased() | dev.trapdoor.vmx.ProcBased.ACTIVATE_SECONDARY_CONTROLS);
        v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS,
                v.read(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS) | dev.trapdoor.vmx.ProcBased2.ENABLE_EPT);
        v.write(dev.trapdoor.vmx.VmcsField.EPT_POINTER, ept.eptp());
    }

    /** Whether "unrestricted guest" is on: real-mode and unpaged guests may enter (the default, with EPT). */
    public boolean isUnrestrictedGuest() {
        return (interp("unrestricted guest").vmcs.procBased2() & dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST) != 0;
    }

    /**
     * Sets "unrestricted guest" (secondary control 7) for the next entries. On, it needs "enable
     * EPT" or the entry fails; off, the entry fails (exit reason 33) unless CR0.PE and CR0.PG are 1,
     * and MOV to CR0 clearing either raises #GP(0) (SDM Vol. 3C, 26.3.1.1).
     */
    public void setUnrestrictedGuest(boolean on) {
        var v = interp("unrestricted guest").vmcs;
        long sec = v.read(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS);
        if (on) {
            v.write(dev.trapdoor.vmx.VmcsField.PROC_BASED_CONTROLS, v.procBased() | dev.trapdoor.vmx.ProcBased.ACTIVATE_SECONDARY_CONTROLS);
            v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS, sec | dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST);
        } else {
            v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS, sec & ~dev.trapdoor.vmx.ProcBased2.UNRESTRICTED_GUEST);
        }
    }

    /** Tags this vCPU's TLB entries with vpid (1-65535) from the next entry on; 0 turns "enable VPID" off. */
    public void useVpid(int vpid) {
        var v = interp("VPID").vmcs;
        long sec = v.read(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS);
        if (vpid == 0) {
            v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS, sec & ~dev.trapdoor.vmx.ProcBased2.ENABLE_VPID);
            return;
        }
        v.write(dev.trapdoor.vmx.VmcsField.PROC_BASED_CONTROLS, v.procBased() | dev.trapdoor.vmx.ProcBased.ACTIVATE_SECONDARY_CONTROLS);
        v.write(dev.trapdoor.vmx.VmcsField.SECONDARY_PROC_BASED_CONTROLS, sec | dev.trapdoor.vmx.ProcBased2.ENABLE_VPID);
        v.write(dev.trapdoor.vmx.VmcsField.VPID, vpid & 0xffff);
    }

    /** TLB and walk counters: hits (while counting), misses, walks, references (guest and EPT), flushes, EPT exits. */
    public java.util.Map<String, Object> getTlb() {
        return interp("TLB counters").tlbCounters().toMap();
    }

    public dev.trapdoor.cpu.TlbCounters tlbCounters() {
        return interp("TLB counters").tlbCounters();
    }

    /**
     * How a PAE guest's PDPTEs are found: false (default) in the four PDPTE registers loaded at
     * MOV CR3, as Intel's VMX does; true read from memory on every walk, as AMD's nested paging
     * does, so that a miss under 4-level EPT costs 19 references instead of 14.
     */
    public void setPdptesInWalk(boolean on) {
        interp("PDPTE placement").pdptesInWalk(on);
    }

    /**
     * Whether the guest's device (MMIO) accesses exit as EPT violations that the runtime serves on
     * the device bus (default, as on KVM: they count as exits and scripts can watch them), or go
     * straight to the device inside the interpreter (faster; no exit to see).
     */
    public void setMmioExits(boolean on) {
        interp("MMIO exits").mmioExits(on);
    }

    public boolean isMmioExits() {
        return interp("MMIO exits").mmioExits();
    }

    /** Counting TLB hits sends every access through the slow path (exact, slower); off by default. */
    public void setTlbCounting(boolean on) {
        interp("TLB counting").tlbCounting(on);
    }

    public void resetTlb() {
        interp("TLB counters").resetTlbCounters();
    }

    void invept() {
        if (backend instanceof dev.trapdoor.cpu.InterpreterVcpu i) i.invept();
    }

    void invvpid(int vpid) {
        if (backend instanceof dev.trapdoor.cpu.InterpreterVcpu i) i.invvpid(vpid);
    }

    /**
     * The walk behind a linear address on the interpreter, step by step: each guest paging entry
     * (address, value, level) with the EPT walk beneath it and the references each cost, as text
     * ({@code println vcpu.walk(0xc0000000)}) or data ({@code vcpu.walk(va).toMap().steps}).
     */
    public dev.trapdoor.memory.paging.WalkView.Result walk(long linear) {
        syncRegistersIn();
        return interp("walk").walk(linear);
    }

    /** The live x87 unit on the interpreter, null where the backend does not show one (KVM). */
    dev.trapdoor.cpu.fpu.X87 x87() {
        return backend instanceof dev.trapdoor.cpu.InterpreterVcpu i ? i.fpu() : null;
    }

    /**
     * A listing of count instructions from a linear address (AT&T syntax, as objdump prints it), in
     * the current code size (CS.D); addresses are shown as EIP values in real mode. Bytes that are
     * not mapped end the listing.
     */
    public String disassemble(long linear, int count) {
        X86Registers r = cached();
        boolean code32 = r.protectedMode() && r.seg[X86Registers.CS].big();
        long csBase = r.seg[X86Registers.CS].base;
        byte[] code = new byte[Math.max(1, count) * 15];
        int n = 0;
        while (n < code.length) {
            long pa = translate(linear + n);
            if (pa < 0) break;
            int chunk = (int) Math.min(code.length - n, 4096 - ((linear + n) & 0xfff));
            vm.memory().physical().read(pa, code, n, chunk);
            n += chunk;
        }
        int shownAt = (int) (r.protectedMode() ? linear : linear - csBase);
        String listing = dev.trapdoor.cpu.Disassembler.listing(java.util.Arrays.copyOf(code, n), shownAt, code32);
        return listing.lines().limit(count).collect(java.util.stream.Collectors.joining("\n"));
    }

    /** The next count instructions at CS:EIP. */
    public String disassemble(int count) {
        X86Registers r = cached();
        return disassemble((r.seg[X86Registers.CS].base + (r.eip & 0xffffffffL)) & 0xffffffffL, count);
    }

    /** The VM's debugger stops for this vCPU: false where the backend cannot take them (only the interpreter can). */
    boolean setDebugStops(dev.trapdoor.cpu.DebugStops stops) {
        if (!(backend instanceof dev.trapdoor.cpu.InterpreterVcpu i)) return false;
        i.setDebugStops(stops);
        return true;
    }

    /** The host debugger stop an exit reports (EXCEPTION_NMI, vector 1, a stop's message), or null. */
    private dev.trapdoor.cpu.DebugHit debugHitOf(ExitInfo info) {
        if (info.reason != dev.trapdoor.vmx.ExitReason.EXCEPTION_NMI || info.vector != 1 || !Exit.isDebuggerStop(info.message)) return null;
        return backend instanceof dev.trapdoor.cpu.InterpreterVcpu i ? i.lastDebugHit() : null;
    }

    boolean addBackendBreakpoint(long linear) {
        return backend.addBreakpoint(linear);
    }

    void removeBackendBreakpoint(long linear) {
        backend.removeBreakpoint(linear);
    }

    boolean addBackendDataBreakpoint(long linear, long length, boolean readToo, int id) {
        return length > 0 && length <= 4 && backend.addDataBreakpoint(linear, (int) length, readToo, id);
    }

    void removeBackendDataBreakpoint(int id) {
        backend.removeDataBreakpoint(id);
    }

    /** Delivers an exception (e.g. 13 with error code 0 for #GP) at the next entry. */
    public boolean injectException(int vector, int errorCode) {
        vm.recordReplay().note(this, Recording.Kind.EXCEPTION, "", vector, errorCode, null);
        syncRegistersIn();
        return backend.injectException(vector, errorCode);
    }

    private dev.trapdoor.backend.InterruptController interruptController;

    /** Whether the board's interrupt controller asserts INTR now (a halted guest must not sleep through it). */
    boolean interruptRequested() {
        return interruptController != null && interruptController.hasInterrupt();
    }

    void connectInterruptController(dev.trapdoor.backend.InterruptController c) {
        interruptController = c;
        backend.setInterruptController(c);
    }

    /** Raises NMI: delivered through vector 2, or an exit with "NMI exiting". False where the backend cannot. */
    public boolean injectNmi() {
        return backend.injectNmi();
    }

    /** The VMM's INTA cycle after an external-interrupt exit without "acknowledge interrupt on exit"; -1 if none. */
    int acknowledgeInterrupt() {
        return backend.acknowledgeInterrupt();
    }

    EventInjector events() {
        return events;
    }

    /** The interpreter's vCPU, or null on another backend. */
    dev.trapdoor.cpu.InterpreterVcpu interpreter() {
        return backend instanceof dev.trapdoor.cpu.InterpreterVcpu i ? i : null;
    }

    /** Requests an external interrupt (delivered when the guest can take it). */
    public boolean injectInterrupt(int vector) {
        vm.recordReplay().note(this, Recording.Kind.INTERRUPT, "", vector, 0, null);
        return backend.injectInterrupt(vector);
    }

    // ---- registers

    private X86Registers cached() {
        if (!regsValid) {
            backend.getRegisters(regs);
            regsValid = true;
        }
        return regs;
    }

    private void syncRegistersIn() {
        if (regsDirty) {
            backend.setRegisters(regs);
            regsDirty = false;
        }
    }

    /** A copy of the whole register file. */
    public X86Registers getRegisters() {
        return cached().copy();
    }

    public void setRegisters(X86Registers r) {
        RecordReplay rr = vm.recordReplay();
        if (rr.mode() != RecordReplay.Mode.OFF) rr.note(this, Recording.Kind.REGISTERS, "", 0, 0, RegisterBytes.encode(r));
        cached().copyFrom(r);
        regsDirty = true;
        pending = null;
    }

    /** Reads a register by name: eax..edi, ax/al-style parts, eip, eflags, cs..gs, cr0/cr2/cr3/cr4. */
    public long get(String name) {
        X86Registers r = cached();
        String n = name.toLowerCase(Locale.ROOT);
        int g = gprIndex(n);
        if (g >= 0) return r.gpr[g] & 0xffffffffL;
        if (n.length() == 2 && "abcd".indexOf(n.charAt(0)) >= 0 && (n.charAt(1) == 'x' || n.charAt(1) == 'l' || n.charAt(1) == 'h')) {
            int v = r.gpr["acdb".indexOf(n.charAt(0))];
            return switch (n.charAt(1)) {
                case 'x' -> v & 0xffff;
                case 'l' -> v & 0xff;
                default -> (v >>> 8) & 0xff;
            };
        }
        int s = segIndex(n);
        if (s >= 0) return r.seg[s].selector;
        return switch (n) {
            case "eip", "pc", "ip" -> r.eip & 0xffffffffL;
            case "eflags", "flags" -> r.eflags & 0xffffffffL;
            case "cr0" -> r.cr0;
            case "cr2" -> r.cr2;
            case "cr3" -> r.cr3;
            case "cr4" -> r.cr4;
            case "efer" -> r.efer;
            default -> throw new IllegalArgumentException("no register named '" + name + "'");
        };
    }

    /** Writes a register by name. A segment register gets the real-mode meaning when CR0.PE is clear. */
    public void set(String name, long value) {
        vm.recordReplay().note(this, Recording.Kind.REGISTER, name, value, 0, null);
        X86Registers r = cached();
        String n = name.toLowerCase(Locale.ROOT);
        int g = gprIndex(n);
        int v = (int) value;
        if (g >= 0) {
            r.gpr[g] = v;
        } else if (n.length() == 2 && "abcd".indexOf(n.charAt(0)) >= 0 && "xlh".indexOf(n.charAt(1)) >= 0) {
            int i = "acdb".indexOf(n.charAt(0));
            r.gpr[i] = switch (n.charAt(1)) {
                case 'x' -> (r.gpr[i] & 0xffff0000) | (v & 0xffff);
                case 'l' -> (r.gpr[i] & 0xffffff00) | (v & 0xff);
                default -> (r.gpr[i] & 0xffff00ff) | ((v & 0xff) << 8);
            };
        } else if (segIndex(n) >= 0) {
            int s = segIndex(n);
            if (r.protectedMode()) throw new IllegalArgumentException("in protected mode set " + n + " through setRegisters (it needs a descriptor)");
            r.seg[s].realMode(v, s == X86Registers.CS);
        } else {
            switch (n) {
                case "eip", "pc", "ip" -> r.eip = v;
                case "eflags", "flags" -> r.eflags = v | 2;
                case "cr0" -> r.cr0 = value;
                case "cr2" -> r.cr2 = value;
                case "cr3" -> r.cr3 = value;
                case "cr4" -> r.cr4 = value;
                case "efer" -> r.efer = value;
                default -> throw new IllegalArgumentException("no register named '" + name + "'");
            }
        }
        regsDirty = true;
    }

    private static int gprIndex(String n) {
        for (int i = 0; i < 8; i++) if (X86Registers.GPR_NAMES[i].equals(n)) return i;
        return -1;
    }

    private static int segIndex(String n) {
        for (int i = 0; i < 6; i++) if (X86Registers.SEG_NAMES[i].equals(n)) return i;
        return -1;
    }

    // Bean-style accessors, so scripts write vcpu.eax and vcpu.eax = 5.
    public long getEax() { return get("eax"); }
    public void setEax(long v) { set("eax", v); }
    public long getEbx() { return get("ebx"); }
    public void setEbx(long v) { set("ebx", v); }
    public long getEcx() { return get("ecx"); }
    public void setEcx(long v) { set("ecx", v); }
    public long getEdx() { return get("edx"); }
    public void setEdx(long v) { set("edx", v); }
    public long getEsi() { return get("esi"); }
    public void setEsi(long v) { set("esi", v); }
    public long getEdi() { return get("edi"); }
    public void setEdi(long v) { set("edi", v); }
    public long getEsp() { return get("esp"); }
    public void setEsp(long v) { set("esp", v); }
    public long getEbp() { return get("ebp"); }
    public void setEbp(long v) { set("ebp", v); }
    public long getEip() { return get("eip"); }
    public void setEip(long v) { set("eip", v); }
    public long getEflags() { return get("eflags"); }
    public void setEflags(long v) { set("eflags", v); }
    public long getCs() { return get("cs"); }
    public long getDs() { return get("ds"); }
    public long getSs() { return get("ss"); }
    public long getCr0() { return get("cr0"); }
    public long getCr3() { return get("cr3"); }

    /** Register name to value: the data form of {@link #regsText()}. */
    public Map<String, Long> regs() {
        X86Registers r = cached();
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) m.put(X86Registers.GPR_NAMES[i], r.gpr[i] & 0xffffffffL);
        m.put("eip", r.eip & 0xffffffffL);
        m.put("eflags", r.eflags & 0xffffffffL);
        for (int i = 0; i < 6; i++) m.put(X86Registers.SEG_NAMES[i], (long) r.seg[i].selector);
        m.put("cr0", r.cr0);
        m.put("cr2", r.cr2);
        m.put("cr3", r.cr3);
        m.put("cr4", r.cr4);
        return m;
    }

    /** The registers laid out for a terminal. */
    public String regsText() {
        X86Registers r = cached();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            b.append(String.format("%s=%08x", X86Registers.GPR_NAMES[i], r.gpr[i]));
            b.append(i == 3 ? '\n' : ' ');
        }
        b.append(String.format("%neip=%08x eflags=%08x [%s]%n", r.eip, r.eflags, Flags.describe(r.eflags)));
        for (int i = 0; i < 6; i++) {
            b.append(String.format("%s=%04x(base %08x) ", X86Registers.SEG_NAMES[i], r.seg[i].selector, r.seg[i].base));
            if (i == 2) b.append('\n');
        }
        b.append(String.format("%ncr0=%08x cr2=%08x cr3=%08x cr4=%08x %s", r.cr0, r.cr2, r.cr3, r.cr4,
                r.protectedMode() ? "protected mode" : "real mode"));
        return b.toString();
    }

    // ---- snapshot

    /** The backend core's saved state, or null where the backend has none (KVM). */
    dev.trapdoor.snapshot.Stateful stateful() {
        syncRegistersIn();
        return backend instanceof dev.trapdoor.snapshot.Stateful s ? s : null;
    }

    long exitCount() {
        return exitSequence;
    }

    /** A snapshot from inside the run loop: exit e is taken and left as if a watch had stopped on it. */
    dev.trapdoor.snapshot.Snapshot snapshotAt(Exit e) {
        Exit savedPending = pending;
        int savedNext = pendingNextWatch;
        boolean savedRunning = running;
        pending = e;
        pendingNextWatch = 0;
        running = false;
        try {
            return VmState.capture(vm);
        } finally {
            pending = savedPending;
            pendingNextWatch = savedNext;
            running = savedRunning;
        }
    }

    /** The run loop's own state: the exit count and the exit a watch stopped on, not yet finished. */
    dev.trapdoor.snapshot.Stateful runState() {
        return new dev.trapdoor.snapshot.Stateful() {
            @Override
            public void saveState(dev.trapdoor.snapshot.StateWriter out) {
                syncRegistersIn();
                out.i64(exitSequence).i64(guestExits).bool(pending != null);
                if (pending == null) return;
                Exit e = pending;
                out.i64(e.getSequence()).i32(e.getReason().ordinal()).i64(e.getQualification()).i32(e.getInstructionLength())
                        .i64(e.getRip()).i64(e.getGuestLinear()).i64(e.getGuestPhysical()).i32(e.getVector()).i32(e.getErrorCode())
                        .i32(e.getPort()).i32(e.getSize()).bool(e.isIn()).bool(e.isString()).bool(e.isRep()).i32(e.getCount())
                        .string(e.getMessage()).i32(pendingNextWatch).i64(e.guestNumber);
            }

            @Override
            public void loadState(dev.trapdoor.snapshot.StateReader in) {
                long seq = in.i64(), guest = in.i64();
                Exit restored = null;
                int next = 0;
                if (in.bool()) {
                    ExitInfo i = new ExitInfo();
                    long exitSeq = in.i64();
                    var reasons = dev.trapdoor.vmx.ExitReason.values();
                    i.reason = reasons[in.range(0, reasons.length - 1, "exit reason")];
                    i.qualification = in.i64();
                    i.instructionLength = in.i32();
                    i.rip = in.i64();
                    i.guestLinear = in.i64();
                    i.guestPhysical = in.i64();
                    i.vector = in.i32();
                    i.errorCode = in.i32();
                    i.port = in.i32();
                    i.size = in.i32();
                    i.in = in.bool();
                    i.string = in.bool();
                    i.rep = in.bool();
                    i.count = in.i32();
                    i.message = in.string();
                    next = in.i32();
                    if (backend instanceof dev.trapdoor.cpu.InterpreterVcpu iv) i.data = iv.transferBuffer();
                    restored = new Exit(Vcpu.this, exitSeq, i);
                    restored.guestNumber = in.i64();
                }
                guestExits = guest;
                exitSequence = seq;
                pending = restored;
                pendingNextWatch = Math.max(0, next);
                lastExit = restored;
                regsValid = false;
                regsDirty = false;
            }
        };
    }

    void close() {
        backend.close();
    }

    @Override
    public String toString() {
        return "vcpu " + index + " of " + vm.getName() + (running ? " (running)" : "");
    }
}
