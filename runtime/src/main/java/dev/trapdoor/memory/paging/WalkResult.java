package dev.trapdoor.memory.paging;

import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

/**
 * The outcome of one linear-address translation, reused by its {@link GuestPageWalker}: the
 * host-physical address and the rights a TLB may cache, or the guest-visible #PF (error code and
 * CR2), or #GP (a PDPTE with reserved bits at CR3 load), or the EPT violation/misconfiguration that
 * a paging-structure or data access met (an exit to the host, see {@link #ept}).
 */
public final class WalkResult {
    public static final int OK = 0, PAGE_FAULT = 1, GENERAL_PROTECTION = 2, EPT_VIOLATION = 3, EPT_MISCONFIG = 4;

    public int status;
    public long linear;
    public long guestPhysical;
    public long hostPhysical;
    /** Size of the guest page (4 KiB, 2 MiB, 4 MiB; the linear address itself when paging is off: 4 KiB). */
    public long pageSize;
    /** Rights for a TLB entry, in {@link Tlb}'s bits. */
    public int rights;
    /** #PF error code (SDM Vol. 3A, 4.7). */
    public int errorCode;
    /** The value CR2 takes on #PF: the faulting linear address. */
    public long cr2;
    /** The stage-two outcome behind EPT_VIOLATION/EPT_MISCONFIG (a copy: the walker's own result is reused). */
    public final EptResult ept = new EptResult();
    /** Memory references of this walk: guest paging-structure reads plus every stage-two entry read. */
    public int references;
    /** The stage two's reference count when the walk began. */
    long stageTwoStart;

    public boolean ok() { return status == OK; }

    /** The exit an EPT failure causes, null for OK and for guest faults (which go to the guest, or to the exception bitmap). */
    public ExitReason exitReason() {
        return switch (status) {
            case EPT_VIOLATION -> ExitReason.EPT_VIOLATION;
            case EPT_MISCONFIG -> ExitReason.EPT_MISCONFIG;
            default -> null;
        };
    }

    /**
     * Fills an exit for an EPT failure (SDM 28.2.1: guest-physical address, and the guest-linear
     * address when qualification bit 7 says it is valid). Returns false for OK and guest faults.
     */
    public boolean fillExit(ExitInfo e) {
        ExitReason reason = exitReason();
        if (reason == null) return false;
        e.reset(reason);
        e.guestPhysical = guestPhysical;
        e.guestLinear = linear;
        e.qualification = reason == ExitReason.EPT_VIOLATION ? ept.qualification : 0;
        return true;
    }

    @Override
    public String toString() {
        return switch (status) {
            case OK -> String.format("la %08x -> gpa %x -> hpa %x (%d refs)", linear, guestPhysical, hostPhysical, references);
            case PAGE_FAULT -> String.format("#PF at %08x, error code %x (%d refs)", cr2, errorCode, references);
            case GENERAL_PROTECTION -> "#GP(0): PDPTE with reserved bits set";
            default -> String.format("la %08x: %s", linear, ept);
        };
    }
}
