package dev.trapdoor.api;

/** Why a run returned to the caller. */
public enum StopReason {
    /** The guest executed HLT with nothing to wake it. */
    HALTED,
    /** A breakpoint matched: an exit watch, or a breakpoint on an instruction address. */
    BREAKPOINT,
    /** {@link Vcpu#step(long)} executed its instructions. */
    STEPPED,
    /** A hook returned {@link Action#STOP}. */
    HOOK_STOP,
    /** A device asked the machine to stop (isa-debug-exit); the run result carries the status. */
    SHUTDOWN,
    /** The guest triple-faulted (a real PC would reset). */
    TRIPLE_FAULT,
    /** The host stopped the vCPU: Ctrl-C, {@link Vm#stop()}, an instruction budget. */
    INTERRUPTED,
    /** An exception was delivered as an exit (exception bitmap / debug) and nothing handled it. */
    EXCEPTION,
    /** An exit no handler knows what to do with. */
    UNHANDLED_EXIT,
    /** The backend failed (KVM internal error, entry failure) or a hook threw. */
    ERROR
}
