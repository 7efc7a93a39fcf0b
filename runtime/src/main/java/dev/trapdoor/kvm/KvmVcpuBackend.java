package dev.trapdoor.kvm;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.trapdoor.kvm.KvmAbi.*;

/**
 * A vCPU of the KVM backend: KVM_RUN, and KVM's exits translated to the VMX-numbered exits both
 * backends share.
 *
 * <p>Where KVM and VMX differ: {@link ExitInfo#rip} is the address of the instruction that
 * caused the exit (VMX semantics), recovered as follows. I/O: see {@link IoInstructionLocator};
 * the string and REP bits and the immediate form come from decoding the instruction; when the
 * bytes cannot be read (code in MMIO, unmapped) string is count &gt; 1, REP is unknown (false)
 * and instructionLength is 0. HLT: KVM has stepped past the one-byte HLT, so rip = RIP - 1 and
 * instructionLength = 1 (a prefixed HLT would be misplaced). MMIO: KVM emulates the access; a
 * read is not retired until the next KVM_RUN, so rip is at it, but a write has been retired
 * and rip is past it; the length is unknown (0) either way, and no guest-linear address is given.
 *
 * <p>Stopping: {@link #requestStop} sets kvm_run.immediate_exit (a KVM_RUN that is about to start
 * returns at once) and signals the vCPU's native thread (one inside KVM_RUN returns EINTR); see
 * {@link KvmKick}.
 */
public final class KvmVcpuBackend implements VcpuBackend {
    private final KvmBackend backend;
    private final KvmVcpu vcpu;
    private final int index;
    private final MemorySegment run;
    private final MemorySegment mmioData;
    private final boolean syncRegs;
    private final IoInstructionLocator locator = new IoInstructionLocator();
    private final IoInstructionLocator.CodeReader codeReader = this::codeByte;
    private final AtomicInteger pendingVector = new AtomicInteger(-1);

    private volatile boolean stopRequested;
    private volatile boolean running;
    private volatile int tid;
    private Thread tidThread;
    private boolean registersChanged = true;
    private boolean closed;

    // I/O data slice of the kvm_run page, kept while KVM keeps using the same offset and length.
    private MemorySegment ioData = MemorySegment.NULL;
    private long ioDataOffset = -1;

    // Debugger breakpoints and watchpoints in DR0-DR3 and single steps, through KVM_SET_GUEST_DEBUG.
    // A slot is free when its kind is 0; instruction breakpoints have id -1.
    private static final int SLOT_FREE = 0, SLOT_EXEC = 1, SLOT_WRITE = 2, SLOT_ACCESS = 3;
    private final long[] slotAddress = new long[4];
    private final int[] slotKind = new int[4];
    private final int[] slotLength = new int[4];
    private final int[] slotId = new int[4];
    private int breakpointCount;
    /** The breakpoint address last reported: a run resuming there steps over it with the breakpoints off. */
    private long reportedBreakpoint = -1;
    private boolean steppingOver;
    private boolean monitorTrap;
    private int debugControl = -1;
    /** DR0-DR7 as the slots give them, rebuilt only when a slot changes. */
    private final long[] slotRegs = new long[8];
    private boolean slotsChanged = true;

    // Code-byte translation cache for the current exit.
    private boolean paging;
    private long codeLinearPage = -1;
    private long codePhysicalPage = -1;

    KvmVcpuBackend(KvmBackend backend, KvmVcpu vcpu, int index, boolean syncRegs) {
        this.backend = backend;
        this.vcpu = vcpu;
        this.index = index;
        this.run = vcpu.runArea();
        this.mmioData = run.asSlice(RUN_MMIO_DATA, 8);
        this.syncRegs = syncRegs;
        if (syncRegs) vcpu.setSyncRegs(SYNC_X86_REGS | SYNC_X86_SREGS);
    }

    public int index() {
        return index;
    }

    /** The underlying handle, for KVM-only features (guest debug). */
    public KvmVcpu handle() {
        return vcpu;
    }

