package dev.trapdoor.vmx;

/** Primary processor-based VM-execution controls (SDM Vol. 3C, Table 25-6), field {@link VmcsField#PROC_BASED_CONTROLS}. */
public final class ProcBased {
    private ProcBased() {}

    public static final int INTERRUPT_WINDOW_EXITING = 1 << 2;
    public static final int USE_TSC_OFFSETTING = 1 << 3;
    public static final int HLT_EXITING = 1 << 7;
    public static final int INVLPG_EXITING = 1 << 9;
    public static final int MWAIT_EXITING = 1 << 10;
    public static final int RDPMC_EXITING = 1 << 11;
    public static final int RDTSC_EXITING = 1 << 12;
    public static final int CR3_LOAD_EXITING = 1 << 15;
    public static final int CR3_STORE_EXITING = 1 << 16;
    public static final int ACTIVATE_TERTIARY_CONTROLS = 1 << 17;
    public static final int CR8_LOAD_EXITING = 1 << 19;
    public static final int CR8_STORE_EXITING = 1 << 20;
    public static final int USE_TPR_SHADOW = 1 << 21;
    public static final int NMI_WINDOW_EXITING = 1 << 22;
    public static final int MOV_DR_EXITING = 1 << 23;
    public static final int UNCONDITIONAL_IO_EXITING = 1 << 24;
    public static final int USE_IO_BITMAPS = 1 << 25;
    public static final int MONITOR_TRAP_FLAG = 1 << 27;
    public static final int USE_MSR_BITMAPS = 1 << 28;
    public static final int MONITOR_EXITING = 1 << 29;
    public static final int PAUSE_EXITING = 1 << 30;
    public static final int ACTIVATE_SECONDARY_CONTROLS = 1 << 31;

    /** Bits 1, 4-6, 8, 13-16 and 26 are reserved to 1 (default1 class, SDM Appendix A.3.2). */
    public static final int DEFAULT1 = 0x0401E172;
}
