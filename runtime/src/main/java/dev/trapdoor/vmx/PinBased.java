package dev.trapdoor.vmx;

/** Pin-based VM-execution controls (SDM Vol. 3C, Table 25-5), field {@link VmcsField#PIN_BASED_CONTROLS}. */
public final class PinBased {
    private PinBased() {}

    public static final int EXTERNAL_INTERRUPT_EXITING = 1 << 0;
    public static final int NMI_EXITING = 1 << 3;
    public static final int VIRTUAL_NMIS = 1 << 5;
    public static final int ACTIVATE_PREEMPTION_TIMER = 1 << 6;
    public static final int PROCESS_POSTED_INTERRUPTS = 1 << 7;

    /** Bits 1, 2 and 4 are reserved to 1 (default1 class, SDM Appendix A.3.1). */
    public static final int DEFAULT1 = 0x16;
}
