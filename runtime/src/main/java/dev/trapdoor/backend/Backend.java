package dev.trapdoor.backend;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.ExitReason;

import java.util.Set;

/**
 * An execution backend: something that runs a VM's vCPUs over its guest-physical memory and
 * reports VM exits. The interpreter and KVM implement it; the runtime API drives it.
 */
public interface Backend extends AutoCloseable {
    String name();

    /** The exit reasons this backend can report; a hook on any other reason would never fire. */
    Set<ExitReason> exitReasons();

    /**
     * Makes the backend see the memory map as it is now. Called once the board is wired, and again
     * after regions are added. RAM is shared, never copied.
     */
    void syncMemory(PhysicalMemory memory);

    VcpuBackend createVcpu(int index);

    /** The CPU model a VM gets when its script names none: what this backend can really run. */
    dev.trapdoor.arch.CpuidTable defaultCpuid();

    @Override
    void close();
}
