package dev.trapdoor.memory.paging;

import static dev.trapdoor.memory.paging.StageTwo.FETCH;
import static dev.trapdoor.memory.paging.StageTwo.READ;
import static dev.trapdoor.memory.paging.StageTwo.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TlbTest {
    private static final int ALL = Tlb.USER | Tlb.WRITABLE | Tlb.DIRTY | Tlb.EPT_R | Tlb.EPT_W | Tlb.EPT_X;
    private final Tlb tlb = new Tlb(64, 4);

    @Test
    void hitReturnsTheHostAddressWithTheOffset() {
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1234, READ, false, true));
        tlb.insert(1, 0, 0x1234, 0x9_9000, ALL);
        assertEquals(0x9_9234, tlb.lookup(1, 0, 0x1abc - 0x888, READ, false, true));
        assertEquals(Tlb.MISS, tlb.lookup(2, 0, 0x1234, READ, false, true)); // another VPID
        assertEquals(Tlb.MISS, tlb.lookup(1, 3, 0x1234, READ, false, true)); // another PCID
        assertEquals(1, tlb.hits());
        assertEquals(3, tlb.misses());
    }

    @Test
    void cachedRightsThatDoNotAllowTheAccessAreMisses() {
        tlb.insert(1, 0, 0x1000, 0x5000, Tlb.EPT_R | Tlb.EPT_W | Tlb.EPT_X | Tlb.WRITABLE); // supervisor page, clean
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, READ, true, true)); // user
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, WRITE, false, true)); // not dirty yet: the walk sets D
        assertEquals(0x5000, tlb.lookup(1, 0, 0x1000, FETCH, false, true));
        tlb.insert(1, 0, 0x1000, 0x5000, Tlb.EPT_R | Tlb.EPT_W | Tlb.DIRTY | Tlb.NO_EXECUTE); // read-only guest page
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, FETCH, false, true));
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, WRITE, false, true)); // CR0.WP = 1
        assertEquals(0x5000, tlb.lookup(1, 0, 0x1000, WRITE, false, false)); // CR0.WP = 0
        tlb.insert(1, 0, 0x1000, 0x5000, Tlb.WRITABLE | Tlb.DIRTY | Tlb.EPT_R); // EPT read-only
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, WRITE, false, true));
        assertEquals(5, tlb.permissionMisses());
        assertEquals(1, tlb.validEntries()); // re-filling the same page replaced its entry
    }

    @Test
    void globalPagesSurviveCr3LoadsButNotInvlpgOrSingleContextFlush() {
        tlb.insert(1, 0, 0x1000, 0x5000, ALL | Tlb.GLOBAL);
        tlb.insert(1, 0, 0x2000, 0x6000, ALL);
        tlb.insert(2, 0, 0x2000, 0x7000, ALL);
        tlb.flushNonGlobal(1); // MOV to CR3 in VPID 1
        assertEquals(0x5000, tlb.lookup(1, 0, 0x1000, READ, false, true));
        assertEquals(0x5000, tlb.lookup(1, 7, 0x1000, READ, false, true)); // global: any PCID
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x2000, READ, false, true));
        assertEquals(0x7000, tlb.lookup(2, 0, 0x2000, READ, false, true)); // VPID 2 untouched
        tlb.flushAddress(1, 0x1fff); // INVLPG drops global entries too
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, READ, false, true));
        tlb.insert(1, 0, 0x1000, 0x5000, ALL | Tlb.GLOBAL);
        tlb.flushVpid(1);
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x1000, READ, false, true));
        assertEquals(0x7000, tlb.lookup(2, 0, 0x2000, READ, false, true));
    }

    @Test
    void allContextsInvalidationSparesVpid0() {
        tlb.insert(0, 0, 0x1000, 0x5000, ALL);
        tlb.insert(3, 0, 0x1000, 0x6000, ALL);
        tlb.flushAllGuests();
        assertEquals(0x5000, tlb.lookup(0, 0, 0x1000, READ, false, true));
        assertEquals(Tlb.MISS, tlb.lookup(3, 0, 0x1000, READ, false, true));
        tlb.flushAll();
        assertEquals(0, tlb.validEntries());
    }

    @Test
    void aFullSetEvictsItsLeastRecentlyUsedEntry() {
        // 64 entries 4-way = 16 sets: pages 16 apart share a set.
        for (int i = 0; i < 4; i++) tlb.insert(1, 0, i * 0x10000L, 0x100000L + i * 0x1000, ALL);
        tlb.lookup(1, 0, 0, READ, false, true); // page 0 is now the most recent; page 0x10000 the least
        tlb.insert(1, 0, 0x40000, 0x200000, ALL);
        assertEquals(Tlb.MISS, tlb.lookup(1, 0, 0x10000, READ, false, true));
        assertEquals(0x100000, tlb.lookup(1, 0, 0, READ, false, true));
        assertEquals(0x200000, tlb.lookup(1, 0, 0x40000, READ, false, true));
        assertEquals(4, tlb.validEntries());
    }

    @Test
    void geometryMustGivePowerOfTwoSets() {
        assertThrows(IllegalArgumentException.class, () -> new Tlb(48, 4));
        assertThrows(IllegalArgumentException.class, () -> new Tlb(64, 3));
        assertEquals(64, new Tlb(64, 64).entries()); // fully associative
    }
}
