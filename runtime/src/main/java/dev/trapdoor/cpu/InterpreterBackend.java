package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumSet;
import java.util.Set;

/** TEMPORARY PLACEHOLDER (shell worktree only): replays "outb 0x3f8" of the bytes at 0x1100.. until NUL, then HLT. */
public final class InterpreterBackend implements Backend {
    private PhysicalMemory mem;
    public String name() { return "interp"; }
    public Set<ExitReason> exitReasons() { return EnumSet.of(ExitReason.IO_INSTRUCTION, ExitReason.HLT, ExitReason.CPUID, ExitReason.TRIPLE_FAULT, ExitReason.INTERNAL_ERROR, ExitReason.STOP_REQUEST, ExitReason.EXCEPTION_NMI); }
    public void syncMemory(PhysicalMemory m) { mem = m; }
    public VcpuBackend createVcpu(int i) {
        return new VcpuBackend() {
            final X86Registers regs = new X86Registers();
            final MemorySegment buf = Arena.ofAuto().allocate(4096);
            long p = 0x1100;
            volatile boolean stop;
            public void run(ExitInfo info) {
                if (stop) { stop = false; info.reset(ExitReason.STOP_REQUEST); return; }
                int c = mem.read8(p);
                if (c == 0) { info.reset(ExitReason.HLT); info.instructionLength = 1; p = 0x1100; return; }
                info.io(0x3f8, 1, false, false, false, false, 1);
                info.data = buf;
                buf.set(ValueLayout.JAVA_BYTE, 0, (byte) c);
                info.rip = p;
                p++;
                regs.eip = (int) p;
            }
            public void getRegisters(X86Registers out) { out.copyFrom(regs); }
            public void setRegisters(X86Registers in) { regs.copyFrom(in); }
            public void requestStop() { stop = true; }
            public long instructionsRetired() { return p - 0x1100; }
            public void close() {}
        };
    }
    public void close() {}
}
