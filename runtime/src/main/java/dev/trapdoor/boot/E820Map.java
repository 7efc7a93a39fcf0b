package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

import java.util.ArrayList;
import java.util.List;

/**
 * The BIOS memory map (INT 15h, E820h) a PC firmware would report for a guest's memory: RAM is
 * usable except the legacy area 0x9fc00-0xfffff (EBDA, VGA window, BIOS), which is reserved, as
 * are ROM regions. Adjacent ranges of one type are merged. Both the Linux zero page and the
 * multiboot mmap are built from it.
 */
record E820Map(List<Entry> entries) {
    static final int USABLE = 1, RESERVED = 2;
    static final long LEGACY_START = 0x9fc00, LEGACY_END = 0x100000;

    record Entry(long base, long length, int type) {
        long end() { return base + length; }
    }

    static E820Map of(PhysicalMemory memory) {
        List<Entry> out = new ArrayList<>();
        for (Region r : memory.regions()) {
            switch (r) {
                case Region.Ram ram -> {
                    add(out, r.base(), Math.min(r.end(), LEGACY_START), USABLE);
                    add(out, Math.max(r.base(), LEGACY_START), Math.min(r.end(), LEGACY_END), RESERVED);
                    add(out, Math.max(r.base(), LEGACY_END), r.end(), USABLE);
                }
                case Region.Rom rom -> add(out, r.base(), r.end(), RESERVED);
                case Region.Mmio mmio -> { }
            }
        }
        return new E820Map(List.copyOf(out));
    }

    private static void add(List<Entry> out, long from, long to, int type) {
        if (to <= from) return;
        if (!out.isEmpty()) {
            Entry last = out.getLast();
            if (last.type() == type && last.end() == from) {
                out.set(out.size() - 1, new Entry(last.base(), to - last.base(), type));
                return;
            }
        }
        out.add(new Entry(from, to - from, type));
    }

    /** Usable bytes starting at address from, contiguous. */
    long usableFrom(long from) {
        long end = from;
        for (Entry e : entries) {
            if (e.type() == USABLE && e.base() <= end && e.end() > end) end = e.end();
        }
        return end - from;
    }
}
