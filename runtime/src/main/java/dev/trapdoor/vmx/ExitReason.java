package dev.trapdoor.vmx;

/**
 * Basic VM-exit reasons, numbered as in the Intel SDM (Vol. 3C, Appendix C "VMX Basic Exit
 * Reasons"). Two Trapdoor outcomes that are not VMX exits sit above the SDM's 16-bit range:
 * {@link #INTERNAL_ERROR} (a backend could not go on: KVM emulation failure, an unimplemented
 * interpreter path) and {@link #STOP_REQUEST} (the host asked the vCPU to stop: Ctrl-C, an
 * instruction budget, another thread).
 */
public enum ExitReason {
    EXCEPTION_NMI(0),
    EXTERNAL_INTERRUPT(1),
    TRIPLE_FAULT(2),
    INIT_SIGNAL(3),
    SIPI(4),
    IO_SMI(5),
    OTHER_SMI(6),
    INTERRUPT_WINDOW(7),
    NMI_WINDOW(8),
    TASK_SWITCH(9),
    CPUID(10),
    GETSEC(11),
    HLT(12),
    INVD(13),
    INVLPG(14),
    RDPMC(15),
    RDTSC(16),
    RSM(17),
    VMCALL(18),
    VMCLEAR(19),
    VMLAUNCH(20),
    VMPTRLD(21),
    VMPTRST(22),
    VMREAD(23),
    VMRESUME(24),
    VMWRITE(25),
    VMXOFF(26),
    VMXON(27),
    CR_ACCESS(28),
    DR_ACCESS(29),
    IO_INSTRUCTION(30),
    RDMSR(31),
    WRMSR(32),
    ENTRY_FAILURE_GUEST_STATE(33),
    ENTRY_FAILURE_MSR_LOADING(34),
    MWAIT(36),
    MONITOR_TRAP_FLAG(37),
    MONITOR(39),
    PAUSE(40),
    ENTRY_FAILURE_MACHINE_CHECK(41),
    TPR_BELOW_THRESHOLD(43),
    APIC_ACCESS(44),
    VIRTUALIZED_EOI(45),
    GDTR_IDTR_ACCESS(46),
    LDTR_TR_ACCESS(47),
    EPT_VIOLATION(48),
    EPT_MISCONFIG(49),
    INVEPT(50),
    RDTSCP(51),
    PREEMPTION_TIMER(52),
    INVVPID(53),
    WBINVD(54),
    XSETBV(55),
    APIC_WRITE(56),
    RDRAND(57),
    INVPCID(58),
    VMFUNC(59),
    ENCLS(60),
    RDSEED(61),
    PML_FULL(62),
    XSAVES(63),
    XRSTORS(64),
    PCONFIG(65),
    SPP_EVENT(66),
    UMWAIT(67),
    TPAUSE(68),
    LOADIWKEY(69),
    ENCLV(70),
    ENQCMD_PASID_TRANSLATION_FAILURE(72),
    ENQCMDS_PASID_TRANSLATION_FAILURE(73),
    BUS_LOCK(74),
    INSTRUCTION_TIMEOUT(75),
    SEAMCALL(76),
    TDCALL(77),
    RDMSRLIST(78),
    WRMSRLIST(79),

    /** Not a VMX exit: the backend could not continue (see the exit's message). */
    INTERNAL_ERROR(0x10000),
    /** Not a VMX exit: the host asked the vCPU to stop. */
    STOP_REQUEST(0x10001);

    private static final ExitReason[] BY_NUMBER = new ExitReason[80];

    static {
        for (ExitReason r : values()) {
            if (r.number < BY_NUMBER.length) BY_NUMBER[r.number] = r;
        }
    }

    private final int number;

    ExitReason(int number) {
        this.number = number;
    }

    /** The SDM's basic exit reason number (bits 15:0 of the exit-reason field). */
    public int number() {
        return number;
    }

    /** True for the SDM's reasons, false for Trapdoor's own outcomes. */
    public boolean isVmx() {
        return number < 0x10000;
    }

    /** The reason with this SDM number, or null if the SDM defines none. */
    public static ExitReason ofNumber(int number) {
        if (number >= 0 && number < BY_NUMBER.length) return BY_NUMBER[number];
        for (ExitReason r : values()) if (r.number == number) return r;
        return null;
    }

    /** Looks a reason up by name, case-insensitive, for scripts: "io_instruction", "HLT". */
    public static ExitReason byName(String name) {
        String n = name.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_').replace(' ', '_');
        for (ExitReason r : values()) if (r.name().equals(n)) return r;
        throw new IllegalArgumentException("no exit reason named '" + name + "'");
    }
}
