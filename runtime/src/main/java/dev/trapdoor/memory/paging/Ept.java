package dev.trapdoor.memory.paging;

import java.util.ArrayList;
import java.util.List;

/**
 * Extended page tables (SDM Vol. 3C, 29.3): a 4-level tree in host pages the guest cannot see,
 * mapping guest-physical to host-physical addresses (here: addresses in the machine's
 * {@code PhysicalMemory} map), with R/W/X permissions, a memory type and accessed/dirty flags.
 * The builder side is for the host and scripts; {@link EptWalker} is the processor side.
 *
 * <pre>
 *   ept.map(0, 0, 64 << 20, Ept.RWX)         // identity, 2 MiB pages where alignment allows
 *   ept.protect(0xb8000, 0x1000, Ept.R)       // make one page read-only (splits a large page)
 *   ept.unmap(0xfee00000, 0x1000)             // a hole: accesses become EPT violations (MMIO)
 *   ept.invept()                              // drop cached translations
 * </pre>
 */
public final class Ept implements AutoCloseable {
    public static final int R = 1, W = 2, X = 4, RW = 3, RX = 5, RWX = 7;
    public static final int MT_UC = 0, MT_WC = 1, MT_WT = 4, MT_WP = 5, MT_WB = 6;
    public static final long PAGE_4K = 1L << 12, PAGE_2M = 1L << 21, PAGE_1G = 1L << 30;

    // Entry bits (SDM Tables 29-1 .. 29-6).
    static final long MEMORY_TYPE_SHIFT = 3;
    static final long IGNORE_PAT = 1L << 6;
    static final long LARGE = 1L << 7;
    static final long ACCESSED = 1L << 8;
    static final long DIRTY = 1L << 9;

    /** Where host pages of EPT tables get their (host-physical) addresses: 64 GiB, far from guest RAM. */
    public static final long TABLE_BASE = 0x10_0000_0000L;
    private static final int MAX_TABLE_PAGES = 1 << 16;

    private final HostPages pages;
    private final boolean ownsPages;
    private final int maxPhysAddr;
    private final long addressMask;
    private final long pml4;
    private boolean accessedDirty;
    private int memoryType = MT_WB;
    private final List<Runnable> invalidationListeners = new ArrayList<>();

    /** EPT for a processor with MAXPHYADDR 39, tables in a pool of their own. */
    public Ept() {
        this(39);
    }

    public Ept(int maxPhysAddr) {
        this(new HostPages(TABLE_BASE, MAX_TABLE_PAGES), maxPhysAddr, true);
    }

    /**
     * EPT tables in a pool shared with other EPTs (a VMM's several guests, whose EPT pointers one
     * walker can then follow); closing this EPT frees its pages, the pool stays.
     */
    public Ept(HostPages pages, int maxPhysAddr) {
        this(pages, maxPhysAddr, false);
    }

    private Ept(HostPages pages, int maxPhysAddr, boolean ownsPages) {
        if (maxPhysAddr < 37 || maxPhysAddr > 52) throw new IllegalArgumentException("MAXPHYADDR " + maxPhysAddr);
        this.maxPhysAddr = maxPhysAddr;
        this.addressMask = ((1L << maxPhysAddr) - 1) & ~0xfffL;
        this.pages = pages;
        this.ownsPages = ownsPages;
        this.pml4 = pages.allocate();
    }

    /** A pool for {@link #Ept(HostPages, int)}: host pages at {@link #TABLE_BASE}. */
    public static HostPages newTablePool() {
        return new HostPages(TABLE_BASE, MAX_TABLE_PAGES);
    }

    public HostPages pages() { return pages; }
    public int maxPhysAddr() { return maxPhysAddr; }
    long addressMask() { return addressMask; }
    public long pml4() { return pml4; }

    /** EPTP bit 6: the processor sets accessed and dirty flags in EPT entries. */
    public Ept accessedDirty(boolean on) {
        accessedDirty = on;
        return this;
    }

    public boolean accessedDirty() { return accessedDirty; }

