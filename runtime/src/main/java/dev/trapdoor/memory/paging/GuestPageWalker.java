package dev.trapdoor.memory.paging;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.EptQualification;

/**
 * The guest's own (first-stage) paging of IA-32 (SDM Vol. 3A, chapter 4): 32-bit paging with
 * 4-KiB and PSE 4-MiB pages (4.3), PAE paging with its four PDPTE registers, 2-MiB pages and
 * execute-disable (4.4), the U/S, R/W and CR0.WP rules (4.6), accessed/dirty updates (4.8) and
 * #PF error codes (4.7). Every paging-structure reference goes through a {@link StageTwo}, so
 * with EPT a miss costs up to n(m+1)+m = (n+1)(m+1)-1 references for n guest levels and m EPT
 * levels; {@link WalkResult#references} counts them. Guest tables are guest input: every walk is
 * bounded by its levels and ends in a result, never an exception. One walker per vCPU.
 */
public final class GuestPageWalker {
    // Page-fault error code (SDM Vol. 3A, Figure 4-12).
    public static final int PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RESERVED = 8, PF_FETCH = 16;
    public static final long CR0_WP = 1L << 16, CR0_PG = 1L << 31;
    public static final long CR4_PSE = 1L << 4, CR4_PAE = 1L << 5, CR4_PGE = 1L << 7;
    public static final long EFER_NXE = 1L << 11;

    private static final long P = 1, RW = 2, US = 4, A = 1L << 5, D = 1L << 6, PS = 1L << 7, G = 1L << 8;
    private static final long XD = 1L << 63;
    private static final int LINEAR = EptQualification.LINEAR_VALID;
    private static final int TRANSLATED = EptQualification.LINEAR_VALID | EptQualification.TRANSLATED_ACCESS;

    private final PhysicalMemory memory;
    private final int maxPhysAddr;
    private final long paeAddressMask;
    private final long paeReserved;
    private StageTwo stageTwo;
    private long cr0, cr3, cr4, efer;
    private final long[] pdpte = new long[4];
    private final WalkResult result = new WalkResult();
    // The entries of the current walk, for the accessed/dirty write-back.
    private final long[] entryGpa = new long[2];
    private final long[] entryHpa = new long[2];
    private final long[] entryValue = new long[2];
    private final int[] entryPermissions = new int[2];
    private long walks;
    private long references;
    private boolean pdptesInWalk;

    /** A walker reading guest tables from memory (the host-physical map), for a CPU with MAXPHYADDR 36. */
    public GuestPageWalker(PhysicalMemory memory, StageTwo stageTwo) {
        this(memory, stageTwo, 36);
    }

    public GuestPageWalker(PhysicalMemory memory, StageTwo stageTwo, int maxPhysAddr) {
        if (maxPhysAddr < 32 || maxPhysAddr > 52) throw new IllegalArgumentException("MAXPHYADDR " + maxPhysAddr);
        this.memory = memory;
        this.stageTwo = stageTwo;
        this.maxPhysAddr = maxPhysAddr;
        this.paeAddressMask = ((1L << maxPhysAddr) - 1) & ~0xfffL;
        this.paeReserved = 0x7FFF_FFFF_FFFF_FFFFL & ~((1L << maxPhysAddr) - 1); // bits 62:M
    }

    public void stageTwo(StageTwo s) { stageTwo = s; }
    public StageTwo stageTwo() { return stageTwo; }
    public WalkResult result() { return result; }
    public long walks() { return walks; }
    /** Guest paging-structure reads of all walks (stage-two references are the stage two's own count). */
    public long references() { return references; }

    /**
     * PAE's PDPTEs read from the table at CR3 on every walk instead of from the PDPTE registers, as
     * AMD's nested paging does (it keeps no PDPTE registers): under 4-level EPT a PAE miss then
     * costs (3+1)(4+1)-1 = 19 references instead of 14. Off by default (Intel's VMX).
     */
    public void pdptesInWalk(boolean on) { pdptesInWalk = on; }
    public boolean pdptesInWalk() { return pdptesInWalk; }