    @Override
    public void run(ExitInfo info) {
        if (closed) {
            info.reset(ExitReason.INTERNAL_ERROR);
            info.message = "vCPU " + index + " is closed";
            return;
        }
        Thread self = Thread.currentThread();
        if (self != tidThread) {
            tidThread = self;
            tid = Libc.gettid();
        }
        running = true;
        try {
            while (true) {
                if (stopRequested) {
                    stopRequested = false;
                    vcpu.setImmediateExit(false);
                    info.reset(ExitReason.STOP_REQUEST);
                    info.rip = rip();
                    info.message = "stop requested";
                    return;
                }
                deliverPendingInterrupt();
                programGuestDebug();
                int err = vcpu.run();
                vcpu.setImmediateExit(false);
                if (err != 0) continue; // a kick: a stop request is seen above, an interrupt is delivered
                registersChanged = false;
                if (run.get(ValueLayout.JAVA_INT, RUN_EXIT_REASON) == EXIT_DEBUG && debugExit(info)) return;
                if (run.get(ValueLayout.JAVA_INT, RUN_EXIT_REASON) != EXIT_DEBUG && translate(info)) return;
            }
        } catch (KvmException e) {
            info.reset(ExitReason.INTERNAL_ERROR);
            info.message = e.getMessage();
        } finally {
            running = false;
        }
    }

    /** Fills info from kvm_run; false when the exit was KVM's business only and the guest goes on. */
    private boolean translate(ExitInfo info) {
        int reason = run.get(ValueLayout.JAVA_INT, RUN_EXIT_REASON);
        switch (reason) {
            case EXIT_IO -> ioExit(info);
            case EXIT_MMIO -> mmioExit(info);
            case EXIT_HLT -> {
                info.reset(ExitReason.HLT);
                info.rip = rip() - 1;
                info.instructionLength = 1;
            }
            case EXIT_SHUTDOWN -> {
                info.reset(ExitReason.TRIPLE_FAULT);
                info.rip = rip();
            }
            case EXIT_DEBUG -> {
                info.reset(ExitReason.EXCEPTION_NMI);
                info.vector = run.get(ValueLayout.JAVA_INT, RUN_DEBUG_EXCEPTION);
                info.rip = rip();
                // SDM Vol. 3C 28.2.1: for #DB the qualification holds B0-B3, BD and BS as DR6 does.
                if (info.vector == 1) info.qualification = run.get(ValueLayout.JAVA_LONG, RUN_DEBUG_DR6) & 0x600f;
                if (info.vector == 3) info.instructionLength = 1;
            }
            case EXIT_FAIL_ENTRY -> {
                info.reset(ExitReason.ENTRY_FAILURE_GUEST_STATE);
                info.qualification = run.get(ValueLayout.JAVA_LONG, RUN_FAIL_ENTRY_REASON);
                info.rip = rip();
                info.message = String.format("KVM_EXIT_FAIL_ENTRY: hardware entry failure reason %#x", info.qualification);
            }
            case EXIT_INTERNAL_ERROR -> {
                info.reset(ExitReason.INTERNAL_ERROR);
                info.rip = rip();
                info.message = internalErrorMessage();
            }
            case EXIT_IRQ_WINDOW_OPEN -> { return false; }
            case EXIT_INTR -> {
                if (!stopRequested) return false;
                stopRequested = false;
                info.reset(ExitReason.STOP_REQUEST);
                info.rip = rip();
                info.message = "stop requested";
            }
            default -> {
                info.reset(ExitReason.INTERNAL_ERROR);
                info.rip = rip();
                info.message = "unhandled KVM exit reason " + reason;
            }
        }
        return true;
    }

    private void ioExit(ExitInfo info) {
        boolean in = run.get(ValueLayout.JAVA_BYTE, RUN_IO_DIRECTION) == EXIT_IO_IN;
        int size = run.get(ValueLayout.JAVA_BYTE, RUN_IO_SIZE);
        int port = run.get(ValueLayout.JAVA_SHORT, RUN_IO_PORT) & 0xffff;
        int count = run.get(ValueLayout.JAVA_INT, RUN_IO_COUNT);
        long offset = run.get(ValueLayout.JAVA_LONG, RUN_IO_DATA_OFFSET);
        long bytes = (long) count * size;
        if (size < 1 || count < 1 || offset < 0 || offset + bytes > run.byteSize()) {
            info.reset(ExitReason.INTERNAL_ERROR);
            info.message = String.format("KVM_EXIT_IO with data outside kvm_run: offset %#x, %d x %d bytes", offset, count, size);
            return;
        }
        MemorySegment regs = regs(), sregs = sregs();
        long rip = KvmRegisters.rip(regs);
        long csBase = KvmRegisters.csBase(sregs);
        boolean big = KvmRegisters.csBig(sregs) || KvmRegisters.csLong(sregs);
        long dx = KvmRegisters.gpr(regs, X86Registers.EDX);
        beginCodeReads(sregs);
        long start = -1;
        boolean at = locator.decode(codeReader, csBase + rip, big) && locator.matches(in, size, port, dx, count);
        if (at && !in && !stillAt(port)) at = false;
        if (at) start = csBase + rip;
        else if (!in) start = locator.locateBefore(codeReader, csBase + rip, big, in, size, port, dx, count);
        if (start >= 0) {
            info.io(port, size, in, locator.string, locator.rep, locator.immediate, count);
            info.rip = start - csBase;
            info.instructionLength = locator.length;
        } else {
            info.io(port, size, in, count > 1, false, false, count);
            info.rip = rip;
        }
        if (offset != ioDataOffset || bytes != ioData.byteSize()) {
            ioData = run.asSlice(offset, bytes);
            ioDataOffset = offset;
        }
        info.data = ioData;
    }

