package dev.trapdoor.memory.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trapdoor.vmx.EptQualification;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EptTest {
    private final Ept ept = new Ept();
    private EptWalker walker;

    @AfterEach
    void close() {
        ept.close();
    }

    private long translate(long gpa, int access) {
        walker = new EptWalker(ept);
        return walker.translate(gpa, access, 0);
    }

    @Test
    void mapsWithTheLargestPagesAlignmentAllows() {
        ept.map(0, 0x4000_0000L, 0x4000_0000L + 0x20_0000 + 0x3000, Ept.RWX);
        assertEquals(Ept.PAGE_1G, pageSizeAt(0x1234_5678L));
        assertEquals(0x4000_0000L + 0x1234_5678L, translate(0x1234_5678L, StageTwo.READ));
        assertEquals(2, walker.result().references); // PML4E, PDPTE (1 GiB leaf)
        assertEquals(Ept.PAGE_2M, pageSizeAt(0x4010_0000L));
        assertEquals(3, walker.result().references);
        assertEquals(Ept.PAGE_4K, pageSizeAt(0x4020_2abcL));
        assertEquals(0x8020_2abcL, walker.result().hostPhysical);
        assertEquals(4, walker.result().references);
        assertEquals(Ept.MT_WB, walker.result().memoryType);
        assertEquals(StageTwo.FAILED, translate(0x4020_3000L, StageTwo.READ));
    }

    @Test
    void misalignedHostAddressForcesSmallerPages() {
        ept.map(0, 0x1000, 0x40_0000, Ept.RWX); // hpa not 2 MiB aligned: 4 KiB pages
        assertEquals(Ept.PAGE_4K, pageSizeAt(0x20_0000));
        ept.map(0x8000_0000L, 0x8000_0000L, 0x40_0000, Ept.RWX, Ept.PAGE_4K); // forced
        assertEquals(Ept.PAGE_4K, pageSizeAt(0x8020_0000L));
        assertEquals(0x8020_0000L, walker.result().hostPhysical);
    }

    private long pageSizeAt(long gpa) {
        translate(gpa, StageTwo.READ);
        assertTrue(walker.result().ok(), walker.result().toString());
        return walker.result().pageSize;
    }

    @Test
    void protectSplitsALargePageAndKeepsTheRest() {
        ept.map(0, 0, Ept.PAGE_2M, Ept.RWX);
        int tables = ept.pages().pagesInUse();
        ept.protect(0xb8000, 0x1000, Ept.R);
        assertEquals(tables + 1, ept.pages().pagesInUse()); // one new page table
        assertEquals(StageTwo.FAILED, translate(0xb8010, StageTwo.WRITE));
        EptResult r = walker.result();
        assertEquals(ExitReason.EPT_VIOLATION, r.exitReason());
        assertEquals(EptQualification.DATA_WRITE | EptQualification.READABLE, r.qualification);
        assertEquals(0xb8010, translate(0xb8010, StageTwo.READ));
        assertEquals(0xb9000, translate(0xb9000, StageTwo.WRITE));
        assertEquals(0x1f_f000L, translate(0x1f_f000L, StageTwo.FETCH));
        assertEquals(Ept.PAGE_4K, walker.result().pageSize);
    }

    @Test
    void violationQualificationCarriesTheWalksPermissionsAndLinearBits() {
        ept.map(0x10_0000, 0x10_0000, 0x1000, Ept.RX);
        walker = new EptWalker(ept);
        assertEquals(StageTwo.FAILED, walker.translate(0x10_0000, StageTwo.WRITE,
                EptQualification.LINEAR_VALID | EptQualification.TRANSLATED_ACCESS));
        assertEquals(0b1_1010_1010L, walker.result().qualification); // write, R+X allowed, linear valid, translated
        assertEquals(StageTwo.FAILED, walker.translate(0x20_0000, StageTwo.FETCH, 0)); // not mapped at all
        assertEquals(EptQualification.INSTRUCTION_FETCH, walker.result().qualification);
        ept.unmap(0x10_0000, 0x1000);
        assertEquals(StageTwo.FAILED, walker.translate(0x10_0000, StageTwo.READ, 0));
        assertEquals(EptQualification.DATA_READ, walker.result().qualification);
    }

    @Test
    void unmapAHoleInsideA1GiBPage() {
        ept.map(0, 0, Ept.PAGE_1G, Ept.RWX);
        ept.unmap(0xfee0_0000L % Ept.PAGE_1G, 0x1000);
        long hole = 0xfee0_0000L % Ept.PAGE_1G;
        assertEquals(StageTwo.FAILED, translate(hole, StageTwo.READ));
        assertEquals(1, walker.result().level); // split down to a 4 KiB table
        assertEquals(hole + 0x1000, translate(hole + 0x1000, StageTwo.READ));
        assertEquals(Ept.PAGE_4K, walker.result().pageSize);
        assertEquals(0x1000_0000L, translate(0x1000_0000L, StageTwo.READ));
        assertEquals(Ept.PAGE_2M, walker.result().pageSize); // the rest stayed 2 MiB pages
    }

    @Test
    void remappingALargePageFreesTheTablesBelow() {
        ept.map(0, 0, Ept.PAGE_2M, Ept.RWX, Ept.PAGE_4K);
        int tables = ept.pages().pagesInUse();
        ept.map(0, 0x20_0000, Ept.PAGE_2M, Ept.RW);
        assertEquals(tables - 1, ept.pages().pagesInUse());
        assertEquals(0x20_0123L, translate(0x123, StageTwo.WRITE));
    }

    @Test
    void misconfigurations() {
        ept.map(0, 0, 0x2000, Ept.RWX);
        long pte = ept.entry(0, 1);
        ept.setEntry(0, 1, pte & ~7L | Ept.W); // write without read
        assertMisconfig(0);
        ept.setEntry(0, 1, pte & ~(7L << 3) | 2L << 3); // memory type 2 is reserved
        assertMisconfig(0);
        ept.setEntry(0, 1, pte | 1L << 45); // above MAXPHYADDR 39
        assertMisconfig(0);
        ept.setEntry(0, 1, pte);
        assertEquals(0, translate(0, StageTwo.READ));
        long pde = ept.entry(0, 2);
        ept.setEntry(0, 2, pde | 1L << 4); // reserved bit in a non-leaf entry
        assertMisconfig(0x1000);
        ept.setEntry(0, 2, pde);
        ept.setEntry(0, 1, pte & ~7L | Ept.X); // execute-only: fine where supported
        assertEquals(0, translate(0, StageTwo.FETCH));
        EptWalker strict = new EptWalker(ept.pages(), 39, false);
        strict.eptp(ept.eptp());
        assertEquals(StageTwo.FAILED, strict.translate(0, StageTwo.FETCH, 0));
        assertEquals(EptResult.MISCONFIG, strict.result().status);
        // a 2 MiB leaf with low address bits set
        ept.map(0x40_0000, 0x40_0000, Ept.PAGE_2M, Ept.RWX);
        ept.setEntry(0x40_0000, 2, ept.entry(0x40_0000, 2) | 0x1000);
        assertMisconfig(0x40_0000);
    }

    private void assertMisconfig(long gpa) {
        assertEquals(StageTwo.FAILED, translate(gpa, StageTwo.READ));
        assertEquals(ExitReason.EPT_MISCONFIG, walker.result().exitReason(), walker.result().toString());
    }

    @Test
    void accessedAndDirtyFlagsWhenEnabled() {
        ept.map(0, 0, 0x2000, Ept.RWX);
        translate(0, StageTwo.WRITE);
        assertEquals(0, ept.entry(0, 1) & (Ept.ACCESSED | Ept.DIRTY)); // A/D off
        ept.accessedDirty(true);
        assertEquals(0x5e, ept.eptp() & 0xfff); // WB, walk length 4, A/D
        translate(0x1000, StageTwo.READ);
        assertEquals(Ept.ACCESSED, ept.entry(0x1000, 1) & (Ept.ACCESSED | Ept.DIRTY));
        assertEquals(Ept.ACCESSED, ept.entry(0x1000, 4) & Ept.ACCESSED);
        translate(0x1000, StageTwo.WRITE);
        assertEquals(Ept.ACCESSED | Ept.DIRTY, ept.entry(0x1000, 1) & (Ept.ACCESSED | Ept.DIRTY));
        // with A/D on, a guest paging-structure read is a write for EPT: a read-only page faults with bits 0 and 1
        ept.protect(0, 0x1000, Ept.R);
        walker = new EptWalker(ept);
        assertEquals(StageTwo.FAILED, walker.translate(0x10, StageTwo.READ, EptQualification.LINEAR_VALID));
        assertEquals(EptQualification.DATA_READ | EptQualification.DATA_WRITE | EptQualification.READABLE
                | EptQualification.LINEAR_VALID, walker.result().qualification);
    }

    @Test
    void inveptTellsListeners() {
        int[] calls = {0};
        ept.addInvalidationListener(() -> calls[0]++);
        ept.invept();
        assertEquals(1, calls[0]);
    }

    @Test
    void badRequestsFromScriptsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ept.map(0x123, 0, 0x1000, Ept.RWX));
        assertThrows(IllegalArgumentException.class, () -> ept.map(0, 0, 0x1000, Ept.W));
        assertThrows(IllegalArgumentException.class, () -> ept.map(0, 1L << 40, 0x1000, Ept.RWX));
        assertThrows(IllegalArgumentException.class, () -> ept.memoryType(2));
    }

    @Test
    void addressesBeyondFourLevelsFail() {
        ept.map(0, 0, 0x1000, Ept.RWX);
        assertEquals(StageTwo.FAILED, translate(1L << 48, StageTwo.READ));
        assertEquals(EptResult.VIOLATION, walker.result().status);
    }
}
