package dev.trapdoor.vmx;

/** VM-entry controls (SDM Vol. 3C, Table 25-15), field {@link VmcsField#VM_ENTRY_CONTROLS}. */
public final class EntryControls {
    private EntryControls() {}

    public static final int LOAD_DEBUG_CONTROLS = 1 << 2;
    public static final int IA32E_MODE_GUEST = 1 << 9;
    public static final int ENTRY_TO_SMM = 1 << 10;
    public static final int DEACTIVATE_DUAL_MONITOR = 1 << 11;
    public static final int LOAD_IA32_PERF_GLOBAL_CTRL = 1 << 13;
    public static final int LOAD_IA32_PAT = 1 << 14;
    public static final int LOAD_IA32_EFER = 1 << 15;
    public static final int LOAD_IA32_BNDCFGS = 1 << 16;
    public static final int CONCEAL_VMX_FROM_PT = 1 << 17;
    public static final int LOAD_IA32_RTIT_CTL = 1 << 18;
    public static final int LOAD_CET_STATE = 1 << 20;

    /** Bits 0-8 and 12 are reserved to 1 (default1 class, SDM Appendix A.5). */
    public static final int DEFAULT1 = 0x000011FF;
}
