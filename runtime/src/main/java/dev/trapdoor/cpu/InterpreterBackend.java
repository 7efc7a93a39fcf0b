package dev.trapdoor.cpu;

import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitReason;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The IA-32 interpreter backend ("interp"): vCPUs that decode guest code into cached blocks and
 * execute them under VMX-style controls, reading and writing the guest-physical map directly.
 */
public final class InterpreterBackend implements Backend {
    private static final Set<ExitReason> REASONS = Collections.unmodifiableSet(EnumSet.of(
            ExitReason.EXCEPTION_NMI, ExitReason.TRIPLE_FAULT, ExitReason.CPUID, ExitReason.HLT,
            ExitReason.IO_INSTRUCTION, ExitReason.RDMSR, ExitReason.WRMSR, ExitReason.INTERNAL_ERROR,
            ExitReason.STOP_REQUEST, ExitReason.PREEMPTION_TIMER,
            // exits that VMCS controls turn on
            ExitReason.INTERRUPT_WINDOW, ExitReason.INVLPG, ExitReason.RDTSC, ExitReason.VMCALL, ExitReason.CR_ACCESS,
            ExitReason.DR_ACCESS, ExitReason.PAUSE, ExitReason.EXTERNAL_INTERRUPT, ExitReason.NMI_WINDOW,
            ExitReason.MONITOR_TRAP_FLAG, ExitReason.MONITOR, ExitReason.MWAIT, ExitReason.RDPMC, ExitReason.WBINVD,
            ExitReason.INVD, ExitReason.GDTR_IDTR_ACCESS, ExitReason.LDTR_TR_ACCESS));

    private PhysicalMemory memory;
    private BlockCache cache;

    @Override
    public String name() {
        return "interp";
    }

    @Override
    public Set<ExitReason> exitReasons() {
        return REASONS;
    }

    @Override
    public synchronized void syncMemory(PhysicalMemory memory) {
        // The map is read live on every access; only a different map needs a new block cache.
        if (this.memory != memory) {
            this.memory = memory;
            this.cache = new BlockCache(memory);
        }
    }

    @Override
    public dev.trapdoor.arch.CpuidTable defaultCpuid() {
        return dev.trapdoor.arch.CpuidTable.interpreterDefault();
    }

    @Override
    public synchronized VcpuBackend createVcpu(int index) {
        if (memory == null) throw new IllegalStateException("syncMemory must be called before createVcpu");
        return new InterpreterVcpu(index, memory, cache);
    }

    @Override
    public void close() {
    }
}
