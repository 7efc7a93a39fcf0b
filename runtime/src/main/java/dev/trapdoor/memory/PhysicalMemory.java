package dev.trapdoor.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Guest-physical address space: a set of non-overlapping regions found in O(1) through a
 * page-granular table over the low 4 GiB. Unassigned space reads as all ones and drops writes,
 * as a PC bus does. All accessors are little-endian and range-checked; nothing a guest address
 * can hold makes them throw.
 */
public final class PhysicalMemory implements AutoCloseable {
    public static final int PAGE_SHIFT = 12;
    public static final long PAGE_SIZE = 1L << PAGE_SHIFT;
    private static final long TABLE_LIMIT = 1L << 32;

    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Told when a write lands on a page marked as holding decoded code. */
    public interface CodeWriteListener {
        void codeWritten(long gpa, int length);
    }

    private final Arena arena = Arena.ofShared();
    private final List<Region> regions = new ArrayList<>();
    private final Region[] pages = new Region[(int) (TABLE_LIMIT >>> PAGE_SHIFT)];
    private final long[] codePages = new long[pages.length >>> 6];
    private final List<CodeWriteListener> codeListeners = new ArrayList<>();
    private long droppedWrites;
    private long unassignedReads;

    // ---- wiring

    public Region.Ram addRam(String name, long base, long size) {
        checkRange(base, size);
        MemorySegment host = arena.allocate(size, PAGE_SIZE);
        return add(new Region.Ram(name, base, host));
    }

    public Region.Rom addRom(String name, long base, byte[] content) {
        long size = (content.length + PAGE_SIZE - 1) & -PAGE_SIZE;
        checkRange(base, size);
        MemorySegment host = arena.allocate(size, PAGE_SIZE);
        MemorySegment.copy(content, 0, host, ValueLayout.JAVA_BYTE, 0, content.length);
        return add(new Region.Rom(name, base, host));
    }

    public Region.Mmio addMmio(String name, long base, long size, MmioDevice device) {
        checkRange(base, size);
        return add(new Region.Mmio(name, base, size, device));
    }

    /** Unmaps a device window (a local APIC moved through IA32_APIC_BASE); the space becomes unassigned. */
    public synchronized void removeMmio(Region.Mmio r) {
        if (!regions.remove(r)) return;
        for (long p = r.base() >>> PAGE_SHIFT; p < r.end() >>> PAGE_SHIFT; p++) {
            if (pages[(int) p] == r) pages[(int) p] = null;
        }
    }

    private static void checkRange(long base, long size) {
        if (size <= 0) throw new IllegalArgumentException("region size must be positive: " + size);
        if ((base & (PAGE_SIZE - 1)) != 0 || (size & (PAGE_SIZE - 1)) != 0)
            throw new IllegalArgumentException(String.format("region %x+%x is not page-aligned", base, size));
        if (base < 0 || base + size > TABLE_LIMIT)
            throw new IllegalArgumentException(String.format("region %x+%x is outside the 4 GiB physical space", base, size));
    }

    private synchronized <R extends Region> R add(R r) {
        for (Region o : regions) {
            if (r.base() < o.end() && o.base() < r.end())
                throw new IllegalArgumentException("region " + r.name() + " overlaps " + o);
        }
        regions.add(r);
        regions.sort((a, b) -> Long.compare(a.base(), b.base()));
        for (long p = r.base() >>> PAGE_SHIFT; p < r.end() >>> PAGE_SHIFT; p++) pages[(int) p] = r;
        return r;
    }

    public List<Region> regions() {
        return Collections.unmodifiableList(regions);
    }

    /** The region holding gpa, or null for unassigned space. */
    public Region regionAt(long gpa) {
        if (gpa < 0 || gpa >= TABLE_LIMIT) return null;
        return pages[(int) (gpa >>> PAGE_SHIFT)];
    }

    /** The host segment for a RAM page, for backends' fast paths; null if gpa is not RAM. */
    public MemorySegment ramAt(long gpa) {
        Region r = regionAt(gpa);
        return r instanceof Region.Ram ram ? ram.host() : null;
    }

    // ---- code-page tracking (decoded-block caches)

    public void addCodeWriteListener(CodeWriteListener l) {
        codeListeners.add(l);
    }

    public void markCodePage(long gpa) {
        int p = (int) (gpa >>> PAGE_SHIFT);
        codePages[p >>> 6] |= 1L << p;
    }

    public void clearCodePage(long gpa) {
        int p = (int) (gpa >>> PAGE_SHIFT);
        codePages[p >>> 6] &= ~(1L << p);
    }

    public boolean isCodePage(long gpa) {
        if (gpa < 0 || gpa >= TABLE_LIMIT) return false;
        int p = (int) (gpa >>> PAGE_SHIFT);
        return (codePages[p >>> 6] & (1L << p)) != 0;
    }

    private void noteWrite(long gpa, int length) {
        if (isCodePage(gpa) || isCodePage(gpa + length - 1)) {
            for (CodeWriteListener l : codeListeners) l.codeWritten(gpa, length);
        }
    }

    // ---- typed access

    public int read8(long gpa) {
        return (int) read(gpa, 1);
    }