    /** The control registers paging depends on. PAE's PDPTEs are loaded separately ({@link #loadPdptes}). */
    public void controlRegisters(long cr0, long cr3, long cr4, long efer) {
        this.cr0 = cr0;
        this.cr3 = cr3;
        this.cr4 = cr4;
        this.efer = efer;
    }

    public long cr0() { return cr0; }
    public long cr3() { return cr3; }
    public long cr4() { return cr4; }
    public long efer() { return efer; }
    public boolean writeProtect() { return (cr0 & CR0_WP) != 0; }
    public boolean pagingEnabled() { return (cr0 & CR0_PG) != 0; }
    public boolean pae() { return (cr4 & CR4_PAE) != 0; }
    public boolean globalPagesEnabled() { return (cr4 & CR4_PGE) != 0; }

    public long pdpte(int i) { return pdpte[i]; }

    /** Sets a PDPTE register directly, as VM entry with EPT does from the GUEST_PDPTEn fields. */
    public void pdpte(int i, long value) { pdpte[i] = value; }

    /**
     * Loads the four PDPTEs from the 32-byte-aligned table CR3 names (SDM 4.4.1), as MOV to CR3
     * (and to CR0/CR4 when they enable PAE paging) does. With a present PDPTE that has reserved
     * bits set the load fails: status GENERAL_PROTECTION and the registers unchanged. The table is
     * read with one stage-two translation and four entry reads.
     */
    public boolean loadPdptes() {
        WalkResult r = begin(cr3);
        long base = cr3 & 0xFFFF_FFE0L;
        long hpa = stageTwo.translate(base, StageTwo.READ, 0);
        if (hpa == StageTwo.FAILED) return eptFailure(r, base);
        long e0 = 0, e1 = 0, e2 = 0, e3 = 0;
        for (int i = 0; i < 4; i++) {
            long e = memory.read64(hpa + i * 8L);
            r.references++;
            references++;
            if ((e & P) != 0 && (e & (paeReserved | XD | 0x1E6L)) != 0) { // bits 63:M, 8:5, 2:1
                r.status = WalkResult.GENERAL_PROTECTION;
                return finish(r);
            }
            switch (i) {
                case 0 -> e0 = e;
                case 1 -> e1 = e;
                case 2 -> e2 = e;
                default -> e3 = e;
            }
        }
        pdpte[0] = e0;
        pdpte[1] = e1;
        pdpte[2] = e2;
        pdpte[3] = e3;
        r.status = WalkResult.OK;
        return finish(r);
    }

    /**
     * Translates a linear address for an access (StageTwo.READ, WRITE or FETCH) at user (CPL 3)
     * or supervisor privilege. On success {@link #result()} holds the host-physical address and
     * rights; otherwise the guest fault or the EPT exit.
     */
    public boolean translate(long linear, int access, boolean user) {
        linear &= 0xFFFF_FFFFL;
        WalkResult r = begin(linear);
        if (!pagingEnabled()) {
            r.pageSize = PhysicalMemory.PAGE_SIZE;
            return data(r, linear, access, Tlb.USER | Tlb.WRITABLE);
        }
        return pae() ? walkPae(r, linear, access, user) : walk32(r, linear, access, user);
    }

    private WalkResult begin(long linear) {
        WalkResult r = result;
        walks++;
        r.linear = linear;
        r.references = 0;
        r.errorCode = 0;
        r.cr2 = 0;
        r.rights = 0;
        r.guestPhysical = 0;
        r.hostPhysical = 0;
        r.stageTwoStart = stageTwo.references();
        return r;
    }

    private boolean finish(WalkResult r) {
        r.references += (int) (stageTwo.references() - r.stageTwoStart);
        return r.status == WalkResult.OK;
    }

    // ---- 32-bit paging (SDM 4.3)

