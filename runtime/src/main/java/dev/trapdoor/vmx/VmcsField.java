package dev.trapdoor.vmx;

import static dev.trapdoor.vmx.VmcsGroup.ENTRY_CONTROLS;
import static dev.trapdoor.vmx.VmcsGroup.EXECUTION_CONTROLS;
import static dev.trapdoor.vmx.VmcsGroup.EXIT_CONTROLS;
import static dev.trapdoor.vmx.VmcsGroup.EXIT_INFO;
import static dev.trapdoor.vmx.VmcsGroup.GUEST_STATE;
import static dev.trapdoor.vmx.VmcsGroup.HOST_STATE;

import java.util.Locale;

/**
 * VMCS fields with their VMREAD/VMWRITE encodings (SDM Vol. 3C, Appendix B). An encoding is laid
 * out as (Table 25-21 "Structure of VMCS Component Encoding"): bit 0 access type (0 full, 1 high
 * half of a 64-bit field), bits 9:1 index, bits 11:10 type (control, VM-exit information, guest
 * state, host state), bit 12 reserved, bits 14:13 width (16-bit, 64-bit, 32-bit, natural width).
 * Width, type and read-only-ness are derived from the encoding; the group is the SDM's table.
 */
public enum VmcsField {
    // ---- 16-bit control fields (B.1.1)
    VPID(0x0000, EXECUTION_CONTROLS),
    POSTED_INTERRUPT_NOTIFICATION_VECTOR(0x0002, EXECUTION_CONTROLS),
    EPTP_INDEX(0x0004, EXECUTION_CONTROLS),
    // ---- 16-bit guest-state fields (B.1.2)
    GUEST_ES_SELECTOR(0x0800, GUEST_STATE),
    GUEST_CS_SELECTOR(0x0802, GUEST_STATE),
    GUEST_SS_SELECTOR(0x0804, GUEST_STATE),
    GUEST_DS_SELECTOR(0x0806, GUEST_STATE),
    GUEST_FS_SELECTOR(0x0808, GUEST_STATE),
    GUEST_GS_SELECTOR(0x080A, GUEST_STATE),
    GUEST_LDTR_SELECTOR(0x080C, GUEST_STATE),
    GUEST_TR_SELECTOR(0x080E, GUEST_STATE),
    GUEST_INTERRUPT_STATUS(0x0810, GUEST_STATE),
    GUEST_PML_INDEX(0x0812, GUEST_STATE),
    // ---- 16-bit host-state fields (B.1.3)
    HOST_ES_SELECTOR(0x0C00, HOST_STATE),
    HOST_CS_SELECTOR(0x0C02, HOST_STATE),
    HOST_SS_SELECTOR(0x0C04, HOST_STATE),
    HOST_DS_SELECTOR(0x0C06, HOST_STATE),
    HOST_FS_SELECTOR(0x0C08, HOST_STATE),
    HOST_GS_SELECTOR(0x0C0A, HOST_STATE),
    HOST_TR_SELECTOR(0x0C0C, HOST_STATE),

