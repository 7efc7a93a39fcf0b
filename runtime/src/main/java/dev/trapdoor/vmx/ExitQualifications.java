package dev.trapdoor.vmx;

/**
 * Exit qualifications in Intel's formats (SDM Vol. 3C, 28.2.1): control-register accesses
 * (Table 28-3), MOV DR (Table 28-4), debug exceptions (Table 28-1) and task switches (Table 28-2).
 * I/O and EPT violations have their own classes ({@link IoQualification}, {@link EptQualification}).
 */
public final class ExitQualifications {
    private ExitQualifications() {}

    // ---- control-register accesses (Table 28-3)

    public static final int CR_MOV_TO = 0, CR_MOV_FROM = 1, CR_CLTS = 2, CR_LMSW = 3;

    /** MOV to CR (CR_MOV_TO) or MOV from CR (CR_MOV_FROM): CR number 3:0, access type 5:4, GPR 11:8. */
    public static long crMov(int cr, boolean toCr, int gpr) {
        return (cr & 0xf) | (long) (toCr ? CR_MOV_TO : CR_MOV_FROM) << 4 | (long) (gpr & 0xf) << 8;
    }

    /** CLTS: CR number 0, access type 2. */
    public static long clts() {
        return (long) CR_CLTS << 4;
    }

    /** LMSW: CR 0, access type 3, operand type bit 6 (1 = memory), source data 31:16. */
    public static long lmsw(boolean memoryOperand, int source) {
        long q = (long) CR_LMSW << 4 | (long) (source & 0xffff) << 16;
        return memoryOperand ? q | 1 << 6 : q;
    }

    public static int crNumber(long q) { return (int) q & 0xf; }
    public static int crAccessType(long q) { return (int) (q >>> 4) & 3; }
    public static boolean lmswMemoryOperand(long q) { return (q & (1 << 6)) != 0; }
    public static int crGpr(long q) { return (int) (q >>> 8) & 0xf; }
    public static int lmswSource(long q) { return (int) (q >>> 16) & 0xffff; }

    // ---- MOV DR (Table 28-4)

    /** DR number 2:0, direction bit 4 (0 MOV to DR, 1 MOV from DR), GPR 11:8. */
    public static long movDr(int dr, boolean toDr, int gpr) {
        long q = (dr & 7) | (long) (gpr & 0xf) << 8;
        return toDr ? q : q | 1 << 4;
    }

    public static int drNumber(long q) { return (int) q & 7; }
    public static boolean drFrom(long q) { return (q & (1 << 4)) != 0; }
    public static int drGpr(long q) { return (int) (q >>> 8) & 0xf; }

    // ---- debug exceptions (Table 28-1): the DR6 bits the exception would have set

    /** B0-B3 (bits 3:0): which breakpoint conditions were met. */
    public static final int DEBUG_B_MASK = 0xf;
    /** BLD (bit 11): a bus lock was asserted (set here, where DR6 clears it). */
    public static final int DEBUG_BLD = 1 << 11;
    /** BD (bit 13): a debug-register access was detected. */
    public static final int DEBUG_BD = 1 << 13;
    /** BS (bit 14): single step (TF) or a taken branch with BTF. */
    public static final int DEBUG_BS = 1 << 14;
    /** RTM (bit 16): the #DB happened inside an RTM region. */
    public static final int DEBUG_RTM = 1 << 16;

    public static long debug(int breakpoints, boolean bd, boolean bs) {
        long q = breakpoints & DEBUG_B_MASK;
        if (bd) q |= DEBUG_BD;
        if (bs) q |= DEBUG_BS;
        return q;
    }

    // ---- task switch (Table 28-2)

    public static final int TASK_SWITCH_CALL = 0, TASK_SWITCH_IRET = 1, TASK_SWITCH_JMP = 2, TASK_SWITCH_IDT_GATE = 3;

    /** The new TSS's selector 15:0 and the source of the switch 31:30. */
    public static long taskSwitch(int tssSelector, int source) {
        return (tssSelector & 0xffff) | (long) (source & 3) << 30;
    }

    public static int taskSwitchSelector(long q) { return (int) q & 0xffff; }
    public static int taskSwitchSource(long q) { return (int) (q >>> 30) & 3; }
}
