package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;

/** Loads raw bytes at an address and enters them in real mode or in flat 32-bit protected mode. */
public final class FlatLoader {
    private FlatLoader() {}

    /**
     * Real-mode entry at cs:ip (e.g. a boot sector: bytes at 0x7c00, entry 0000:7c00). The image
     * goes at address, which need not be cs*16+ip.
     */
    public static BootPlan loadReal(PhysicalMemory memory, byte[] image, long address, int cs, int ip) {
        if ((cs & ~0xffff) != 0 || (ip & ~0xffff) != 0)
            throw BadImageException.of("real-mode entry %x:%x does not fit 16-bit CS:IP", cs, ip);
        Staging staging = new Staging(memory);
        staging.add("image", address, image);
        X86Registers regs = X86Registers.realMode(cs, ip);
        return new BootPlan("flat", BootPlan.Mode.REAL, ((long) cs << 4) + ip, regs, staging.commit(), -1);
    }

    /** Flat 32-bit protected-mode entry at entry, paging off, CS=0x10, data segments 0x18. */
    public static BootPlan loadFlat32(PhysicalMemory memory, byte[] image, long address, long entry) {
        if (entry < 0 || entry > 0xffffffffL) throw BadImageException.of("entry 0x%x is not a 32-bit address", entry);
        Staging staging = new Staging(memory);
        staging.add("image", address, image);
        staging.add("GDT", BootLayout.GDT, BootGdt.table());
        var regs = BootGdt.flat32(BootLayout.GDT, entry, BootLayout.STACK_TOP);
        return new BootPlan("flat", BootPlan.Mode.FLAT32, entry, regs, staging.commit(), -1);
    }
}