    // ---- 64-bit control fields (B.2.1)
    IO_BITMAP_A(0x2000, EXECUTION_CONTROLS),
    IO_BITMAP_B(0x2002, EXECUTION_CONTROLS),
    MSR_BITMAP(0x2004, EXECUTION_CONTROLS),
    VM_EXIT_MSR_STORE_ADDRESS(0x2006, EXIT_CONTROLS),
    VM_EXIT_MSR_LOAD_ADDRESS(0x2008, EXIT_CONTROLS),
    VM_ENTRY_MSR_LOAD_ADDRESS(0x200A, ENTRY_CONTROLS),
    EXECUTIVE_VMCS_POINTER(0x200C, EXECUTION_CONTROLS),
    PML_ADDRESS(0x200E, EXECUTION_CONTROLS),
    TSC_OFFSET(0x2010, EXECUTION_CONTROLS),
    VIRTUAL_APIC_ADDRESS(0x2012, EXECUTION_CONTROLS),
    APIC_ACCESS_ADDRESS(0x2014, EXECUTION_CONTROLS),
    POSTED_INTERRUPT_DESCRIPTOR_ADDRESS(0x2016, EXECUTION_CONTROLS),
    VM_FUNCTION_CONTROLS(0x2018, EXECUTION_CONTROLS),
    EPT_POINTER(0x201A, EXECUTION_CONTROLS),
    EOI_EXIT_BITMAP_0(0x201C, EXECUTION_CONTROLS),
    EOI_EXIT_BITMAP_1(0x201E, EXECUTION_CONTROLS),
    EOI_EXIT_BITMAP_2(0x2020, EXECUTION_CONTROLS),
    EOI_EXIT_BITMAP_3(0x2022, EXECUTION_CONTROLS),
    EPTP_LIST_ADDRESS(0x2024, EXECUTION_CONTROLS),
    VMREAD_BITMAP_ADDRESS(0x2026, EXECUTION_CONTROLS),
    VMWRITE_BITMAP_ADDRESS(0x2028, EXECUTION_CONTROLS),
    VIRTUALIZATION_EXCEPTION_INFO_ADDRESS(0x202A, EXECUTION_CONTROLS),
    XSS_EXITING_BITMAP(0x202C, EXECUTION_CONTROLS),
    ENCLS_EXITING_BITMAP(0x202E, EXECUTION_CONTROLS),
    TSC_MULTIPLIER(0x2032, EXECUTION_CONTROLS),
    // ---- 64-bit read-only data field (B.2.2)
    GUEST_PHYSICAL_ADDRESS(0x2400, EXIT_INFO),
    // ---- 64-bit guest-state fields (B.2.3)
    VMCS_LINK_POINTER(0x2800, GUEST_STATE),
    GUEST_IA32_DEBUGCTL(0x2802, GUEST_STATE),
    GUEST_IA32_PAT(0x2804, GUEST_STATE),
    GUEST_IA32_EFER(0x2806, GUEST_STATE),
    GUEST_IA32_PERF_GLOBAL_CTRL(0x2808, GUEST_STATE),
    GUEST_PDPTE0(0x280A, GUEST_STATE),
    GUEST_PDPTE1(0x280C, GUEST_STATE),
    GUEST_PDPTE2(0x280E, GUEST_STATE),
    GUEST_PDPTE3(0x2810, GUEST_STATE),
    GUEST_IA32_BNDCFGS(0x2812, GUEST_STATE),
    // ---- 64-bit host-state fields (B.2.4)
    HOST_IA32_PAT(0x2C00, HOST_STATE),
    HOST_IA32_EFER(0x2C02, HOST_STATE),
    HOST_IA32_PERF_GLOBAL_CTRL(0x2C04, HOST_STATE),

