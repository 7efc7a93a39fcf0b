package dev.trapdoor.vmx;

/**
 * The six groups of VMCS data (SDM Vol. 3C, 25.3-25.9). The field encoding's type bits only tell
 * four kinds apart (control, exit information, guest state, host state); the three control groups
 * are told apart by the SDM's tables, so each {@link VmcsField} names its group explicitly.
 */
public enum VmcsGroup {
    GUEST_STATE("guest", "GUEST_"),
    HOST_STATE("host", "HOST_"),
    EXECUTION_CONTROLS("execution", ""),
    EXIT_CONTROLS("exitControls", ""),
    ENTRY_CONTROLS("entryControls", ""),
    EXIT_INFO("exitInfo", "");

    private final String viewName;
    private final String prefix;

    VmcsGroup(String viewName, String prefix) {
        this.viewName = viewName;
        this.prefix = prefix;
    }

    /** The property name scripts use for this group's view: {@code vmcs.guest}, {@code vmcs.exitInfo}. */
    public String viewName() { return viewName; }

    /** The prefix field names carry in this group, dropped in the group's view ("GUEST_CR3" is guest.cr3). */
    public String prefix() { return prefix; }

    /** The encoding's type (bits 11:10) that fields of this group must have. */
    public int encodingType() {
        return switch (this) {
            case EXECUTION_CONTROLS, EXIT_CONTROLS, ENTRY_CONTROLS -> VmcsField.TYPE_CONTROL;
            case EXIT_INFO -> VmcsField.TYPE_EXIT_INFO;
            case GUEST_STATE -> VmcsField.TYPE_GUEST;
            case HOST_STATE -> VmcsField.TYPE_HOST;
        };
    }
}
