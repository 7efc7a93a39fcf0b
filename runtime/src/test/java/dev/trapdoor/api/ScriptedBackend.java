package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** A backend that plays made-up exits, so the run loop and handlers can be tested without a CPU. */
final class ScriptedBackend implements Backend {
    final Deque<Consumer<ExitInfo>> steps = new ArrayDeque<>();
    final List<Long> inResults = new ArrayList<>();
    final X86Registers regs = X86Registers.realMode(0, 0x1000);
    final MemorySegment buffer = Arena.ofAuto().allocate(4096);
    private boolean lastWasIn;
    private int lastSize;
    Set<ExitReason> reasons = EnumSet.of(ExitReason.IO_INSTRUCTION, ExitReason.HLT, ExitReason.EPT_VIOLATION,
            ExitReason.TRIPLE_FAULT, ExitReason.STOP_REQUEST, ExitReason.INTERNAL_ERROR, ExitReason.CPUID);

    ScriptedBackend out(int port, int size, long value) {
        steps.add(i -> {
            i.io(port, size, false, false, false, false, 1);
            i.data = buffer;
            Exit.write(buffer, 0, size, value);
            i.rip = regs.eip;
            i.instructionLength = 1;
        });
        return this;
    }

    ScriptedBackend in(int port, int size) {
        steps.add(i -> {
            i.io(port, size, true, false, false, false, 1);
            i.data = buffer;
            buffer.fill((byte) 0);
            i.rip = regs.eip;
            i.instructionLength = 1;
        });
        return this;
    }

    ScriptedBackend exit(ExitReason r, int length) {
        steps.add(i -> {
            i.reset(r);
            i.rip = regs.eip;
            i.instructionLength = length;
        });
        return this;
    }

    @Override public String name() { return "scripted"; }
    @Override public Set<ExitReason> exitReasons() { return reasons; }
    @Override public void syncMemory(PhysicalMemory memory) { }
    @Override public dev.trapdoor.arch.CpuidTable defaultCpuid() { return dev.trapdoor.arch.CpuidTable.interpreterDefault(); }
    @Override public void close() { }

    @Override
    public VcpuBackend createVcpu(int index) {
        return new VcpuBackend() {
            @Override
            public void run(ExitInfo info) {
                if (lastWasIn) inResults.add(Exit.read(buffer, 0, lastSize));
                Consumer<ExitInfo> step = steps.poll();
                if (step == null) {
                    info.reset(ExitReason.INTERNAL_ERROR);
                    info.message = "script exhausted";
                    lastWasIn = false;
                    return;
                }
                step.accept(info);
                lastWasIn = info.reason == ExitReason.IO_INSTRUCTION && info.in;
                lastSize = info.size;
            }

            @Override public void getRegisters(X86Registers out) { out.copyFrom(regs); }
            @Override public void setRegisters(X86Registers in) { regs.copyFrom(in); }
            @Override public void requestStop() { steps.addFirst(i -> i.reset(ExitReason.STOP_REQUEST)); }
            @Override public long instructionsRetired() { return -1; }
            @Override public void close() { }
        };
    }

    static long byteAt(MemorySegment s) {
        return s.get(ValueLayout.JAVA_BYTE, 0) & 0xff;
    }
}
