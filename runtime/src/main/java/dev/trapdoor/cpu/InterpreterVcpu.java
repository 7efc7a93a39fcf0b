package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.backend.MsrAccess;
import dev.trapdoor.backend.PortIo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
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

    InterpreterVcpu(int index, PhysicalMemory memory, BlockCache cache) {
        this.index = index;
        this.vmcs = defaultVmcs();
        this.cpu = new Cpu(memory, vmcs, cache);
    }

    /**
     * The controls a new vCPU starts with, the interpreter's behaviour before it had a VMCS: HLT
     * exiting and unconditional I/O exiting on, no I/O or MSR bitmaps, exception bitmap 0 (CPUID,
     * and RDMSR/WRMSR without MSR bitmaps, exit regardless). The default1 bits are set as a VMM
     * must set them (SDM Appendix A.3), except CR3-load and CR3-store exiting, which the "true"
     * controls let a VMM clear (A.3.2: processors that set IA32_VMX_BASIC bit 55 allow 0 for both).
     */
    static Vmcs defaultVmcs() {
        Vmcs v = new Vmcs(32);
        v.write(VmcsField.PIN_BASED_CONTROLS, PinBased.DEFAULT1);
        int proc = ProcBased.DEFAULT1 & ~(ProcBased.CR3_LOAD_EXITING | ProcBased.CR3_STORE_EXITING);
        v.write(VmcsField.PROC_BASED_CONTROLS, proc | ProcBased.HLT_EXITING | ProcBased.UNCONDITIONAL_IO_EXITING);
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

    @Override
    public long translateLinear(long linear) {
        return cpu.debugTranslate(linear);
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
