package dev.trapdoor.backend;

/**
 * The model-specific registers a vCPU reaches without an exit: RDMSR/WRMSR of an MSR whose
 * MSR-bitmap bit is clear (SDM Vol. 3C, 26.1.3) complete in the CPU against the VM's MSR set.
 * False from either method means the MSR does not exist (or refuses the value): #GP(0).
 */
public interface MsrAccess {
    /** Stores the value of msr in value[0]; false if there is no such MSR. */
    boolean read(int msr, long[] value);

    boolean write(int msr, long value);
}
