package dev.trapdoor.memory.paging;

import dev.trapdoor.vmx.EptQualification;

/**
 * The processor's side of EPT (SDM Vol. 3C, 29.3.2-29.3.5): walks the tables an EPT pointer names
 * and yields the host-physical address, an EPT violation or an EPT misconfiguration. The tables
 * are host memory but their content may have been written raw by a script, so every entry is
 * checked as the SDM says and the walk is bounded by its four levels. One walker per vCPU; the
 * result object is reused and nothing is allocated per walk.
 */
public final class EptWalker implements StageTwo {
    private final HostPages pages;
    private final long addressMask;
    private final long reservedAddressBits;
    private final boolean executeOnly;
    private final int maxPhysAddr;
    private final EptResult result = new EptResult();
    private long eptp;
    private long references;
    private long walks;

    /** A walker over ept's tables, using ept's current EPT pointer; execute-only pages supported. */
    public EptWalker(Ept ept) {
        this(ept.pages(), ept.maxPhysAddr(), true);
        this.eptp = ept.eptp();
    }

    /**
     * executeOnly: whether the processor supports execute-only translations (IA32_VMX_EPT_VPID_CAP
     * bit 0); without it an entry with X but not R is a misconfiguration.
     */
    public EptWalker(HostPages pages, int maxPhysAddr, boolean executeOnly) {
        this.pages = pages;
        this.addressMask = ((1L << maxPhysAddr) - 1) & ~0xfffL;
        this.reservedAddressBits = ((1L << 52) - 1) & ~((1L << maxPhysAddr) - 1);
        this.executeOnly = executeOnly;
        this.maxPhysAddr = maxPhysAddr;
    }

    public int maxPhysAddr() { return maxPhysAddr; }

    /** Loads a new EPT pointer (VM entry with a new EPT_POINTER field). */
    public void eptp(long eptp) {
        this.eptp = eptp;
    }

    public long eptp() { return eptp; }
    public boolean accessedDirty() { return (eptp & (1 << 6)) != 0; }

    @Override public EptResult result() { return result; }
    @Override public long references() { return references; }
    public long walks() { return walks; }

    public void resetCounters() {
        references = 0;
        walks = 0;
    }

    /**
     * Translates gpa. access is READ, WRITE or FETCH; linearBits are the qualification's bits 7/8
     * (LINEAR_VALID alone = the access is to a guest paging-structure entry, which with A/D enabled
     * counts as a write, SDM 29.3.3.2). Returns the host-physical address, or FAILED.
     */
    @Override
    public long translate(long gpa, int access, int linearBits) {
        EptResult r = result;
        walks++;
        if ((linearBits & (EptQualification.LINEAR_VALID | EptQualification.TRANSLATED_ACCESS)) == EptQualification.LINEAR_VALID
                && accessedDirty()) {
            access |= WRITE | READ;
        }
        r.guestPhysical = gpa;
        r.references = 0;
        r.hostPhysical = 0;
        r.qualification = 0;
        r.memoryType = 0;
        r.pageSize = 0;
        int perms = 7;
        long table = eptp & addressMask;
        // A guest-physical address beyond the 48 bits four levels translate fails like an absent entry.
        if ((gpa >>> 48) != 0) return violation(r, access, 0, linearBits, 4);
        for (int level = 4; level >= 1; level--) {
            long slot = table + Ept.index(gpa, level) * 8L;
            long e = pages.read64(slot);
            r.references++;
            references++;
            int rwx = (int) e & 7;
            if (rwx == 0) return violation(r, access, 0, linearBits, level);
            boolean leaf = level == 1 || level <= 3 && (e & Ept.LARGE) != 0;
            if (misconfigured(e, rwx, level, leaf)) {
                r.status = EptResult.MISCONFIG;
                r.level = level;
                return FAILED;
            }
            perms &= rwx;
            if (!leaf) {
                table = e & addressMask;
                continue;
            }
            long size = Ept.pageSize(level);
            r.level = level;
            r.pageSize = size;
            r.memoryType = (int) (e >>> Ept.MEMORY_TYPE_SHIFT) & 7;
            if ((access & ~perms) != 0) return violation(r, access, perms, linearBits, level);
            if (accessedDirty()) updateAccessedDirty(gpa, level, (access & WRITE) != 0);
            r.status = EptResult.OK;
            r.permissions = perms;
            r.hostPhysical = (e & addressMask & ~(size - 1)) | (gpa & (size - 1));
            return r.hostPhysical;
        }
        throw new AssertionError("unreachable: level 1 is always a leaf");
    }

    /** SDM 29.3.3.1: the conditions that make a present entry an EPT misconfiguration. */
    private boolean misconfigured(long e, int rwx, int level, boolean leaf) {
        if ((rwx & 3) == 2) return true; // write without read
        if (rwx == 4 && !executeOnly) return true;
        if ((e & reservedAddressBits) != 0) return true;
        if (!leaf) return (e & (level == 4 ? 0xf8 : 0x78)) != 0; // bits 7:3 (PML4E) or 6:3 reserved
        int mt = (int) (e >>> Ept.MEMORY_TYPE_SHIFT) & 7;
        if (mt == 2 || mt == 3 || mt == 7) return true;
        long lowAddressBits = (Ept.pageSize(level) - 1) & ~0xfffL; // 2 MiB: 20:12, 1 GiB: 29:12 reserved
        return (e & lowAddressBits) != 0;
    }

    private long violation(EptResult r, int access, int perms, int linearBits, int level) {
        r.status = EptResult.VIOLATION;
        r.level = level;
        r.permissions = perms;
        r.qualification = (access & 7) | (long) perms << 3 | (linearBits & (EptQualification.LINEAR_VALID | EptQualification.TRANSLATED_ACCESS));
        return FAILED;
    }

    /** SDM 29.3.5: set A in every entry used and D in the leaf on a write; not counted as references (read-modify-write of entries just read). */
    private void updateAccessedDirty(long gpa, int leafLevel, boolean write) {
        long table = eptp & addressMask;
        for (int level = 4; level >= leafLevel; level--) {
            long slot = table + Ept.index(gpa, level) * 8L;
            long e = pages.read64(slot);
            long set = Ept.ACCESSED | (level == leafLevel && write ? Ept.DIRTY : 0);
            if ((e & set) != set) pages.write64(slot, e | set);
            table = e & addressMask;
        }
    }
}
