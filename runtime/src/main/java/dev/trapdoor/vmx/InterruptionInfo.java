package dev.trapdoor.vmx;

/**
 * The interruption-information format shared by the VM-entry interruption-information field
 * (SDM Vol. 3C, Table 25-17), the VM-exit interruption information (Table 25-19) and the
 * IDT-vectoring information (Table 25-20): vector 7:0, type 10:8, error code valid / deliver error
 * code 11, NMI unblocking due to IRET 12 (exit information only), valid 31.
 */
public final class InterruptionInfo {
    private InterruptionInfo() {}

    public static final int TYPE_EXTERNAL_INTERRUPT = 0;
    public static final int TYPE_NMI = 2;
    public static final int TYPE_HARDWARE_EXCEPTION = 3;
    public static final int TYPE_SOFTWARE_INTERRUPT = 4;
    public static final int TYPE_PRIVILEGED_SOFTWARE_EXCEPTION = 5;
    public static final int TYPE_SOFTWARE_EXCEPTION = 6;
    public static final int TYPE_OTHER_EVENT = 7;

    public static final int ERROR_CODE_VALID = 1 << 11;
    public static final int NMI_UNBLOCKING = 1 << 12;
    public static final int VALID = 1 << 31;

    /** A valid interruption information word. */
    public static int encode(int vector, int type, boolean errorCode) {
        int v = (vector & 0xff) | (type & 7) << 8 | VALID;
        return errorCode ? v | ERROR_CODE_VALID : v;
    }

    public static boolean valid(long info) { return (info & VALID) != 0; }
    public static int vector(long info) { return (int) info & 0xff; }
    public static int type(long info) { return (int) (info >>> 8) & 7; }
    public static boolean errorCodeValid(long info) { return (info & ERROR_CODE_VALID) != 0; }
    public static boolean nmiUnblocking(long info) { return (info & NMI_UNBLOCKING) != 0; }

    /** Bits 30:12 must be 0 in the VM-entry field (SDM 27.2.1.3); bit 12 is only meaningful on exit. */
    public static boolean entryReservedBitsClear(long info) {
        return (info & 0x7FFFF000L) == 0;
    }

    /**
     * The exceptions that push an error code (SDM Vol. 3A, Table 6-1), which is what VM entry
     * requires "deliver error code" to match for a hardware exception (SDM 27.2.1.3).
     */
    public static boolean exceptionHasErrorCode(int vector) {
        return switch (vector) {
            case 8, 10, 11, 12, 13, 14, 17, 21 -> true;
            default -> false;
        };
    }

    public static String typeName(int type) {
        return switch (type & 7) {
            case TYPE_EXTERNAL_INTERRUPT -> "external interrupt";
            case TYPE_NMI -> "NMI";
            case TYPE_HARDWARE_EXCEPTION -> "hardware exception";
            case TYPE_SOFTWARE_INTERRUPT -> "software interrupt";
            case TYPE_PRIVILEGED_SOFTWARE_EXCEPTION -> "privileged software exception";
            case TYPE_SOFTWARE_EXCEPTION -> "software exception";
            case TYPE_OTHER_EVENT -> "other event";
            default -> "reserved";
        };
    }

    public static String describe(long info) {
        if (!valid(info)) return "invalid";
        String s = String.format("vector %d (%s)", vector(info), typeName(type(info)));
        if (errorCodeValid(info)) s += ", error code";
        if (nmiUnblocking(info)) s += ", NMI unblocking";
        return s;
    }
}
