package dev.trapdoor.memory.paging;

/**
 * What the interpreter asks for every memory access: the TLB first, the two-stage walk on a miss,
 * the fill after it. The VPID (and PCID 0) tags the entries; the CPU calls the invalidation
 * methods where the SDM invalidates (MOV to CR3, INVLPG, VM entry/exit without VPIDs, INVEPT).
 */
public final class Mmu {
    public static final long FAULT = -1;

    private final GuestPageWalker walker;
    private final Tlb tlb;
    private int vpid;
    private int pcid;

    public Mmu(GuestPageWalker walker, Tlb tlb) {
        this.walker = walker;
        this.tlb = tlb;
    }

    public GuestPageWalker walker() { return walker; }
    public Tlb tlb() { return tlb; }
    public int vpid() { return vpid; }

    /** The tag for the guest now running: the VMCS's VPID when "enable VPID" is set, else 0. */
    public void vpid(int vpid) { this.vpid = vpid & 0xffff; }

    /** The host-physical address for linear, or FAULT with the cause in {@code walker().result()}. */
    public long translate(long linear, int access, boolean user) {
        long hpa = tlb.lookup(vpid, pcid, linear, access, user, walker.writeProtect());
        if (hpa != Tlb.MISS) return hpa;
        if (!walker.translate(linear, access, user)) {
            // a #PF invalidates the faulting address's entries (SDM Vol. 3A, 4.10.4.3)
            if (walker.result().status == WalkResult.PAGE_FAULT) tlb.flushAddress(vpid, linear);
            return FAULT;
        }
        WalkResult r = walker.result();
        tlb.insert(vpid, pcid, linear, r.hostPhysical, r.rights);
        return r.hostPhysical;
    }

    /** MOV to CR3: non-global entries of this VPID go (all of them when CR4.PGE is clear: none are global then). */
    public void cr3Loaded() {
        tlb.flushNonGlobal(vpid);
    }

    public void invlpg(long linear) {
        tlb.flushAddress(vpid, linear);
    }
}
