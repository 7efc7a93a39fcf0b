package dev.trapdoor.memory.paging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two guests take turns on one processor, each with its own EPT and guest page tables mapping the
 * same linear addresses to different memory. With VPID tags their TLB entries coexist; without
 * (VPID 0 and a full flush on every switch, as VMX requires then) each turn starts cold.
 */
class MmuVpidTest {
    static final long PD = 0x1000, PT = 0x2000, DATA = 0x10000;
    static final long LA = 0x0040_0000L; // PDE 1
    static final int PAGES = 32, ROUNDS = 20, TOUCHES = 4;

    private final PhysicalMemory memory = new PhysicalMemory();
    private final Ept[] ept = {new Ept(), new Ept()};
    private final EptWalker[] stageTwo = new EptWalker[2];

    MmuVpidTest() {
        memory.addRam("host", 0, 64 << 20);
        for (int k = 0; k < 2; k++) {
            long host = (16L << 20) * (k + 1); // guest k's RAM lives at 16 MiB or 32 MiB
            ept[k].map(0, host, 4 << 20, Ept.RWX, Ept.PAGE_4K);
            stageTwo[k] = new EptWalker(ept[k]);
            memory.write32(host + PD + 4, (int) (PT | 0x67));
            for (int i = 0; i < PAGES; i++) memory.write32(host + PT + i * 4L, (int) (DATA + i * 0x1000L | 0x67));
        }
    }

    @AfterEach
    void close() {
        memory.close();
        for (Ept e : ept) e.close();
    }

    private record Run(double hitRate, long misses, long references) {}

    private Run run(boolean tagged) {
        GuestPageWalker walker = new GuestPageWalker(memory, stageTwo[0]);
        Mmu mmu = new Mmu(walker, new Tlb(64, 4));
        long refs = 0;
        for (int round = 0; round < ROUNDS; round++) {
            for (int k = 0; k < 2; k++) {
                // VM entry into guest k
                walker.stageTwo(stageTwo[k]);
                walker.controlRegisters(GuestPageWalker.CR0_PG | 1, PD, 0, 0);
                if (tagged) mmu.vpid(k + 1);
                else mmu.tlb().flushAll();
                for (int t = 0; t < TOUCHES; t++) {
                    for (int i = 0; i < PAGES; i++) {
                        long la = LA + i * 0x1000L + 0x10;
                        long walksBefore = walker.walks();
                        long hpa = mmu.translate(la, StageTwo.READ, false);
                        if (walker.walks() != walksBefore) refs += walker.result().references;
                        assertEquals((16L << 20) * (k + 1) + DATA + i * 0x1000L + 0x10, hpa, "guest " + k + " page " + i);
                    }
                }
            }
        }
        Tlb tlb = mmu.tlb();
        return new Run(tlb.hitRate(), tlb.misses(), refs);
    }

    @Test
    void vpidTagsKeepBothGuestsEntries() {
        Run tagged = run(true);
        Run untagged = run(false);
        long accesses = 2L * ROUNDS * TOUCHES * PAGES;
        // Tagged: 2 x 32 pages fill the 64-entry 4-way TLB exactly; only the first turn of each guest misses.
        assertEquals(2 * PAGES, tagged.misses());
        assertEquals(1.0 - 2.0 * PAGES / accesses, tagged.hitRate(), 1e-9);
        // Untagged: every turn starts with an empty TLB.
        assertEquals(2L * ROUNDS * PAGES, untagged.misses());
        assertEquals(1.0 - 1.0 / TOUCHES, untagged.hitRate(), 1e-9);
        // Each miss is a 2-level walk over 4-level EPT: 14 references.
        assertEquals(14 * tagged.misses(), tagged.references());
        assertEquals(14 * untagged.misses(), untagged.references());
        assertTrue(tagged.hitRate() > untagged.hitRate());
    }

    @Test
    void aPageFaultIsNotCachedAndInvalidatesTheAddress() {
        GuestPageWalker walker = new GuestPageWalker(memory, stageTwo[0]);
        walker.controlRegisters(GuestPageWalker.CR0_PG | 1, PD, 0, 0);
        Mmu mmu = new Mmu(walker, new Tlb(64, 4));
        mmu.vpid(1);
        assertEquals(Mmu.FAULT, mmu.translate(LA + PAGES * 0x1000L, StageTwo.READ, false));
        assertEquals(WalkResult.PAGE_FAULT, walker.result().status);
        assertTrue(mmu.translate(LA, StageTwo.READ, true) != Mmu.FAULT); // a user page (U/S set)
        memory.write32((16L << 20) + PT, (int) (DATA | 0x63)); // the guest makes page 0 supervisor-only...
        assertTrue(mmu.translate(LA, StageTwo.READ, true) != Mmu.FAULT); // ...but the TLB still has it
        mmu.invlpg(LA); // until INVLPG
        assertEquals(Mmu.FAULT, mmu.translate(LA, StageTwo.READ, true));
        assertEquals(GuestPageWalker.PF_PRESENT | GuestPageWalker.PF_USER, walker.result().errorCode);
    }
}
