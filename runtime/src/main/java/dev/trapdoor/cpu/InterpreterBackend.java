package dev.trapdoor.cpu;

import dev.trapdoor.backend.Backend;
import dev.trapdoor.backend.VcpuBackend;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.paging.Ept;
import dev.trapdoor.memory.paging.HostPages;
import dev.trapdoor.memory.paging.IdentityEpt;
import dev.trapdoor.vmx.ExitReason;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * The IA-32 interpreter backend ("interp"): vCPUs that decode guest code into cached blocks and
 * execute them under VMX-style controls, reading and writing the guest-physical map directly.
 * Like KVM on a processor with EPT, it gives every vCPU an identity EPT over the map (in a table
 * pool of its own, which the VM's other EPTs share) and runs guests as "unrestricted guests".
 */
public final class InterpreterBackend implements Backend {
    private static final Set<ExitReason> REASONS = Collections.unmodifiableSet(EnumSet.of(
            ExitReason.EXCEPTION_NMI, ExitReason.TRIPLE_FAULT, ExitReason.CPUID, ExitReason.HLT,
            ExitReason.IO_INSTRUCTION, ExitReason.RDMSR, ExitReason.WRMSR, ExitReason.INTERNAL_ERROR,
            ExitReason.STOP_REQUEST, ExitReason.PREEMPTION_TIMER, ExitReason.ENTRY_FAILURE_GUEST_STATE,
            // exits that VMCS controls turn on
            ExitReason.INTERRUPT_WINDOW, ExitReason.INVLPG, ExitReason.RDTSC, ExitReason.VMCALL, ExitReason.CR_ACCESS,
            ExitReason.DR_ACCESS, ExitReason.PAUSE, ExitReason.EXTERNAL_INTERRUPT, ExitReason.NMI_WINDOW,
            ExitReason.MONITOR_TRAP_FLAG, ExitReason.MONITOR, ExitReason.MWAIT, ExitReason.RDPMC, ExitReason.WBINVD,
            ExitReason.INVD, ExitReason.GDTR_IDTR_ACCESS, ExitReason.LDTR_TR_ACCESS));

    private PhysicalMemory memory;
    private BlockCache cache;
    private HostPages eptPool;
    private Ept identityEpt;

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
            if (eptPool == null) eptPool = Ept.newTablePool();
            if (identityEpt != null) identityEpt.close();
            identityEpt = IdentityEpt.build(eptPool, memory);
        }
    }

    /** The host pages this backend's EPT tables live in: the identity EPT's, and those of any EPT a script adds. */
    public synchronized HostPages eptPool() {
        if (eptPool == null) eptPool = Ept.newTablePool();
        return eptPool;
    }

    /** The identity EPT new vCPUs start with ({@link IdentityEpt}); null before {@link #syncMemory}. */
    public synchronized Ept identityEpt() {
        return identityEpt;
    }

    @Override
    public dev.trapdoor.arch.CpuidTable defaultCpuid() {
        return dev.trapdoor.arch.CpuidTable.interpreterDefault();
    }

    @Override
    public synchronized VcpuBackend createVcpu(int index) {
        if (memory == null) throw new IllegalStateException("syncMemory must be called before createVcpu");
        return new InterpreterVcpu(index, memory, cache, identityEpt);
    }

    @Override
    public synchronized void close() {
        if (eptPool != null) eptPool.close();
        eptPool = null;
        identityEpt = null;
    }
}
