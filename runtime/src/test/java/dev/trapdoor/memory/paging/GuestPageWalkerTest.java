package dev.trapdoor.memory.paging;

import static dev.trapdoor.memory.paging.GuestPageWalker.CR0_PG;
import static dev.trapdoor.memory.paging.GuestPageWalker.CR0_WP;
import static dev.trapdoor.memory.paging.GuestPageWalker.CR4_PAE;
import static dev.trapdoor.memory.paging.GuestPageWalker.CR4_PSE;
import static dev.trapdoor.memory.paging.GuestPageWalker.EFER_NXE;
import static dev.trapdoor.memory.paging.StageTwo.FETCH;
import static dev.trapdoor.memory.paging.StageTwo.READ;
import static dev.trapdoor.memory.paging.StageTwo.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.vmx.EptQualification;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GuestPageWalkerTest {
    static final long GUEST_RAM = 16 << 20;
    static final long PD = 0x1000, PT = 0x2000, PDPT = 0x3000, PAE_PD = 0x4000, PAE_PT = 0x5000;
    static final long DATA = 0x7000, BIG = 0x80_0000; // a 4 KiB data page and a 4 MiB (or 2 MiB) one
    static final long LA = 0x0040_1234L; // PDE 1, PTE 1
    static final long BIG_LA = 0x0080_0042L; // PDE 2

    private final PhysicalMemory memory = new PhysicalMemory();
    private Ept ept;
    private StageTwo stageTwo = StageTwo.identity();
    private long offset; // host-physical = guest-physical + offset
    private GuestPageWalker walker;

    GuestPageWalkerTest() {
        memory.addRam("host", 0, 64 << 20);
    }

    @AfterEach
    void close() {
        memory.close();
        if (ept != null) ept.close();
    }

    /** EPT over the guest's RAM with pages no larger than eptPage; host = guest + 32 MiB unless 1 GiB pages. */
    private void useEpt(long eptPage) {
        if (ept != null) ept.close();
        ept = new Ept();
        offset = eptPage == Ept.PAGE_1G ? 0 : 32 << 20;
        long size = eptPage == Ept.PAGE_1G ? Ept.PAGE_1G : GUEST_RAM;
        ept.map(0, offset, size, Ept.RWX, eptPage);
        stageTwo = new EptWalker(ept);
    }

    private void g32(long gpa, long v) { memory.write32(gpa + offset, (int) v); }
    private void g64(long gpa, long v) { memory.write64(gpa + offset, v); }
    private long r32(long gpa) { return memory.read32(gpa + offset) & 0xffffffffL; }

    /** 32-bit paging: LA -> DATA through PD/PT (A and D preset unless fresh), BIG_LA -> a 4 MiB page at BIG. */
    private void tables32(boolean fresh, int pteBits) {
        long ad = fresh ? 0 : 0x60;
        g32(PD + 4, PT | 0x7 | (fresh ? 0 : 0x20));
        g32(PT + 4, DATA | pteBits | ad);
        g32(PD + 8, BIG | 0x87 | ad); // PS
        walker = new GuestPageWalker(memory, stageTwo);
        walker.controlRegisters(CR0_PG | 1, PD, CR4_PSE, 0);
    }

    /** PAE: PDPTE0 -> PAE_PD; LA -> DATA via PAE_PT; BIG_LA -> a 2 MiB page at BIG. */
    private void tablesPae(long pteBits, long efer) {
        g64(PDPT, PAE_PD | 1);
        g64(PAE_PD + 16, PAE_PT | 0x67);
        g64(PAE_PT + 8, DATA | pteBits | 0x60);
        g64(PAE_PD + 32, BIG | 0xE7);
        walker = new GuestPageWalker(memory, stageTwo);
        walker.controlRegisters(CR0_PG | 1, PDPT, CR4_PAE, efer);
        assertTrue(walker.loadPdptes(), walker.result().toString());
    }

    private WalkResult walk(long la, int access, boolean user) {
        walker.translate(la, access, user);
        return walker.result();
    }

    // ---- translation and checks

    @Test
    void twoLevelTranslationSetsAccessedAndDirty() {
        tables32(true, 0x7);
        WalkResult r = walk(LA, READ, false);
        assertTrue(r.ok(), r.toString());
        assertEquals(DATA + 0x234, r.guestPhysical);
        assertEquals(DATA + 0x234, r.hostPhysical);
        assertEquals(0x20, r32(PD + 4) & 0x60);
        assertEquals(0x20, r32(PT + 4) & 0x60); // accessed, not dirty
        assertTrue(walk(LA, WRITE, true).ok());
        assertEquals(0x60, r32(PT + 4) & 0x60);
        assertEquals(0x20, r32(PD + 4) & 0x60); // a PDE has no dirty flag
    }

    @Test
    void pseLargePageWithPse36HighBits() {
        tables32(false, 0x7);
        WalkResult r = walk(BIG_LA, READ, false);
        assertTrue(r.ok());
        assertEquals(BIG + 0x42, r.guestPhysical);
        assertEquals(4 << 20, r.pageSize);
        g32(PD + 8, BIG | 0x87 | 0x60 | 0x3 << 13); // PSE-36: physical bits 33:32 = 3
        assertEquals(0x3_0080_0042L, walk(BIG_LA, READ, false).guestPhysical);
        g32(PD + 8, BIG | 0x87 | 1 << 21); // bit 21 is reserved
        r = walk(BIG_LA, WRITE, false);
        assertEquals(WalkResult.PAGE_FAULT, r.status);
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_RESERVED | GuestPageWalker.PF_WRITE, r.errorCode);
        // without CR4.PSE the PS bit is ignored: the PDE points to a page table
        walker.controlRegisters(CR0_PG, PD, 0, 0);
        // (the "table" is the zeroed page at BIG | 1 << 21: its PTE 0 is not present)
        r = walk(BIG_LA, READ, false);
        assertEquals(WalkResult.PAGE_FAULT, r.status);
        assertEquals(0, r.errorCode);
    }

    @Test
    void pageFaultErrorCodesAndCr2() {
        tables32(false, 0x1); // present, read-only, supervisor
        WalkResult r = walk(LA, READ, true);
        assertEquals(WalkResult.PAGE_FAULT, r.status);
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_USER, r.errorCode);
        assertEquals(LA, r.cr2);
        assertTrue(walk(LA, WRITE, false).ok()); // CR0.WP = 0: the supervisor writes anyway
        walker.controlRegisters(CR0_PG | CR0_WP, PD, CR4_PSE, 0);
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_WRITE, walk(LA, WRITE, false).errorCode);
        g32(PT + 4, DATA | 0x5 | 0x60); // user, read-only
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_WRITE | GuestPageWalker.PF_USER, walk(LA, WRITE, true).errorCode);
        assertTrue(walk(LA, READ, true).ok());
        assertEquals(GuestPageWalker.PF_WRITE | GuestPageWalker.PF_USER, walk(0x00C0_0000L, WRITE, true).errorCode); // PDE 3 absent
        assertEquals(0x00C0_0000L, walker.result().cr2);
        assertEquals(0, walk(0x00C0_0000L, FETCH, false).errorCode); // no I/D bit without PAE+NXE
    }

    @Test
    void paeWithExecuteDisableAndLargePages() {
        tablesPae(0x7 | 1L << 63, EFER_NXE);
        assertTrue(walk(LA, WRITE, true).ok());
        assertEquals(DATA + 0x234, walker.result().guestPhysical);
        WalkResult r = walk(LA, FETCH, false);
        assertEquals(WalkResult.PAGE_FAULT, r.status);
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_FETCH, r.errorCode);
        r = walk(BIG_LA, FETCH, true);
        assertTrue(r.ok());
        assertEquals(2 << 20, r.pageSize);
        assertEquals(BIG + 0x42, r.guestPhysical);
        // without EFER.NXE, bit 63 is reserved and I/D is never reported
        walker.controlRegisters(CR0_PG, PDPT, CR4_PAE, 0);
        r = walk(LA, FETCH, false);
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_RESERVED, r.errorCode);
        g64(PAE_PD + 32, BIG | 0xE7 | 1 << 13); // 2 MiB page: bit 13 reserved
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_RESERVED | GuestPageWalker.PF_USER, walk(BIG_LA, READ, true).errorCode);
        g64(PAE_PD + 32, BIG | 0xE7 | 1L << 40); // beyond MAXPHYADDR 36
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_RESERVED, walk(BIG_LA, READ, false).errorCode);
        assertEquals(0, walk(0x4000_0000L, READ, false).errorCode); // PDPTE 1 not present
    }

    @Test
    void pdpteWithReservedBitsIsAGeneralProtectionFaultAtLoad() {
        tablesPae(0x7, 0);
        long before = walker.pdpte(0);
        g64(PDPT + 8, 0x9000 | 1 | 1 << 1); // PDPTE 1: bit 1 reserved
        assertFalse(walker.loadPdptes());
        assertEquals(WalkResult.GENERAL_PROTECTION, walker.result().status);
        assertEquals(before, walker.pdpte(0)); // registers unchanged
        g64(PDPT + 8, 0x9000 | 1 << 1); // not present: its other bits do not matter
        assertTrue(walker.loadPdptes());
    }

    @Test
    void pagingOffGoesStraightToStageTwo() {
        useEpt(Ept.PAGE_4K);
        walker = new GuestPageWalker(memory, stageTwo);
        walker.controlRegisters(1, 0, 0, 0);
        WalkResult r = walk(0x12345, WRITE, false);
        assertTrue(r.ok());
        assertEquals(0x12345 + offset, r.hostPhysical);
        assertEquals(4, r.references);
    }

    // ---- EPT below the guest's paging

    @Test
    void eptViolationOnAGuestPageTableReadReportsLinearButNotTranslated() {
        useEpt(Ept.PAGE_4K);
        tables32(false, 0x7);
        ept.unmap(PT, 0x1000);
        WalkResult r = walk(LA, READ, false);
        assertEquals(WalkResult.EPT_VIOLATION, r.status);
        assertEquals(ExitReason.EPT_VIOLATION, r.exitReason());
        assertEquals(PT + 4, r.guestPhysical);
        assertEquals(EptQualification.DATA_READ | EptQualification.LINEAR_VALID, r.ept.qualification);
        ExitInfo exit = new ExitInfo();
        assertTrue(r.fillExit(exit));
        assertEquals(ExitReason.EPT_VIOLATION, exit.reason);
        assertEquals(PT + 4, exit.guestPhysical);
        assertEquals(LA, exit.guestLinear);
        assertEquals(EptQualification.DATA_READ | EptQualification.LINEAR_VALID, exit.qualification);
    }

    @Test
    void eptViolationOnTheDataPageReportsTheTranslatedAccess() {
        useEpt(Ept.PAGE_4K);
        tables32(false, 0x7);
        ept.protect(DATA, 0x1000, Ept.R);
        assertTrue(walk(LA, READ, false).ok());
        assertEquals(DATA + 0x234 + offset, walker.result().hostPhysical);
        WalkResult r = walk(LA, WRITE, false);
        assertEquals(WalkResult.EPT_VIOLATION, r.status);
        assertEquals(DATA + 0x234, r.guestPhysical);
        assertEquals(EptQualification.DATA_WRITE | EptQualification.READABLE | EptQualification.LINEAR_VALID
                | EptQualification.TRANSLATED_ACCESS, r.ept.qualification);
    }

    @Test
    void accessedFlagUpdateOnAnEptReadOnlyPageTableExits() {
        useEpt(Ept.PAGE_4K);
        tables32(true, 0x7);
        ept.protect(PD, 0x1000, Ept.R); // the guest's page directory is read-only in EPT
        WalkResult r = walk(LA, READ, false);
        assertEquals(WalkResult.EPT_VIOLATION, r.status);
        assertEquals(PD + 4, r.guestPhysical);
        assertEquals(EptQualification.DATA_WRITE | EptQualification.READABLE | EptQualification.LINEAR_VALID, r.ept.qualification);
    }

    // ---- reference counts: n guest levels over m EPT levels cost n(m+1)+m = (n+1)(m+1)-1

    private int refs32(long la, long eptPage) {
        if (eptPage != 0) useEpt(eptPage);
        tables32(false, 0x7);
        WalkResult r = walk(la, READ, false);
        assertTrue(r.ok(), r.toString());
        return r.references;
    }

    private int refsPae(long la, long eptPage) {
        if (eptPage != 0) useEpt(eptPage);
        tablesPae(0x7, EFER_NXE);
        WalkResult r = walk(la, READ, false);
        assertTrue(r.ok(), r.toString());
        return r.references;
    }

    private static int bound(int n, int m) {
        return (n + 1) * (m + 1) - 1;
    }

    @Test
    void twoLevelGuestOverFourLevelEptCosts14() {
        assertEquals(14, refs32(LA, Ept.PAGE_4K));
        assertEquals(bound(2, 4), 14);
    }

    @Test
    void referenceCountsForEachConfiguration() {
        assertEquals(2, refs32(LA, 0)); // no EPT
        assertEquals(1, refs32(BIG_LA, 0)); // no EPT, 4 MiB page
        assertEquals(bound(2, 3), refs32(LA, Ept.PAGE_2M)); // 11
        assertEquals(11, walker.result().references);
        assertEquals(bound(1, 3), refs32(BIG_LA, Ept.PAGE_2M)); // 4 MiB guest page over 2 MiB EPT: 7
        assertEquals(7, walker.result().references);
        assertEquals(bound(2, 2), refs32(LA, Ept.PAGE_1G)); // 8
        assertEquals(bound(1, 2), refs32(BIG_LA, Ept.PAGE_1G)); // 5
        assertEquals(5, walker.result().references);
        assertEquals(bound(1, 4), refs32(BIG_LA, Ept.PAGE_4K)); // 9
    }

    @Test
    void paeWalksReadTwoLevelsBecauseThePdptesAreRegisters() {
        // The PDPTEs are loaded at CR3 load (SDM 4.4.1), so a TLB miss walks PD and PT only:
        // 2 x (4+1) + 4 = 14. Reading the PDPTE at walk time would make it (3+1)(4+1)-1 = 19.
        assertEquals(2, refsPae(LA, 0)); // no EPT
        assertEquals(14, refsPae(LA, Ept.PAGE_4K));
        walker.loadPdptes();
        assertEquals(8, walker.result().references); // the CR3 load: one EPT walk of the PDPT page + 4 PDPTE reads
        assertEquals(bound(1, 4), refsPae(BIG_LA, Ept.PAGE_4K)); // 2 MiB guest page: 9
        assertEquals(bound(1, 3), refsPae(BIG_LA, Ept.PAGE_2M)); // 7
    }

    @Test
    void accessedFlagWritesGoThroughTheTranslationTheEntryWasReadWith() {
        useEpt(Ept.PAGE_4K);
        tables32(true, 0x7);
        assertEquals(14, walk(LA, WRITE, false).references); // A in PDE, A+D in PTE: no EPT walk of their own
        assertEquals(0x60, r32(PT + 4) & 0x60);
        assertEquals(14, walk(LA, WRITE, false).references);
    }

    @Test
    void anAccessedFlagWriteToATableEptMakesReadOnlyIsAWriteViolation() {
        useEpt(Ept.PAGE_4K);
        tables32(true, 0x7);
        ept.protect(PT, 0x1000, Ept.R);
        WalkResult r = walk(LA, READ, false);
        assertEquals(WalkResult.EPT_VIOLATION, r.status);
        assertEquals(PT + 4, r.guestPhysical);
        assertEquals(0x2 | 0x8 | 0x80, r.ept.qualification, "write, readable, linear valid, a paging-structure access");
    }

    @Test
    void countersAccumulate() {
        useEpt(Ept.PAGE_4K);
        tables32(false, 0x7);
        EptWalker s2 = (EptWalker) stageTwo;
        s2.resetCounters();
        for (int i = 0; i < 10; i++) walk(LA, READ, false);
        assertEquals(20, walker.references());
        assertEquals(120, s2.references());
        assertEquals(30, s2.walks());
    }
}