    /** Memory type for leaves that map() creates from now on. */
    public Ept memoryType(int type) {
        if (!validMemoryType(type)) throw new IllegalArgumentException("EPT memory type " + type + " is reserved");
        memoryType = type;
        return this;
    }

    static boolean validMemoryType(int type) {
        return type == MT_UC || type == MT_WC || type == MT_WT || type == MT_WP || type == MT_WB;
    }

    /**
     * The EPT pointer (SDM 25.6.11): memory type WB for the tables (bits 2:0), page-walk length
     * minus one = 3 (bits 5:3), A/D enable (bit 6), PML4 address.
     */
    public long eptp() {
        return pml4 | 3 << 3 | MT_WB | (accessedDirty ? 1 << 6 : 0);
    }

    // ---- building

    /** Maps size bytes at gpa to hpa with the largest pages alignment allows (1 GiB, 2 MiB, 4 KiB). */
    public void map(long gpa, long hpa, long size, int perms) {
        map(gpa, hpa, size, perms, PAGE_1G);
    }

    /** Like {@link #map(long, long, long, int)} with pages no larger than maxPage (PAGE_4K forces small pages). */
    public void map(long gpa, long hpa, long size, int perms, long maxPage) {
        checkRange(gpa, size);
        if ((hpa & (PAGE_4K - 1)) != 0 || hpa < 0 || hpa + size - 1 > addressMask + 0xfff)
            throw new IllegalArgumentException(String.format("host address %x+%x is not page-aligned or beyond MAXPHYADDR", hpa, size));
        if (maxPage != PAGE_4K && maxPage != PAGE_2M && maxPage != PAGE_1G) throw new IllegalArgumentException("page size " + maxPage);
        if ((perms & ~RWX) != 0 || (perms & RW) == W) throw new IllegalArgumentException("EPT permissions " + permString(perms) + " (write needs read)");
        long done = 0;
        while (done < size) {
            long g = gpa + done, h = hpa + done, left = size - done;
            long page = maxPage;
            while (page > PAGE_4K && ((g | h) & (page - 1)) != 0 || page > left) page >>>= 9;
            setLeaf(g, levelOf(page), h | leafBits(perms, memoryType) | (page > PAGE_4K ? LARGE : 0));
            done += page;
        }
    }

    /** Removes the mappings of size bytes at gpa; large pages that straddle the range are split first. */
    public void unmap(long gpa, long size) {
        checkRange(gpa, size);
        forEachLeaf(gpa, size, (table, index, entry) -> pages.write64(table + index * 8, 0));
    }

    /** Changes the R/W/X permissions of the mapped pages in the range (holes stay holes). */
    public void protect(long gpa, long size, int perms) {
        checkRange(gpa, size);
        if ((perms & ~RWX) != 0 || (perms & RW) == W) throw new IllegalArgumentException("EPT permissions " + permString(perms));
        forEachLeaf(gpa, size, (table, index, entry) -> pages.write64(table + index * 8, entry & ~7L | perms));
    }

    /** INVEPT: tells everyone caching translations derived from these tables to drop them. */
    public void invept() {
        for (Runnable r : invalidationListeners) r.run();
    }

    public void addInvalidationListener(Runnable r) {
        invalidationListeners.add(r);
    }

    /** The raw entry at a level (4 = PML4 ... 1 = PT) on gpa's path, 0 if the path ends above it. For scripts and tests. */
    public long entry(long gpa, int level) {
        long table = pml4;
        for (int l = 4; ; l--) {
            long e = pages.read64(table + index(gpa, l) * 8);
            if (l == level) return e;
            if ((e & 7) == 0 || (e & LARGE) != 0 && l <= 3) return 0;
            table = e & addressMask;
        }
    }

    /** Writes a raw entry (a script making a misconfiguration on purpose, say); the path must exist down to level. */
    public void setEntry(long gpa, int level, long value) {
        long table = pml4;
        for (int l = 4; l > level; l--) {
            long e = pages.read64(table + index(gpa, l) * 8);
            if ((e & 7) == 0 || (e & LARGE) != 0 && l <= 3) throw new IllegalArgumentException("no table at level " + (l - 1));
            table = e & addressMask;
        }
        pages.write64(table + index(gpa, level) * 8, value);
    }

