package dev.trapdoor.backend;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;

/**
 * One virtual CPU of a backend. {@link #run} is VM entry: it returns at the next VM exit with
 * {@code info} filled. An I/O or MMIO exit leaves its instruction pending; the handler moves the
 * data through {@code info.data} and the next {@code run} completes the instruction (KVM's
 * contract, which the interpreter follows too).
 */
public interface VcpuBackend extends AutoCloseable {
    void run(ExitInfo info);

    void getRegisters(X86Registers out);

    void setRegisters(X86Registers in);

    /** Thread-safe: makes the current or next {@link #run} return soon with STOP_REQUEST. */
    void requestStop();

    /** Guest instructions retired so far, or -1 where the backend cannot count them (KVM). */
    long instructionsRetired();

    /**
     * Asks for an external interrupt with this vector to be delivered when the guest can take
     * it (IF=1, no interrupt shadow). Returns false where the backend has no way to inject.
     */
    default boolean injectInterrupt(int vector) { return false; }

    /**
     * Connects the board's interrupt controller: the vCPU polls its INTR line whenever it can take
     * an external interrupt and runs the acknowledge cycle itself, as a CPU's INTR/INTA pins do
     * (VMX with external-interrupt exiting off). Backends that cannot poll may ignore it.
     */
    default void setInterruptController(InterruptController controller) { }

    /** Raises the NMI input (delivered, or an exit under "NMI exiting", when nothing blocks it). False where the backend cannot. */
    default boolean injectNmi() { return false; }

    /**
     * The interrupt-acknowledge cycle run by the VMM after an external-interrupt exit without
     * "acknowledge interrupt on exit": the vector of the interrupt the vCPU exited for (its own
     * queue first, then the controller's), or -1 if none is requested.
     */
    default int acknowledgeInterrupt() { return -1; }

    /**
     * The VMX-preemption-timer idea on an instruction clock: once {@link #instructionsRetired()}
     * reaches limit, run() returns with PREEMPTION_TIMER, so the VMM can fire its device timers on
     * time. Long.MAX_VALUE = no limit. Backends that cannot count instructions ignore it.
     */
    default void setInstructionLimit(long limit) { }

    /** What CPUID answers in this vCPU where the backend, not an exit handler, answers it (KVM_SET_CPUID2). */
    default void setCpuid(dev.trapdoor.arch.CpuidTable table) { }

    /**
     * Where IN/OUT/INS/OUTS go when the VMX controls say a port does not exit (the I/O bitmaps).
     * Without one every access exits. Backends that decide I/O exits elsewhere (KVM) ignore it.
     */
    default void setPortIo(PortIo io) { }

    /** Where RDMSR/WRMSR go when the MSR bitmap says an MSR does not exit. Without one every access exits. */
    default void setMsrAccess(MsrAccess msrs) { }

    /** The VMX TSC offset (SDM Vol. 3C, 25.6.5): RDTSC returns the backend's counter plus this. */
    default void setTscOffset(long offset) { }

    /**
     * Delivers an exception at the next entry, as VM-entry event injection does (the VMM answering
     * an exit with #GP, e.g. RDMSR of an MSR it does not model). False where the backend cannot.
     */
    default boolean injectException(int vector, int errorCode) { return false; }

    /**
     * A debugger breakpoint on a linear instruction address, invisible to the guest: run() exits
     * with EXCEPTION_NMI, vector 1, message "breakpoint", EIP at the instruction, before executing
     * it; the next run executes it. False where the backend has none (or no free slot).
     */
    default boolean addBreakpoint(long linear) { return false; }

    default void removeBreakpoint(long linear) { }

    /**
     * For a backend that does not count instructions: the next {@link #run} executes at most one
     * instruction and ends with a MONITOR_TRAP_FLAG exit after it (unless another exit comes
     * first), as VMX's monitor trap flag does. False when the backend cannot single-step.
     */
    default boolean setMonitorTrap(boolean on) { return false; }

    /**
     * A data breakpoint in a debug register the backend owns (KVM: DR0-DR3, shared with the
     * instruction breakpoints): a trap after an instruction that writes (readToo: or reads)
     * [linear, linear+length), length 1, 2 or 4 and aligned, reported as a vector-1 exception exit
     * with message "watchpoint", qualification = id and guestLinear = linear. False when no
     * register is free or the backend has none.
     */
    default boolean addDataBreakpoint(long linear, int length, boolean readToo, int id) { return false; }

    default void removeDataBreakpoint(int id) { }

    /** Linear to guest-physical through the guest's paging, without side effects; -1 if unmapped. */
    default long translateLinear(long linear) { return -1; }

    @Override
    void close();
}