    // ---- 32-bit control fields (B.3.1)
    PIN_BASED_CONTROLS(0x4000, EXECUTION_CONTROLS),
    PROC_BASED_CONTROLS(0x4002, EXECUTION_CONTROLS),
    EXCEPTION_BITMAP(0x4004, EXECUTION_CONTROLS),
    PAGE_FAULT_ERROR_CODE_MASK(0x4006, EXECUTION_CONTROLS),
    PAGE_FAULT_ERROR_CODE_MATCH(0x4008, EXECUTION_CONTROLS),
    CR3_TARGET_COUNT(0x400A, EXECUTION_CONTROLS),
    VM_EXIT_CONTROLS(0x400C, EXIT_CONTROLS),
    VM_EXIT_MSR_STORE_COUNT(0x400E, EXIT_CONTROLS),
    VM_EXIT_MSR_LOAD_COUNT(0x4010, EXIT_CONTROLS),
    VM_ENTRY_CONTROLS(0x4012, ENTRY_CONTROLS),
    VM_ENTRY_MSR_LOAD_COUNT(0x4014, ENTRY_CONTROLS),
    VM_ENTRY_INTERRUPTION_INFO(0x4016, ENTRY_CONTROLS),
    VM_ENTRY_EXCEPTION_ERROR_CODE(0x4018, ENTRY_CONTROLS),
    VM_ENTRY_INSTRUCTION_LENGTH(0x401A, ENTRY_CONTROLS),
    TPR_THRESHOLD(0x401C, EXECUTION_CONTROLS),
    SECONDARY_PROC_BASED_CONTROLS(0x401E, EXECUTION_CONTROLS),
    PLE_GAP(0x4020, EXECUTION_CONTROLS),
    PLE_WINDOW(0x4022, EXECUTION_CONTROLS),
    // ---- 32-bit read-only data fields (B.3.2)
    VM_INSTRUCTION_ERROR(0x4400, EXIT_INFO),
    EXIT_REASON(0x4402, EXIT_INFO),
    VM_EXIT_INTERRUPTION_INFO(0x4404, EXIT_INFO),
    VM_EXIT_INTERRUPTION_ERROR_CODE(0x4406, EXIT_INFO),
    IDT_VECTORING_INFO(0x4408, EXIT_INFO),
    IDT_VECTORING_ERROR_CODE(0x440A, EXIT_INFO),
    VM_EXIT_INSTRUCTION_LENGTH(0x440C, EXIT_INFO),
    VM_EXIT_INSTRUCTION_INFO(0x440E, EXIT_INFO),
    // ---- 32-bit guest-state fields (B.3.3)
    GUEST_ES_LIMIT(0x4800, GUEST_STATE),
    GUEST_CS_LIMIT(0x4802, GUEST_STATE),
    GUEST_SS_LIMIT(0x4804, GUEST_STATE),
    GUEST_DS_LIMIT(0x4806, GUEST_STATE),
    GUEST_FS_LIMIT(0x4808, GUEST_STATE),
    GUEST_GS_LIMIT(0x480A, GUEST_STATE),
    GUEST_LDTR_LIMIT(0x480C, GUEST_STATE),
    GUEST_TR_LIMIT(0x480E, GUEST_STATE),
    GUEST_GDTR_LIMIT(0x4810, GUEST_STATE),
    GUEST_IDTR_LIMIT(0x4812, GUEST_STATE),
    GUEST_ES_ACCESS_RIGHTS(0x4814, GUEST_STATE),
    GUEST_CS_ACCESS_RIGHTS(0x4816, GUEST_STATE),
    GUEST_SS_ACCESS_RIGHTS(0x4818, GUEST_STATE),
    GUEST_DS_ACCESS_RIGHTS(0x481A, GUEST_STATE),
    GUEST_FS_ACCESS_RIGHTS(0x481C, GUEST_STATE),
    GUEST_GS_ACCESS_RIGHTS(0x481E, GUEST_STATE),
    GUEST_LDTR_ACCESS_RIGHTS(0x4820, GUEST_STATE),
    GUEST_TR_ACCESS_RIGHTS(0x4822, GUEST_STATE),
    GUEST_INTERRUPTIBILITY_STATE(0x4824, GUEST_STATE),
    GUEST_ACTIVITY_STATE(0x4826, GUEST_STATE),
    GUEST_SMBASE(0x4828, GUEST_STATE),
    GUEST_IA32_SYSENTER_CS(0x482A, GUEST_STATE),
    VMX_PREEMPTION_TIMER_VALUE(0x482E, GUEST_STATE),
    // ---- 32-bit host-state field (B.3.4)
    HOST_IA32_SYSENTER_CS(0x4C00, HOST_STATE),

    // ---- natural-width control fields (B.4.1)
    CR0_GUEST_HOST_MASK(0x6000, EXECUTION_CONTROLS),
    CR4_GUEST_HOST_MASK(0x6002, EXECUTION_CONTROLS),
    CR0_READ_SHADOW(0x6004, EXECUTION_CONTROLS),
    CR4_READ_SHADOW(0x6006, EXECUTION_CONTROLS),
    CR3_TARGET_VALUE0(0x6008, EXECUTION_CONTROLS),
    CR3_TARGET_VALUE1(0x600A, EXECUTION_CONTROLS),
    CR3_TARGET_VALUE2(0x600C, EXECUTION_CONTROLS),
    CR3_TARGET_VALUE3(0x600E, EXECUTION_CONTROLS),
    // ---- natural-width read-only data fields (B.4.2)
    EXIT_QUALIFICATION(0x6400, EXIT_INFO),
    IO_RCX(0x6402, EXIT_INFO),
    IO_RSI(0x6404, EXIT_INFO),
    IO_RDI(0x6406, EXIT_INFO),
    IO_RIP(0x6408, EXIT_INFO),
    GUEST_LINEAR_ADDRESS(0x640A, EXIT_INFO),
    // ---- natural-width guest-state fields (B.4.3)
    GUEST_CR0(0x6800, GUEST_STATE),
    GUEST_CR3(0x6802, GUEST_STATE),
    GUEST_CR4(0x6804, GUEST_STATE),
    GUEST_ES_BASE(0x6806, GUEST_STATE),
    GUEST_CS_BASE(0x6808, GUEST_STATE),
    GUEST_SS_BASE(0x680A, GUEST_STATE),
    GUEST_DS_BASE(0x680C, GUEST_STATE),
    GUEST_FS_BASE(0x680E, GUEST_STATE),
    GUEST_GS_BASE(0x6810, GUEST_STATE),
    GUEST_LDTR_BASE(0x6812, GUEST_STATE),
    GUEST_TR_BASE(0x6814, GUEST_STATE),
    GUEST_GDTR_BASE(0x6816, GUEST_STATE),
    GUEST_IDTR_BASE(0x6818, GUEST_STATE),
    GUEST_DR7(0x681A, GUEST_STATE),
    GUEST_RSP(0x681C, GUEST_STATE),
    GUEST_RIP(0x681E, GUEST_STATE),
    GUEST_RFLAGS(0x6820, GUEST_STATE),
    GUEST_PENDING_DEBUG_EXCEPTIONS(0x6822, GUEST_STATE),
    GUEST_IA32_SYSENTER_ESP(0x6824, GUEST_STATE),
    GUEST_IA32_SYSENTER_EIP(0x6826, GUEST_STATE),
    // ---- natural-width host-state fields (B.4.4)
    HOST_CR0(0x6C00, HOST_STATE),
    HOST_CR3(0x6C02, HOST_STATE),
    HOST_CR4(0x6C04, HOST_STATE),
    HOST_FS_BASE(0x6C06, HOST_STATE),
    HOST_GS_BASE(0x6C08, HOST_STATE),
    HOST_TR_BASE(0x6C0A, HOST_STATE),
    HOST_GDTR_BASE(0x6C0C, HOST_STATE),
    HOST_IDTR_BASE(0x6C0E, HOST_STATE),
    HOST_IA32_SYSENTER_ESP(0x6C10, HOST_STATE),
    HOST_IA32_SYSENTER_EIP(0x6C12, HOST_STATE),
    HOST_RSP(0x6C14, HOST_STATE),
    HOST_RIP(0x6C16, HOST_STATE);