    /**
     * For an OUT decoded at RIP: whether KVM left it pending. A REP OUTS is restarted element by
     * element, RIP staying on it even after the last one (measured on kvm_pvm; the emulator is
     * KVM's own on hardware too); a non-string OUT is pending only on VMX's fast path.
     */
    private boolean stillAt(int port) {
        if (locator.string) return locator.rep;
        return !backend.outRetiredAtExit() && port != 0x7e;
    }

    private void mmioExit(ExitInfo info) {
        long gpa = run.get(ValueLayout.JAVA_LONG, RUN_MMIO_PHYS_ADDR);
        int len = run.get(ValueLayout.JAVA_INT, RUN_MMIO_LEN);
        boolean write = run.get(ValueLayout.JAVA_BYTE, RUN_MMIO_IS_WRITE) != 0;
        if (len < 1 || len > 8) {
            info.reset(ExitReason.INTERNAL_ERROR);
            info.message = "KVM_EXIT_MMIO with length " + len;
            return;
        }
        info.mmio(gpa, len, write, 0, false);
        info.rip = rip();
        info.data = mmioData;
    }

    private String internalErrorMessage() {
        int sub = run.get(ValueLayout.JAVA_INT, RUN_INTERNAL_SUBERROR);
        int n = Math.min(16, Math.max(0, run.get(ValueLayout.JAVA_INT, RUN_INTERNAL_NDATA)));
        StringBuilder sb = new StringBuilder("KVM_EXIT_INTERNAL_ERROR: ").append(KvmAbi.internalSuberror(sub));
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? " [" : " ").append(Long.toHexString(run.get(ValueLayout.JAVA_LONG, RUN_INTERNAL_DATA + 8L * i)));
        }
        if (n > 0) sb.append(']');
        if (KvmBackend.isSoftwareKvm()) sb.append(" (").append(KvmBackend.softwareKvmNote()).append(')');
        return sb.toString();
    }

    // ---- registers at an exit: kvm_run's synced copies when KVM offers them, else ioctls

    private MemorySegment regs() {
        return syncRegs ? vcpu.syncRegs() : vcpu.getRegs();
    }

    private MemorySegment sregs() {
        return syncRegs ? vcpu.syncSregs() : vcpu.getSregs();
    }

    private long rip() {
        return KvmRegisters.rip(regs());
    }

    private void beginCodeReads(MemorySegment sregs) {
        paging = (KvmRegisters.cr0(sregs) & 0x8000_0000L) != 0;
        codeLinearPage = -1;
    }

    /** A code byte through the guest's paging (KVM_TRANSLATE), from RAM or ROM only: reading MMIO could have effects. */
    private int codeByte(long linear) {
        long lin = linear & 0xffff_ffffL;
        long gpa = lin;
        if (paging) {
            long page = lin & ~0xfffL;
            if (page != codeLinearPage) {
                codeLinearPage = page;
                codePhysicalPage = vcpu.translate(page);
            }
            if (codePhysicalPage < 0) return -1;
            gpa = codePhysicalPage | (lin & 0xfff);
        }
        PhysicalMemory memory = backend.memory();
        if (memory == null) return -1;
        Region r = memory.regionAt(gpa);
        if (!(r instanceof Region.Ram) && !(r instanceof Region.Rom)) return -1;
        return memory.read8(gpa);
    }

    // ---- registers

    @Override
    public void getRegisters(X86Registers out) {
        MemorySegment regs = vcpu.getRegs();
        MemorySegment sregs = vcpu.getSregs();
        KvmRegisters.fromKvm(regs, sregs, out);
    }

    @Override
    public void setRegisters(X86Registers in) {
        MemorySegment regs = vcpu.getRegs();
        MemorySegment sregs = vcpu.getSregs();
        KvmRegisters.toKvm(in, regs, sregs);
        vcpu.setSregs(sregs);
        vcpu.setRegs(regs);
        registersChanged = true;
    }

    // ---- debugger breakpoints and single steps (KVM_SET_GUEST_DEBUG)

    /**
     * An instruction breakpoint in one of DR0-DR3, which KVM loads for the guest while it runs
     * (the guest's own debug registers are set aside): at most four.
     */
    @Override
    public boolean addBreakpoint(long linear) {
        if (!backend.guestDebug()) return false;
        for (int i = 0; i < 4; i++) if (slotKind[i] == SLOT_EXEC && slotAddress[i] == linear) return true;
        return claimSlot(linear, SLOT_EXEC, 1, -1);
    }

    @Override
    public void removeBreakpoint(long linear) {
        for (int i = 0; i < 4; i++) {
            if (slotKind[i] != SLOT_EXEC || slotAddress[i] != linear) continue;
            freeSlot(i);
            if (reportedBreakpoint == linear) reportedBreakpoint = -1;
            return;
        }
    }

    /** R/W = 01 (writes) or 11 (reads and writes; x86 has no read-only data breakpoint), LEN 1, 2 or 4, aligned (SDM Vol. 3B, 17.2.5). */
    @Override
    public boolean addDataBreakpoint(long linear, int length, boolean readToo, int id) {
        if (!backend.guestDebug() || (length != 1 && length != 2 && length != 4) || (linear & (length - 1)) != 0) return false;
        return claimSlot(linear, readToo ? SLOT_ACCESS : SLOT_WRITE, length, id);
    }

    @Override
    public void removeDataBreakpoint(int id) {
        for (int i = 0; i < 4; i++) if (slotKind[i] > SLOT_EXEC && slotId[i] == id) freeSlot(i);
    }

    private boolean claimSlot(long linear, int kind, int length, int id) {
        for (int i = 0; i < 4; i++) {
            if (slotKind[i] != SLOT_FREE) continue;
            slotAddress[i] = linear;
            slotKind[i] = kind;
            slotLength[i] = length;
            slotId[i] = id;
            breakpointCount++;
            slotsChanged = true;
            return true;
        }
        return false;
    }

    private void freeSlot(int i) {
        slotKind[i] = SLOT_FREE;
        breakpointCount--;
        slotsChanged = true;
    }

    @Override
    public boolean setMonitorTrap(boolean on) {
        if (!backend.guestDebug()) return false;
        monitorTrap = on;
        return true;
    }

    /**
     * Sets KVM's guest-debug state for the next entry, only when it changes: the breakpoints in
     * DR0-DR3 with their local-enable bits in DR7, and single-stepping while a step is asked for or
     * while the vCPU steps over the breakpoint it stopped at (no RF needed: the breakpoints are off
     * for that one instruction).
     */
    private void programGuestDebug() {
        if (!steppingOver && breakpointCount > 0 && reportedBreakpoint >= 0 && rip() == reportedBreakpoint) steppingOver = true;
        boolean step = steppingOver || monitorTrap;
        boolean armed = breakpointCount > 0 && !steppingOver;
        int control = step || armed ? GUESTDBG_ENABLE : 0;
        if (step) control |= GUESTDBG_SINGLESTEP;
        if (armed) control |= GUESTDBG_USE_HW_BP;
        if (control == debugControl && !slotsChanged) return;
        if (slotsChanged) {
            java.util.Arrays.fill(slotRegs, 0);
            for (int i = 0; i < 4; i++) {
                if (slotKind[i] == SLOT_FREE) continue;
                slotRegs[i] = slotAddress[i];
                slotRegs[7] |= 1L << (2 * i);             // L0-L3
                long rw = switch (slotKind[i]) { case SLOT_WRITE -> 1; case SLOT_ACCESS -> 3; default -> 0; };
                long len = slotLength[i] == 4 ? 3 : slotLength[i] - 1;
                slotRegs[7] |= (rw | len << 2) << (16 + 4 * i);
            }
            slotsChanged = false;
        }
        vcpu.setGuestDebug(control, armed ? slotRegs : null);
        debugControl = control;
    }

    /**
     * KVM_EXIT_DEBUG: a single-step trap (DR6.BS) ends a step-over silently or a requested step as a
     * MONITOR_TRAP_FLAG exit; a breakpoint hit (DR6.B0-B3) stops before the instruction as the
     * interpreter's breakpoints do (vector 1, "breakpoint", guest-linear = the address); anything
     * else is the guest's own #DB or #BP, reported as an exception exit. False: go on running.
     */
    private boolean debugExit(ExitInfo info) {
        long dr6 = run.get(ValueLayout.JAVA_LONG, RUN_DEBUG_DR6);
        int vector = run.get(ValueLayout.JAVA_INT, RUN_DEBUG_EXCEPTION);
        long at = rip();
        if (vector == 1 && (dr6 & (1 << 14)) != 0 && (steppingOver || monitorTrap)) {
            steppingOver = false;
            reportedBreakpoint = -1;
            if (!monitorTrap) return false;
            monitorTrap = false;
            info.reset(ExitReason.MONITOR_TRAP_FLAG);
            info.rip = at;
            info.message = "single step";
            return true;
        }
        for (int i = 0; i < 4; i++) {
            if (vector != 1 || (dr6 & (1L << i)) == 0 || slotKind[i] <= SLOT_EXEC) continue;
            info.reset(ExitReason.EXCEPTION_NMI);          // a data breakpoint: a trap, EIP after the access
            info.vector = 1;
            info.rip = at;
            info.guestLinear = slotAddress[i];
            info.qualification = slotId[i];
            info.message = "watchpoint";
            return true;
        }
        if (vector == 1 && (dr6 & 0xf) != 0 && breakpointCount > 0) {
            reportedBreakpoint = at;
            info.reset(ExitReason.EXCEPTION_NMI);
            info.vector = 1;
            info.rip = at;
            info.guestLinear = at;
            info.qualification = dr6 & 0x600f;
            info.message = "breakpoint";
            return true;
        }
        return translate(info);
    }

    // ---- control from other threads

    @Override
    public void requestStop() {
        stopRequested = true;
        kick();
    }

    private void kick() {
        if (closed) return;
        vcpu.setImmediateExit(true);
        if (running) KvmKick.kick(tid);
    }

    @Override
    public long instructionsRetired() {
        return -1;
    }

    /**
     * Queues an external interrupt: injected with KVM_INTERRUPT before the next entry if the guest
     * could take it at the last exit, else KVM is asked for an interrupt-window exit and it is
     * injected then. One vector can be pending (the single INTR line of a PIC); false when
     * another vector is already waiting. From another thread, a running vCPU is kicked.
     */
    @Override
    public boolean injectInterrupt(int vector) {
        if (vector < 0 || vector > 255) return false;
        if (!pendingVector.compareAndSet(-1, vector)) return pendingVector.get() == vector;
        if (running && Thread.currentThread() != tidThread) kick();
        return true;
    }

    private void deliverPendingInterrupt() {
        int v = pendingVector.get();
        if (v < 0 && intr != null && intr.hasInterrupt()) {
            // A user-space 8259 (no in-kernel irqchip): run the INTA cycle only when KVM says the
            // guest can take the interrupt now, else ask for an interrupt-window exit (as QEMU does).
            if (!registersChanged && vcpu.readyForInterrupt()) {
                vcpu.interrupt(intr.acknowledge());
                vcpu.setRequestInterruptWindow(false);
            } else {
                vcpu.setRequestInterruptWindow(true);
            }
            return;
        }
        if (v < 0) {
            vcpu.setRequestInterruptWindow(false);
            return;
        }
        // After setRegisters, the last exit's "ready" may be stale (IF may have changed): wait for a window.
        if (!registersChanged && vcpu.readyForInterrupt()) {
            vcpu.interrupt(v);
            pendingVector.compareAndSet(v, -1);
            vcpu.setRequestInterruptWindow(false);
        } else {
            vcpu.setRequestInterruptWindow(true);
        }
    }

    /** Whether a vector is still waiting for the guest to take interrupts. */
    public boolean interruptPending() {
        return pendingVector.get() >= 0;
    }

    private volatile dev.trapdoor.backend.InterruptController intr;

    /** The board's 8259 pair, served from user space before each KVM_RUN (no in-kernel irqchip is created). */
    @Override
    public void setInterruptController(dev.trapdoor.backend.InterruptController controller) {
        intr = controller;
    }

    @Override
    public void setCpuid(dev.trapdoor.arch.CpuidTable table) {
        vcpu.setCpuid(table);
    }

    @Override
    public void close() {
        if (closed) return;
        if (running) {
            requestStop();
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (running && System.nanoTime() < deadline) Thread.onSpinWait();
        }
        closed = true;
        vcpu.close();
        backend.forget(this);
    }
}
