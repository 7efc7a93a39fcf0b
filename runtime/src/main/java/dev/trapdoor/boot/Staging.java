package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The writes a loader plans, checked together before any is made: each range must lie in guest
 * RAM and no two may overlap. Only {@link #commit} touches guest memory, so a refused image
 * leaves the guest as it was.
 */
final class Staging {
    private record Write(BootPlan.Placement placement, byte[] src, int offset) {}

    private static final byte[] ZEROS = new byte[64 * 1024];

    private final PhysicalMemory memory;
    private final List<Write> writes = new ArrayList<>();

    Staging(PhysicalMemory memory) {
        this.memory = memory;
    }

    /** Plans fileSize bytes of src from offset at address, followed by memSize - fileSize zero bytes. */
    void add(String what, long address, byte[] src, int offset, long fileSize, long memSize) {
        if (fileSize < 0 || memSize < fileSize || offset < 0 || offset + fileSize > src.length)
            throw BadImageException.of("%s: %,d bytes from file offset 0x%x do not fit in a %,d-byte memory image",
                    what, fileSize, offset, memSize);
        writes.add(new Write(new BootPlan.Placement(what, address, fileSize, memSize), src, offset));
    }

    void add(String what, long address, byte[] bytes) {
        add(what, address, bytes, 0, bytes.length, bytes.length);
    }

    /** Checks every planned range: in RAM, inside 4 GiB, no overlaps. */
    void check() {
        List<BootPlan.Placement> sorted = placements();
        BootPlan.Placement prev = null;
        for (BootPlan.Placement p : sorted) {
            if (p.memSize() == 0) continue;
            if (p.address() < 0 || p.end() > 1L << 32)
                throw BadImageException.of("%s at 0x%x+0x%x lies outside the 32-bit physical address space",
                        p.what(), p.address(), p.memSize());
            long gap = firstNonRam(p.address(), p.end());
            if (gap >= 0)
                throw BadImageException.of("%s does not fit in RAM: it needs 0x%x-0x%x but 0x%x is not RAM (%s)",
                        p.what(), p.address(), p.end() - 1, gap, describeRam());
            if (prev != null && p.address() < prev.end())
                throw BadImageException.of("%s at 0x%x-0x%x overlaps %s at 0x%x-0x%x",
                        p.what(), p.address(), p.end() - 1, prev.what(), prev.address(), prev.end() - 1);
            prev = p;
        }
    }

    /** Checks, then writes everything. */
    List<BootPlan.Placement> commit() {
        check();
        for (Write w : writes) {
            BootPlan.Placement p = w.placement();
            memory.write(p.address(), w.src(), w.offset(), (int) p.fileSize(), false);
            long a = p.address() + p.fileSize();
            long left = p.memSize() - p.fileSize();
            while (left > 0) {
                int n = (int) Math.min(left, ZEROS.length);
                memory.write(a, ZEROS, 0, n, false);
                a += n;
                left -= n;
            }
        }
        return placements();
    }

    List<BootPlan.Placement> placements() {
        List<BootPlan.Placement> l = new ArrayList<>();
        for (Write w : writes) l.add(w.placement());
        l.sort(Comparator.comparingLong(BootPlan.Placement::address));
        return l;
    }

    /** The first address in [from, to) that is not RAM, or -1. */
    private long firstNonRam(long from, long to) {
        long a = from;
        while (a < to) {
            Region r = memory.regionAt(a);
            if (!(r instanceof Region.Ram)) return a;
            a = r.end();
        }
        return -1;
    }

    private String describeRam() {
        StringBuilder s = new StringBuilder("RAM is");
        boolean any = false;
        for (Region r : memory.regions()) {
            if (r instanceof Region.Ram) {
                s.append(any ? ", " : " ").append(String.format("0x%x-0x%x", r.base(), r.end() - 1));
                any = true;
            }
        }
        return any ? s.toString() : "there is no RAM";
    }
}