    /** Widths, as encoded in bits 14:13. */
    public static final int WIDTH_16 = 0, WIDTH_64 = 1, WIDTH_32 = 2, WIDTH_NATURAL = 3;
    /** Types, as encoded in bits 11:10. */
    public static final int TYPE_CONTROL = 0, TYPE_EXIT_INFO = 1, TYPE_GUEST = 2, TYPE_HOST = 3;

    private static final VmcsField[] BY_ENCODING = new VmcsField[1 << 15];

    static {
        for (VmcsField f : values()) {
            if (BY_ENCODING[f.encoding] != null) throw new ExceptionInInitializerError("duplicate encoding " + f);
            BY_ENCODING[f.encoding] = f;
        }
    }

    private final int encoding;
    private final VmcsGroup group;

    VmcsField(int encoding, VmcsGroup group) {
        this.encoding = encoding;
        this.group = group;
    }

    /** The full encoding (access type 0). The high half of a 64-bit field is {@code encoding() | 1}. */
    public int encoding() { return encoding; }

    public VmcsGroup group() { return group; }

    public int index() { return (encoding >>> 1) & 0x1ff; }

    public int type() { return (encoding >>> 10) & 3; }

    /** One of WIDTH_16, WIDTH_64, WIDTH_32, WIDTH_NATURAL. */
    public int width() { return (encoding >>> 13) & 3; }

    /** Bits the field holds: 16, 32 or 64 (natural width is {@code naturalBits}). */
    public int bits(int naturalBits) {
        return switch (width()) {
            case WIDTH_16 -> 16;
            case WIDTH_32 -> 32;
            case WIDTH_64 -> 64;
            default -> naturalBits;
        };
    }

    /** The VM-exit information fields: VMWRITE fails on them unless IA32_VMX_MISC bit 29 is set. */
    public boolean readOnly() { return type() == TYPE_EXIT_INFO; }

    /** The field a VMREAD/VMWRITE encoding names (full or high access), or null if none. */
    public static VmcsField ofEncoding(int encoding) {
        if ((encoding & ~0x7fff) != 0) return null;
        VmcsField f = BY_ENCODING[encoding & ~1];
        if (f == null) return null;
        if ((encoding & 1) != 0 && f.width() != WIDTH_64) return null; // only 64-bit fields have a high half
        return f;
    }

    /** Looks a field up by name for scripts: "EXCEPTION_BITMAP", "exceptionBitmap", "guest_cr3". */
    public static VmcsField byName(String name) {
        VmcsField f = find(name);
        if (f == null) throw new IllegalArgumentException("no VMCS field named '" + name + "'");
        return f;
    }

    /** Like {@link #byName} but null when there is no such field. */
    public static VmcsField find(String name) {
        String key = normalize(name);
        for (VmcsField f : values()) if (normalize(f.name()).equals(key)) return f;
        return null;
    }

    /** Case and underscores do not matter: EXCEPTION_BITMAP, exceptionBitmap, exception_bitmap. */
    static String normalize(String name) {
        return name.replace("_", "").replace("-", "").toLowerCase(Locale.ROOT);
    }
}
