package dev.trapdoor.memory.paging;

import dev.trapdoor.vmx.ExitReason;

/**
 * The outcome of one EPT walk, reused by its walker (the hot path allocates nothing): the
 * host-physical address, or an EPT violation with Intel's exit qualification (SDM Vol. 3C,
 * Table 28-7), or an EPT misconfiguration (SDM 29.3.3.1). Read it before the next walk.
 */
public final class EptResult {
    public static final int OK = 0, VIOLATION = 1, MISCONFIG = 2;

    public int status;
    public long guestPhysical;
    public long hostPhysical;
    /** Exit qualification for a violation: access bits 2:0, the walk's R/W/X AND in bits 5:3, linear bits 7/8. */
    public long qualification;
    /** EPT memory type of the leaf (0 UC, 1 WC, 4 WT, 5 WP, 6 WB). */
    public int memoryType;
    /** Size of the page the leaf maps (4 KiB, 2 MiB or 1 GiB). */
    public long pageSize;
    /** R/W/X (bits 0-2) allowed by every entry of the walk. */
    public int permissions;
    /** Level of the entry that ended the walk (4 = PML4 ... 1 = PT). */
    public int level;
    /** Paging-structure entries read by this walk. */
    public int references;

    public boolean ok() { return status == OK; }

    /** The VM exit this result causes: EPT_VIOLATION, EPT_MISCONFIG, or null when it succeeded. */
    public ExitReason exitReason() {
        return switch (status) {
            case VIOLATION -> ExitReason.EPT_VIOLATION;
            case MISCONFIG -> ExitReason.EPT_MISCONFIG;
            default -> null;
        };
    }

    public void copyFrom(EptResult r) {
        status = r.status;
        guestPhysical = r.guestPhysical;
        hostPhysical = r.hostPhysical;
        qualification = r.qualification;
        memoryType = r.memoryType;
        pageSize = r.pageSize;
        permissions = r.permissions;
        level = r.level;
        references = r.references;
    }

    @Override
    public String toString() {
        return switch (status) {
            case OK -> String.format("gpa %x -> hpa %x (%s, mt %d, %d refs)", guestPhysical, hostPhysical, Ept.permString(permissions), memoryType, references);
            case VIOLATION -> String.format("EPT violation at gpa %x, qualification %x (level %d, %d refs)", guestPhysical, qualification, level, references);
            default -> String.format("EPT misconfiguration at gpa %x (level %d, %d refs)", guestPhysical, level, references);
        };
    }
}
