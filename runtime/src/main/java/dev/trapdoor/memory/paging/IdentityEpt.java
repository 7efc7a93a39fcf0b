package dev.trapdoor.memory.paging;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

/**
 * The EPT a VMM gives a guest whose guest-physical space is the machine's own map, as KVM builds
 * one from its memory slots: guest-physical = host-physical, read/write/execute, write-back, in
 * 1-GiB pages where nothing forces smaller ones. It covers the whole space a PAE guest can name
 * (MAXPHYADDR 36), so RAM, ROM and unassigned addresses behave exactly as without EPT; the pages
 * of devices (MMIO regions) are left out, as KVM leaves them out of its slots: the CPU sends a
 * data access to an unmapped device page to the device (cpu/Mmu).
 */
public final class IdentityEpt {
    private IdentityEpt() {}

    /** Guest-physical addresses the identity covers: 2^36, what PAE paging can reach. */
    public static final long COVERED = 1L << 36;

    /** An identity EPT over memory's map (its devices as holes) in pool. */
    public static Ept build(HostPages pool, PhysicalMemory memory) {
        Ept ept = new Ept(pool, 39);
        ept.map(0, 0, COVERED, Ept.RWX);
        for (Region r : memory.regions()) {
            if (r.kind() != Region.Kind.MMIO || r.base() >= COVERED) continue;
            long first = r.base() & ~(Ept.PAGE_4K - 1);
            long end = Math.min(COVERED, (r.base() + r.size() + Ept.PAGE_4K - 1) & ~(Ept.PAGE_4K - 1));
            ept.unmap(first, end - first);
        }
        return ept;
    }
}
