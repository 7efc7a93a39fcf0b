package dev.trapdoor.cpu;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * The CPU's software TLB for one VPID (SDM Vol. 3C, 29.1): a direct-mapped table of 4-KiB
 * linear pages caching the combined translation (both stages) as the host segment of the page.
 * Separate tags say which accesses a cached page allows without a walk: read, write (only once
 * the walk has set the dirty flags), and fetch (not for execute-disable pages or pages without
 * EPT execute permission). {@link Mmu} reads the arrays directly on its fast path.
 */
final class TlbContext {
    static final int SIZE = 256;

    final int vpid;
    final int[] readTag = new int[SIZE];
    final int[] writeTag = new int[SIZE];
    final int[] fetchTag = new int[SIZE];
    final boolean[] global = new boolean[SIZE];
    final MemorySegment[] host = new MemorySegment[SIZE];
    final long[] offset = new long[SIZE];
    final long[] phys = new long[SIZE];
    /** The EPT pointer the combined translations were made with (they are tagged by it too, SDM 29.4.2); -1 without EPT. */
    long eptp = -1;
    /** Some entry caches a 4-KiB piece of a larger page: INVLPG then flushes everything. */
    boolean largePages;
    /** Last VM entry that used this context, for choosing one to recycle. */
    long lastUse;

    TlbContext(int vpid) {
        this.vpid = vpid;
        flush();
    }

    void flush() {
        Arrays.fill(readTag, -1);
        Arrays.fill(writeTag, -1);
        Arrays.fill(fetchTag, -1);
        Arrays.fill(global, false);
        largePages = false;
    }

    /** MOV to CR3 (SDM Vol. 3A, 4.10.4.1): entries for global pages stay. */
    void flushNonGlobal() {
        for (int i = 0; i < SIZE; i++) {
            if (!global[i]) invalidate(i);
        }
    }

    /** INVLPG: the page's entry, global or not. */
    void flushPage(int page) {
        int i = page & (SIZE - 1);
        if (readTag[i] == page || writeTag[i] == page || fetchTag[i] == page) invalidate(i);
    }

    private void invalidate(int i) {
        readTag[i] = -1;
        writeTag[i] = -1;
        fetchTag[i] = -1;
        global[i] = false;
    }

    int validEntries() {
        int n = 0;
        for (int i = 0; i < SIZE; i++) if (readTag[i] != -1 || writeTag[i] != -1 || fetchTag[i] != -1) n++;
        return n;
    }
}