    public int read16(long gpa) {
        return (int) read(gpa, 2);
    }

    public int read32(long gpa) {
        return (int) read(gpa, 4);
    }

    public long read64(long gpa) {
        return read(gpa, 8);
    }

    public void write8(long gpa, int v) {
        write(gpa, 1, v);
    }

    public void write16(long gpa, int v) {
        write(gpa, 2, v);
    }

    public void write32(long gpa, int v) {
        write(gpa, 4, v & 0xffffffffL);
    }

    public void write64(long gpa, long v) {
        write(gpa, 8, v);
    }

    /** Reads size (1, 2, 4, 8) bytes, zero-extended. Accesses that cross a region edge are split. */
    public long read(long gpa, int size) {
        Region r = regionAt(gpa);
        if (r != null && gpa + size <= r.end()) {
            long off = gpa - r.base();
            switch (r) {
                case Region.Ram ram -> { return get(ram.host(), off, size); }
                case Region.Rom rom -> { return get(rom.host(), off, size); }
                case Region.Mmio m -> { return m.device().read(off, size) & mask(size); }
            }
        }
        if (r == null && samePage(gpa, size)) {
            unassignedReads++;
            return mask(size);
        }
        long v = 0;
        for (int i = 0; i < size; i++) v |= (long) read8(gpa + i) << (8 * i);
        return v;
    }

    public void write(long gpa, int size, long value) {
        Region r = regionAt(gpa);
        if (r != null && gpa + size <= r.end()) {
            long off = gpa - r.base();
            switch (r) {
                case Region.Ram ram -> {
                    put(ram.host(), off, size, value);
                    noteWrite(gpa, size);
                }
                case Region.Rom rom -> droppedWrites++;
                case Region.Mmio m -> m.device().write(off, size, value & mask(size));
            }
            return;
        }
        if (r == null && samePage(gpa, size)) {
            droppedWrites++;
            return;
        }
        for (int i = 0; i < size; i++) write(gpa + i, 1, value >>> (8 * i));
    }

    private static boolean samePage(long gpa, int size) {
        return ((gpa ^ (gpa + size - 1)) >>> PAGE_SHIFT) == 0;
    }

    private static long mask(int size) {
        return size >= 8 ? -1L : (1L << (8 * size)) - 1;
    }

    static long get(MemorySegment s, long off, int size) {
        return switch (size) {
            case 1 -> s.get(ValueLayout.JAVA_BYTE, off) & 0xffL;
            case 2 -> s.get(U16, off) & 0xffffL;
            case 4 -> s.get(U32, off) & 0xffffffffL;
            case 8 -> s.get(U64, off);
            default -> throw new IllegalArgumentException("access size " + size);
        };
    }

    static void put(MemorySegment s, long off, int size, long v) {
        switch (size) {
            case 1 -> s.set(ValueLayout.JAVA_BYTE, off, (byte) v);
            case 2 -> s.set(U16, off, (short) v);
            case 4 -> s.set(U32, off, (int) v);
            case 8 -> s.set(U64, off, v);
            default -> throw new IllegalArgumentException("access size " + size);
        }
    }

    // ---- bulk access (host side: loaders, scripts, DMA)

    /** Copies guest memory into dst; unassigned bytes read as 0xff. */
    public void read(long gpa, byte[] dst, int off, int len) {
        int done = 0;
        while (done < len) {
            long a = gpa + done;
            Region r = regionAt(a);
            int chunk = (int) Math.min(len - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
            MemorySegment host = r instanceof Region.Ram ram ? ram.host() : r instanceof Region.Rom rom ? rom.host() : null;
            if (host != null) {
                chunk = (int) Math.min(len - done, r.end() - a);
                MemorySegment.copy(host, ValueLayout.JAVA_BYTE, a - r.base(), dst, off + done, chunk);
            } else {
                for (int i = 0; i < chunk; i++) dst[off + done + i] = (byte) read8(a + i);
            }
            done += chunk;
        }
    }

    public byte[] readBytes(long gpa, int len) {
        byte[] b = new byte[len];
        read(gpa, b, 0, len);
        return b;
    }

    /** Copies src into guest memory. Host-side loads may write ROM (that is how firmware gets there). */
    public void write(long gpa, byte[] src, int off, int len, boolean allowRom) {
        int done = 0;
        while (done < len) {
            long a = gpa + done;
            Region r = regionAt(a);
            MemorySegment host = r instanceof Region.Ram ram ? ram.host() : allowRom && r instanceof Region.Rom rom ? rom.host() : null;
            if (host != null) {
                int chunk = (int) Math.min(len - done, r.end() - a);
                MemorySegment.copy(src, off + done, host, ValueLayout.JAVA_BYTE, a - r.base(), chunk);
                noteWrite(a, chunk);
                done += chunk;
            } else {
                write(a, 1, src[off + done]);
                done++;
            }
        }
    }

    public void write(long gpa, byte[] src) {
        write(gpa, src, 0, src.length, true);
    }

    public long droppedWrites() { return droppedWrites; }
    public long unassignedReads() { return unassignedReads; }

    @Override
    public void close() {
        arena.close();
    }
}
