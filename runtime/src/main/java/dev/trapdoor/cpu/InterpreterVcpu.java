package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.backend.MsrAccess;
import dev.trapdoor.backend.PortIo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import dev.trapdoor.vmx.ExitInfo;

/** One vCPU of the interpreter backend: the {@link VcpuBackend} face of a {@link Cpu} core. */
public final class InterpreterVcpu implements VcpuBackend, dev.trapdoor.snapshot.Stateful {
    /**
     * This vCPU's VMCS: the VM-execution controls it honours (read at each entry; scripts and the
     * runtime change them between runs) and the exit information of the last exit.
     */
    public final Vmcs vmcs;
    private final Cpu cpu;
    private final int index;

    InterpreterVcpu(int index, PhysicalMemory memory, BlockCache cache, dev.trapdoor.memory.paging.Ept identity) {
        this.index = index;
        this.vmcs = defaultVmcs();
        this.cpu = new Cpu(memory, vmcs, cache);
        cpu.eptTables(identity.pages(), identity.maxPhysAddr());
        vmcs.write(VmcsField.EPT_POINTER, identity.eptp());
    }

    /**
     * The controls a new vCPU starts with, the interpreter's behaviour before it had a VMCS: HLT
     * exiting and unconditional I/O exiting on, no I/O or MSR bitmaps, exception bitmap 0 (CPUID,
     * and RDMSR/WRMSR without MSR bitmaps, exit regardless). The default1 bits are set as a VMM
     * must set them (SDM Appendix A.3), except CR3-load and CR3-store exiting, which the "true"
     * controls let a VMM clear (A.3.2: processors that set IA32_VMX_BASIC bit 55 allow 0 for both).
     * As KVM sets them on a processor with EPT: secondary controls active with "enable EPT" and
     * "unrestricted guest", so real-mode and unpaged guests enter as they are (SDM 26.3.1.1); the
     * EPT pointer is the backend's identity EPT, set by the constructor.
     */
    static Vmcs defaultVmcs() {
        Vmcs v = new Vmcs(32);
        v.write(VmcsField.PIN_BASED_CONTROLS, PinBased.DEFAULT1);
        int proc = ProcBased.DEFAULT1 & ~(ProcBased.CR3_LOAD_EXITING | ProcBased.CR3_STORE_EXITING);
        v.write(VmcsField.PROC_BASED_CONTROLS, proc | ProcBased.HLT_EXITING | ProcBased.UNCONDITIONAL_IO_EXITING
                | ProcBased.ACTIVATE_SECONDARY_CONTROLS);
        v.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, ProcBased2.ENABLE_EPT | ProcBased2.UNRESTRICTED_GUEST);
        return v;
    }

    /** The core, for tests and diagnostics in this package. */
    Cpu core() {
        return cpu;
    }

    /** This vCPU's x87 state (for the GDB stub, snapshots and tests); live, not a copy. */
    public dev.trapdoor.cpu.fpu.X87 fpu() {
        return cpu.fpu;
    }

    /**
     * FERR#: true while an unmasked x87 exception is pending and a waiting x87 instruction has
     * signalled it with CR0.NE = 0 (the PC's legacy route to IRQ13). The board polls it after each
     * run and raises IRQ13 while it is asserted; it clears when the guest clears the exception.
     */
    public boolean ferrAsserted() {
        return cpu.ferrAsserted();
    }

    public int index() {
        return index;
    }

    @Override
    public void run(ExitInfo info) {
        cpu.run(info);
    }

    @Override
    public void getRegisters(X86Registers out) {
        cpu.getRegisters(out);
    }

    @Override
    public void setRegisters(X86Registers in) {
        cpu.setRegisters(in);
    }

    @Override
    public void requestStop() {
        cpu.requestStop();
    }

    @Override
    public long instructionsRetired() {
        return cpu.retired();
    }

    @Override
    public boolean injectInterrupt(int vector) {
        return cpu.injectInterrupt(vector);
    }

    @Override
    public boolean injectNmi() {
        cpu.injectNmi();
        return true;
    }

    @Override
    public int acknowledgeInterrupt() {
        return cpu.acknowledgeInterrupt();
    }

    /**
     * Whether MOV to CRn (0, 2, 3, 4) of value passes this CPU's checks (SDM Vol. 2, MOV to CR: #GP(0)
     * otherwise), for a VMM emulating the write after a CR-access exit.
     */
    public static boolean controlWriteValid(int n, long value) {
        return (value >>> 32) == 0 && SystemOps.controlValueValid(n, (int) value);
    }

    /** DRn as MOV from DR reads it (DR4/DR5 alias DR6/DR7), for a VMM emulating MOV DR. */
    public int debugRegister(int n) {
        return cpu.dr[n == 4 || n == 5 ? n + 2 : n & 7];
    }

    /** DRn as MOV to DR writes it: DR6 and DR7 keep their fixed bits (SDM Vol. 3B, 18.2.3-18.2.4). */
    public void setDebugRegister(int n, int v) {
        cpu.writeDebugRegister(n == 4 || n == 5 ? n + 2 : n & 7, v);
    }

    @Override
    public void setInterruptController(InterruptController controller) {
        cpu.setInterruptController(controller);
    }

    @Override
    public void setPortIo(PortIo io) {
        cpu.setPortIo(io);
    }

    @Override
    public void setMsrAccess(MsrAccess msrs) {
        cpu.setMsrAccess(msrs);
    }

    @Override
    public void setTscOffset(long offset) {
        cpu.setTscOffset(offset);
    }

    @Override
    public void setInstructionLimit(long limit) {
        cpu.setInstructionLimit(limit);
    }

    @Override
    public boolean injectException(int vector, int errorCode) {
        cpu.injectException(vector, errorCode);
        return true;
    }

    @Override
    public boolean addBreakpoint(long linear) {
        cpu.addBreakpoint(linear);
        return true;
    }

    @Override
    public void removeBreakpoint(long linear) {
        cpu.removeBreakpoint(linear);
    }

    /** The translation of linear step by step: guest paging entries and the EPT entries beneath each (read-only). */
    public dev.trapdoor.memory.paging.WalkView.Result walk(long linear) {
        return cpu.walkView(linear);
    }

    /**
     * Replaces the host debugger's stops (watchpoints, mnemonics, ports, vectors: see
     * {@link DebugStops}); they apply before the next instruction, whatever the block cache holds.
     */
    public void setDebugStops(DebugStops stops) {
        cpu.setDebugStops(stops);
    }

    /** What the last host debugger stop saw (the access of a watchpoint, the port, the vector), or null. */
    public DebugHit lastDebugHit() {
        return cpu.lastDebugHit();
    }

    @Override
    public long translateLinear(long linear) {
        return cpu.debugTranslate(linear);
    }

    // ---- EPT tables, the TLB and its counters (the interpreter's view of SDM Vol. 3C, 29)

    /** The host pages EPT pointers in this vCPU's VMCS name; "enable EPT" without them fails VM entry. */
    public void eptTables(dev.trapdoor.memory.paging.HostPages pages, int maxPhysAddr) {
        cpu.eptTables(pages, maxPhysAddr);
    }

    /** INVEPT all-context: drops combined translations of every VPID. Call between runs. */
    public void invept() {
        cpu.invept();
    }

    /** INVVPID single-context: drops vpid's translations. Call between runs. */
    public void invvpid(int vpid) {
        cpu.invvpid(vpid);
    }

    /** Device (MMIO) accesses exit as EPT violations (default, as on KVM), or go straight to the device bus. */
    public void mmioExits(boolean on) {
        cpu.mmioExits = on;
    }

    public boolean mmioExits() {
        return cpu.mmioExits;
    }

    public TlbCounters tlbCounters() {
        return cpu.tlbCounters();
    }

    /** PAE PDPTEs walked from memory on every miss (AMD nested paging) instead of held in registers (Intel). */
    public void pdptesInWalk(boolean on) {
        cpu.walker.pdptesInWalk(on);
        cpu.flushAllContexts();
    }

    public void resetTlbCounters() {
        cpu.resetTlbCounters();
    }

    /** Whether TLB hits are counted (every access then takes the slow path: slower, but exact). */
    public void tlbCounting(boolean on) {
        cpu.tlbCounting(on);
    }

    /** Valid entries in the TLB of the VPID that ran last. */
    public int tlbValidEntries() {
        return cpu.tlbValidEntries();
    }

    // ---- snapshot

    /** The core's architectural and event state (not the VMCS: it is a part of its own). */
    @Override
    public void saveState(dev.trapdoor.snapshot.StateWriter out) {
        CpuSnapshot.save(cpu, out);
    }

    /** Loads the core's state and flushes the TLB (decoded blocks go when the memory is restored over them). */
    @Override
    public void loadState(dev.trapdoor.snapshot.StateReader in) {
        CpuSnapshot.load(cpu, in);
    }

    /** The buffer I/O exits move their data through (an exit restored from a snapshot points at it again). */
    public java.lang.foreign.MemorySegment transferBuffer() {
        return cpu.ioBuffer;
    }

    @Override
    public void close() {
    }
}