    private boolean walk32(WalkResult r, long la, int access, boolean user) {
        long pdeGpa = (cr3 & 0xFFFF_F000L) | (la >>> 22) << 2;
        if (!readEntry(r, 0, pdeGpa, false)) return eptFailure(r, pdeGpa);
        long pde = entryValue[0];
        if ((pde & P) == 0) return pageFault(r, 0, access, user);
        if ((cr4 & CR4_PSE) != 0 && (pde & PS) != 0) {
            // PSE-36: bits (M-19):13 hold address bits (M-1):32, bits 21:(M-18) are reserved (4.3, Table 4-4)
            int high = Math.min(maxPhysAddr, 40) - 32;
            long reserved = 0x3FE000L & ~(((1L << high) - 1) << 13);
            if ((pde & reserved) != 0) return pageFault(r, PF_PRESENT | PF_RESERVED, access, user);
            long frame = (pde & 0xFFC0_0000L) | ((pde >>> 13) & ((1L << high) - 1)) << 32;
            r.pageSize = 4L << 20;
            return leaf(r, 1, frame | (la & 0x3F_FFFFL), pde, pde, access, user, false);
        }
        long pteGpa = (pde & 0xFFFF_F000L) | ((la >>> 12) & 0x3FF) << 2;
        if (!readEntry(r, 1, pteGpa, false)) return eptFailure(r, pteGpa);
        long pte = entryValue[1];
        if ((pte & P) == 0) return pageFault(r, 0, access, user);
        r.pageSize = PhysicalMemory.PAGE_SIZE;
        return leaf(r, 2, (pte & 0xFFFF_F000L) | (la & 0xFFF), pde & pte, pte, access, user, false);
    }

    // ---- PAE paging (SDM 4.4)

    private boolean walkPae(WalkResult r, long la, int access, boolean user) {
        long pdp;
        if (pdptesInWalk) {
            long pdpteGpa = (cr3 & 0xFFFF_FFE0L) | ((la >>> 30) & 3) << 3;
            if (!readEntry(r, 0, pdpteGpa, true)) return eptFailure(r, pdpteGpa);
            pdp = entryValue[0];
            if ((pdp & P) != 0 && (pdp & (paeReserved | XD | 0x1E6L)) != 0) return pageFault(r, PF_PRESENT | PF_RESERVED, access, user);
        } else {
            pdp = pdpte[(int) (la >>> 30) & 3];
        }
        if ((pdp & P) == 0) return pageFault(r, 0, access, user);
        boolean nxe = (efer & EFER_NXE) != 0;
        long reserved = paeReserved | (nxe ? 0 : XD);
        long pdeGpa = (pdp & paeAddressMask) | ((la >>> 21) & 511) << 3;
        if (!readEntry(r, 0, pdeGpa, true)) return eptFailure(r, pdeGpa);
        long pde = entryValue[0];
        if ((pde & P) == 0) return pageFault(r, 0, access, user);
        if ((pde & reserved) != 0 || (pde & PS) != 0 && (pde & 0x1F_E000L) != 0) // 2 MiB: bits 20:13 reserved
            return pageFault(r, PF_PRESENT | PF_RESERVED, access, user);
        if ((pde & PS) != 0) {
            r.pageSize = 2L << 20;
            return leaf(r, 1, (pde & paeAddressMask & ~0x1F_FFFFL) | (la & 0x1F_FFFFL), pde, pde, access, user, nxe);
        }
        long pteGpa = (pde & paeAddressMask) | ((la >>> 12) & 511) << 3;
        if (!readEntry(r, 1, pteGpa, true)) return eptFailure(r, pteGpa);
        long pte = entryValue[1];
        if ((pte & P) == 0) return pageFault(r, 0, access, user);
        if ((pte & reserved) != 0) return pageFault(r, PF_PRESENT | PF_RESERVED, access, user);
        r.pageSize = PhysicalMemory.PAGE_SIZE;
        long xd = (pde | pte) & XD;
        return leaf(r, 2, (pte & paeAddressMask) | (la & 0xFFF), (pde & pte & ~XD) | xd, pte, access, user, nxe);
    }

    // ---- common steps

