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