    private void checkRange(long gpa, long size) {
        if (size <= 0 || ((gpa | size) & (PAGE_4K - 1)) != 0 || gpa < 0 || gpa + size - 1 > addressMask + 0xfff)
            throw new IllegalArgumentException(String.format("guest range %x+%x is not page-aligned or beyond MAXPHYADDR", gpa, size));
    }

    static int index(long gpa, int level) {
        return (int) (gpa >>> (12 + 9 * (level - 1))) & 511;
    }

    static long pageSize(int level) {
        return 1L << (12 + 9 * (level - 1));
    }

    private static int levelOf(long page) {
        return page == PAGE_1G ? 3 : page == PAGE_2M ? 2 : 1;
    }

    private static long leafBits(int perms, int memoryType) {
        return perms | (long) memoryType << MEMORY_TYPE_SHIFT;
    }

    /** Installs a leaf at level, creating tables above it and freeing any subtree it replaces. */
    private void setLeaf(long gpa, int level, long leaf) {
        long table = pml4;
        for (int l = 4; l > level; l--) table = tableBelow(table, gpa, l);
        long slot = table + index(gpa, level) * 8;
        long old = pages.read64(slot);
        if (level > 1 && (old & 7) != 0 && (old & LARGE) == 0) freeTree(old & addressMask, level - 1);
        pages.write64(slot, leaf);
    }

    /** The table that entry (table, index of gpa at level) points to, made if absent, split if a large leaf. */
    private long tableBelow(long table, long gpa, int level) {
        long slot = table + index(gpa, level) * 8;
        long e = pages.read64(slot);
        if ((e & 7) != 0 && (level == 4 || (e & LARGE) == 0)) return e & addressMask;
        long child = pages.allocate();
        if ((e & 7) != 0) split(e, child, level - 1);
        pages.write64(slot, child | RWX);
        return child;
    }

    /** Fills child (a table at level) with the 512 entries that together map what large leaf e mapped. */
    private void split(long e, long child, int level) {
        long step = pageSize(level);
        long keep = e & ~addressMask & ~LARGE; // permissions, memory type, ignore-PAT, A/D, ignored bits
        long base = e & addressMask & ~(pageSize(level + 1) - 1);
        for (int i = 0; i < 512; i++) {
            pages.write64(child + i * 8L, (base + i * step) | keep | (level > 1 ? LARGE : 0));
        }
    }

    private void freeTree(long table, int level) {
        if (level > 1) {
            for (int i = 0; i < 512; i++) {
                long e = pages.read64(table + i * 8L);
                if ((e & 7) != 0 && (e & LARGE) == 0) freeTree(e & addressMask, level - 1);
            }
        }
        pages.release(table);
    }

    private interface LeafAction {
        void apply(long table, int index, long entry);
    }

    /** Visits every present leaf in the range, splitting large leaves that the range only partly covers. */
    private void forEachLeaf(long gpa, long size, LeafAction action) {
        long end = gpa + size;
        long a = gpa;
        while (a < end) {
            long table = pml4;
            int level = 4;
            long advance;
            while (true) {
                long slot = table + index(a, level) * 8;
                long e = pages.read64(slot);
                long span = pageSize(level);
                if ((e & 7) == 0) { // hole: skip to the next entry at this level
                    advance = span - (a & (span - 1));
                    break;
                }
                boolean leaf = level == 1 || level <= 3 && (e & LARGE) != 0;
                if (leaf) {
                    if ((a & (span - 1)) == 0 && a + span <= end) {
                        action.apply(table, index(a, level), e);
                        advance = span;
                        break;
                    }
                    table = tableBelow(table, a, level); // partial: split and go down
                    level--;
                    continue;
                }
                table = e & addressMask;
                level--;
            }
            a += advance;
        }
    }

    public static String permString(int perms) {
        return ((perms & R) != 0 ? "r" : "-") + ((perms & W) != 0 ? "w" : "-") + ((perms & X) != 0 ? "x" : "-");
    }

    @Override
    public void close() {
        if (ownsPages) pages.close();
        else freeTree(pml4, 4);
    }
}
