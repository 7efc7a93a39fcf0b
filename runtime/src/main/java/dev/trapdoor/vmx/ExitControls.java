package dev.trapdoor.vmx;

/** VM-exit controls (SDM Vol. 3C, Table 25-13), field {@link VmcsField#VM_EXIT_CONTROLS}. */
public final class ExitControls {
    private ExitControls() {}

    public static final int SAVE_DEBUG_CONTROLS = 1 << 2;
    public static final int HOST_ADDRESS_SPACE_SIZE = 1 << 9;
    public static final int LOAD_IA32_PERF_GLOBAL_CTRL = 1 << 12;
    public static final int ACKNOWLEDGE_INTERRUPT_ON_EXIT = 1 << 15;
    public static final int SAVE_IA32_PAT = 1 << 18;
    public static final int LOAD_IA32_PAT = 1 << 19;
    public static final int SAVE_IA32_EFER = 1 << 20;
    public static final int LOAD_IA32_EFER = 1 << 21;
    public static final int SAVE_PREEMPTION_TIMER = 1 << 22;
    public static final int CLEAR_IA32_BNDCFGS = 1 << 23;
    public static final int CONCEAL_VMX_FROM_PT = 1 << 24;
    public static final int CLEAR_IA32_RTIT_CTL = 1 << 25;
    public static final int LOAD_CET_STATE = 1 << 28;

    /** Bits 0-8, 10, 11, 13, 14, 16 and 17 are reserved to 1 (default1 class, SDM Appendix A.4). */
    public static final int DEFAULT1 = 0x00036DFF;
}
