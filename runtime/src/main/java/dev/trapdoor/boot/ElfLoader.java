package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;

/**
 * Loads an ELF32 i386 executable: each PT_LOAD at its physical address (p_paddr), the bss part
 * zeroed, entered in flat 32-bit protected mode with paging off at the physical entry.
 */
public final class ElfLoader {
    private ElfLoader() {}

    public static BootPlan load(PhysicalMemory memory, byte[] image) {
        Elf32Image elf = Elf32Image.parse(image, "ELF image");
        Staging staging = new Staging(memory);
        elf.stage(staging, image, "ELF image");
        staging.add("GDT", BootLayout.GDT, BootGdt.table());
        long entry = elf.physicalEntry();
        var regs = BootGdt.flat32(BootLayout.GDT, entry, BootLayout.STACK_TOP);
        return new BootPlan("elf32", BootPlan.Mode.FLAT32, entry, regs, staging.commit(), -1);
    }
}