    /** Reads the entry at gpa through the stage two: one reference plus the stage two's walk. */
    private boolean readEntry(WalkResult r, int slot, long gpa, boolean wide) {
        long hpa = stageTwo.translate(gpa, StageTwo.READ, LINEAR);
        if (hpa == StageTwo.FAILED) return false;
        entryGpa[slot] = gpa;
        entryHpa[slot] = hpa;
        entryPermissions[slot] = stageTwo.result().permissions;
        entryValue[slot] = wide ? memory.read64(hpa) : memory.read32(hpa) & 0xFFFF_FFFFL;
        r.references++;
        references++;
        return true;
    }

    /**
     * Finishes a walk at its leaf: the permission check over the combined bits (R/W and U/S are
     * the AND of all levels, XD the OR; SDM 4.6), the A/D updates, then the data address's stage two.
     */
    private boolean leaf(WalkResult r, int entries, long gpa, long combined, long leafEntry, int access, boolean user, boolean nxe) {
        boolean write = (access & StageTwo.WRITE) != 0;
        boolean fetch = (access & StageTwo.FETCH) != 0;
        boolean writable = (combined & RW) != 0;
        boolean userPage = (combined & US) != 0;
        boolean noExec = nxe && (combined & XD) != 0;
        boolean denied = user && !userPage
                || write && !writable && (user || (cr0 & CR0_WP) != 0)
                || fetch && noExec;
        if (denied) return pageFault(r, PF_PRESENT, access, user);
        for (int i = 0; i < entries; i++) {
            long set = A | (i == entries - 1 && write ? D : 0);
            if ((entryValue[i] & set) != set && !writeBack(r, i, entryValue[i] | set, pae())) return false;
        }
        int rights = (userPage ? Tlb.USER : 0) | (writable ? Tlb.WRITABLE : 0) | (noExec ? Tlb.NO_EXECUTE : 0)
                | (globalPagesEnabled() && (leafEntry & G) != 0 ? Tlb.GLOBAL : 0);
        return data(r, gpa, access, rights);
    }

    /**
     * Sets accessed/dirty in the entry: a write to the guest table, so it needs stage-two write
     * permission. The processor updates the entry through the translation it read it with (no
     * second EPT walk, no references); only a page EPT does not let it write is walked again for
     * the violation.
     */
    private boolean writeBack(WalkResult r, int slot, long value, boolean wide) {
        long hpa = entryHpa[slot];
        if ((entryPermissions[slot] & StageTwo.WRITE) == 0) {
            hpa = stageTwo.translate(entryGpa[slot], StageTwo.WRITE, LINEAR);
            if (hpa == StageTwo.FAILED) return eptFailure(r, entryGpa[slot]);
        }
        if (wide) memory.write64(hpa, value);
        else memory.write32(hpa, (int) value);
        entryValue[slot] = value;
        return true;
    }

    private boolean data(WalkResult r, long gpa, int access, int rights) {
        r.guestPhysical = gpa;
        long hpa = stageTwo.translate(gpa, access, TRANSLATED);
        if (hpa == StageTwo.FAILED) return eptFailure(r, gpa);
        int ept = stageTwo.result().permissions;
        r.hostPhysical = hpa;
        r.rights = rights | (ept & 7) << Tlb.EPT_SHIFT | ((access & StageTwo.WRITE) != 0 ? Tlb.DIRTY : 0);
        r.status = WalkResult.OK;
        return finish(r);
    }

    private boolean pageFault(WalkResult r, int bits, int access, boolean user) {
        int code = bits;
        if ((access & StageTwo.WRITE) != 0) code |= PF_WRITE;
        if (user) code |= PF_USER;
        // I/D is reported only where execute-disable exists: PAE with EFER.NXE (4.7; no SMEP here)
        if ((access & StageTwo.FETCH) != 0 && pae() && (efer & EFER_NXE) != 0) code |= PF_FETCH;
        r.status = WalkResult.PAGE_FAULT;
        r.errorCode = code;
        r.cr2 = r.linear;
        return finish(r);
    }

    private boolean eptFailure(WalkResult r, long gpa) {
        EptResult e = stageTwo.result();
        r.ept.copyFrom(e);
        r.guestPhysical = gpa;
        r.status = e.status == EptResult.MISCONFIG ? WalkResult.EPT_MISCONFIG : WalkResult.EPT_VIOLATION;
        return finish(r);
    }
}
