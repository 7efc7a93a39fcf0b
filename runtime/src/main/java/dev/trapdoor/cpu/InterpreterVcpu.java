package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.InterruptController;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExecutionControls;
import dev.trapdoor.vmx.ExitInfo;

/** One vCPU of the interpreter backend: the {@link VcpuBackend} face of a {@link Cpu} core. */
public final class InterpreterVcpu implements VcpuBackend {
    /** The VM-execution controls this vCPU honours; scripts and the runtime may change them between runs. */
    public final ExecutionControls controls;
    private final Cpu cpu;
    private final int index;

    InterpreterVcpu(int index, PhysicalMemory memory, BlockCache cache) {
        this.index = index;
        this.controls = new ExecutionControls();
        this.cpu = new Cpu(memory, controls, cache);
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

    @Override
    public void close() {
    }
}
