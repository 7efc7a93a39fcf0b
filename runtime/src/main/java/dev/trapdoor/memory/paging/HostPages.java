package dev.trapdoor.memory.paging;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Host memory for paging structures the guest must not see (EPT tables): 4-KiB pages from an
 * arena, each with a host-physical address in a window of its own starting at {@link #base()}.
 * Reads outside the allocated pages return 0 (a not-present entry), writes there are dropped: a
 * bad table pointer can only make a walk fail, never throw.
 */
public final class HostPages implements AutoCloseable {
    public static final long PAGE = 4096;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final long base;
    private final int limit;
    private MemorySegment[] pages = new MemorySegment[16];
    private int used;
    private int[] free = new int[16];
    private int freeCount;

    /** A pool of at most limit pages whose host-physical addresses start at base (page-aligned). */
    public HostPages(long base, int limit) {
        if ((base & (PAGE - 1)) != 0 || base < 0) throw new IllegalArgumentException("base must be page-aligned");
        this.base = base;
        this.limit = limit;
    }

    public long base() { return base; }
    public int pagesInUse() { return used - freeCount; }

    /** A zeroed page; its host-physical address. */
    public long allocate() {
        int index;
        if (freeCount > 0) {
            index = free[--freeCount];
            pages[index].fill((byte) 0);
        } else {
            if (used == limit) throw new IllegalStateException("host page pool exhausted (" + limit + " pages)");
            if (used == pages.length) pages = Arrays.copyOf(pages, pages.length * 2);
            index = used++;
            pages[index] = arena.allocate(PAGE, PAGE);
        }
        return base + index * PAGE;
    }

    public void release(long address) {
        int index = index(address);
        if (index < 0) throw new IllegalArgumentException(String.format("%x is not a pool page", address));
        if (freeCount == free.length) free = Arrays.copyOf(free, free.length * 2);
        free[freeCount++] = index;
    }

    private int index(long address) {
        long off = address - base;
        if (off < 0 || off >= used * PAGE) return -1;
        return (int) (off >>> 12);
    }

    public boolean contains(long address) {
        return index(address) >= 0;
    }

    public long read64(long address) {
        int i = index(address);
        return i < 0 ? 0 : pages[i].get(U64, address & (PAGE - 8));
    }

    public void write64(long address, long value) {
        int i = index(address);
        if (i >= 0) pages[i].set(U64, address & (PAGE - 8), value);
    }

    @Override
    public void close() {
        arena.close();
    }
}
