package dev.trapdoor.memory.paging;

import java.util.Arrays;

/**
 * A set-associative TLB caching combined translations (guest-linear page to host-physical page,
 * through both stages) with the rights of the walk, tagged by VPID and PCID as the SDM describes
 * (Vol. 3C, 29.1 "Virtual-processor identifiers"; Vol. 3A, 4.10). Entries cache 4-KiB pieces of
 * larger pages. A lookup that the cached rights do not allow is a miss, so the walk, which is
 * authoritative, raises the fault; writes to a page cached from a read miss once so that the walk
 * sets the dirty flags. Primitive arrays only: lookups and fills allocate nothing.
 */
public final class Tlb {
    // Rights bits of an entry.
    public static final int USER = 1, WRITABLE = 2, NO_EXECUTE = 4, GLOBAL = 8, DIRTY = 16;
    /** EPT R/W/X of the data page sit in bits 5-7. */
    public static final int EPT_SHIFT = 5;
    public static final int EPT_R = 1 << EPT_SHIFT, EPT_W = 2 << EPT_SHIFT, EPT_X = 4 << EPT_SHIFT;

    public static final long MISS = -1;
    private static final long INVALID = -1;

    private final int sets;
    private final int ways;
    private final long[] page;    // linear page number, or INVALID
    private final int[] context;  // vpid << 12 | pcid
    private final long[] frame;   // host-physical page address
    private final int[] rights;
    private final long[] used;    // LRU stamp
    private long clock;
    private long hits, misses, permissionMisses, fills, flushes;

    /** entries in total, ways per set; entries / ways must be a power of two. */
    public Tlb(int entries, int ways) {
        if (ways <= 0 || entries <= 0 || entries % ways != 0 || Integer.bitCount(entries / ways) != 1)
            throw new IllegalArgumentException("TLB of " + entries + " entries, " + ways + "-way: sets must be a power of two");
        this.sets = entries / ways;
        this.ways = ways;
        page = new long[entries];
        context = new int[entries];
        frame = new long[entries];
        rights = new int[entries];
        used = new long[entries];
        Arrays.fill(page, INVALID);
    }

    public int entries() { return page.length; }
    public int ways() { return ways; }

    private static int context(int vpid, int pcid) {
        return (vpid & 0xffff) << 12 | (pcid & 0xfff);
    }

    private int setOf(long vpn) {
        return (int) (vpn & (sets - 1)) * ways;
    }

    /**
     * The host-physical address for linear, or MISS. wp is CR0.WP (supervisor writes to
     * read-only pages fault only when it is set).
     */
    public long lookup(int vpid, int pcid, long linear, int access, boolean user, boolean wp) {
        long vpn = (linear & 0xFFFF_FFFFL) >>> 12;
        int ctx = context(vpid, pcid);
        int base = setOf(vpn);
        for (int i = base; i < base + ways; i++) {
            if (page[i] != vpn) continue;
            int r = rights[i];
            // global entries match any PCID of their VPID (SDM 4.10.2.4)
            if (context[i] != ctx && ((r & GLOBAL) == 0 || context[i] >>> 12 != (vpid & 0xffff))) continue;
            if (!allows(r, access, user, wp)) {
                permissionMisses++;
                misses++;
                return MISS;
            }
            used[i] = ++clock;
            hits++;
            return frame[i] | (linear & 0xfff);
        }
        misses++;
        return MISS;
    }

    private static boolean allows(int r, int access, boolean user, boolean wp) {
        if (user && (r & USER) == 0) return false;
        if ((access & StageTwo.WRITE) != 0) {
            if ((r & (EPT_W | DIRTY)) != (EPT_W | DIRTY)) return false;
            if ((user || wp) && (r & WRITABLE) == 0) return false;
        }
        if ((access & StageTwo.FETCH) != 0 && ((r & NO_EXECUTE) != 0 || (r & EPT_X) == 0)) return false;
        return (access & StageTwo.READ) == 0 || (r & EPT_R) != 0;
    }

    /** Caches a translation (the walk's rights), replacing the same page's entry or the set's least recently used. */
    public void insert(int vpid, int pcid, long linear, long hostPhysical, int entryRights) {
        long vpn = (linear & 0xFFFF_FFFFL) >>> 12;
        int ctx = context(vpid, pcid);
        int base = setOf(vpn);
        int victim = base;
        for (int i = base; i < base + ways; i++) {
            if (page[i] == vpn && context[i] == ctx) {
                victim = i;
                break;
            }
            if (page[i] == INVALID) {
                victim = i;
                break;
            }
            if (used[i] < used[victim]) victim = i;
        }
        page[victim] = vpn;
        context[victim] = ctx;
        frame[victim] = hostPhysical & ~0xfffL;
        rights[victim] = entryRights;
        used[victim] = ++clock;
        fills++;
    }

    // ---- invalidation

    /** Everything (INVEPT, a VM transition without VPIDs, a change of CR0.PG or CR4.PGE). */
    public void flushAll() {
        Arrays.fill(page, INVALID);
        flushes++;
    }

    /** INVVPID single-context: every entry tagged with vpid, global or not. */
    public void flushVpid(int vpid) {
        flush(vpid, false);
    }

    /** MOV to CR3 (and INVVPID single-context-retaining-globals): vpid's entries except global ones. */
    public void flushNonGlobal(int vpid) {
        flush(vpid, true);
    }

    private void flush(int vpid, boolean keepGlobal) {
        for (int i = 0; i < page.length; i++) {
            if (page[i] != INVALID && context[i] >>> 12 == (vpid & 0xffff) && !(keepGlobal && (rights[i] & GLOBAL) != 0)) page[i] = INVALID;
        }
        flushes++;
    }

    /** INVVPID all-contexts: every VPID except 0, the host's (SDM 31.3 INVVPID). */
    public void flushAllGuests() {
        for (int i = 0; i < page.length; i++) if (context[i] >>> 12 != 0) page[i] = INVALID;
        flushes++;
    }

    /** INVLPG (global entries too) and INVVPID individual-address: linear's entries of vpid, any PCID. */
    public void flushAddress(int vpid, long linear) {
        long vpn = (linear & 0xFFFF_FFFFL) >>> 12;
        int base = setOf(vpn);
        for (int i = base; i < base + ways; i++) {
            if (page[i] == vpn && context[i] >>> 12 == (vpid & 0xffff)) page[i] = INVALID;
        }
        flushes++;
    }

    // ---- counters

    public long hits() { return hits; }
    public long misses() { return misses; }
    /** Misses on a cached page whose rights did not allow the access (each led to a walk). */
    public long permissionMisses() { return permissionMisses; }
    public long fills() { return fills; }
    public long flushes() { return flushes; }

    public double hitRate() {
        long n = hits + misses;
        return n == 0 ? 0 : (double) hits / n;
    }

    public void resetCounters() {
        hits = misses = permissionMisses = fills = flushes = 0;
    }

    public int validEntries() {
        int n = 0;
        for (long p : page) if (p != INVALID) n++;
        return n;
    }

    @Override
    public String toString() {
        return String.format("TLB %d entries %d-way: %d hits, %d misses (%.1f%%), %d fills, %d flushes",
                page.length, ways, hits, misses, 100 * hitRate(), fills, flushes);
    }
}
