package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;

import java.util.List;

/**
 * What a loader did and how to start the guest: the entry mode and address, the complete initial
 * register file (segments, GDTR, CR0, the protocol's registers such as ESI = boot_params for Linux
 * or EAX/EBX for multiboot), and every range it wrote, for printing.
 *
 * @param format     what was loaded ("bzImage", "vmlinux", "multiboot", "elf32", "flat")
 * @param mode       real mode, flat 32-bit protected mode with paging off, or 64-bit mode on an identity map
 * @param entry      the physical entry address (CS base + EIP)
 * @param registers  the initial register file; the caller copies it into vCPU 0
 * @param placements what went where, in address order
 * @param entry64    the 64-bit entry (startup_64) of a kernel that has one, else -1; the entry when mode is LONG64
 */
public record BootPlan(String format, Mode mode, long entry, X86Registers registers,
                       List<Placement> placements, long entry64) {

    public enum Mode {
        REAL, FLAT32, LONG64;

        String describe() {
            return switch (this) {
                case REAL -> "real mode";
                case FLAT32 -> "flat 32-bit, paging off";
                case LONG64 -> "64-bit mode, identity-mapped 4 GiB";
            };
        }
    }

    /** One range a loader wrote: memSize >= fileSize; the bytes past fileSize were zeroed. */
    public record Placement(String what, long address, long fileSize, long memSize) {
        public long end() { return address + memSize; }

        @Override
        public String toString() {
            String size = memSize == fileSize ? String.format("%,d bytes", memSize)
                    : String.format("%,d bytes (%,d from the file, rest zeroed)", memSize, fileSize);
            return String.format("%08x-%08x  %-22s %s", address, end() - 1, what, size);
        }
    }

    public BootPlan {
        placements = List.copyOf(placements);
    }

    public Placement placement(String what) {
        for (Placement p : placements) if (p.what().equals(what)) return p;
        return null;
    }

    /** A copy of the initial registers, so one plan can start several runs. */
    public X86Registers initialRegisters() {
        return registers.copy();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder();
        s.append(format).append(": ").append(mode.describe())
                .append(String.format(", entry %08x", entry));
        if (mode == Mode.REAL) s.append(String.format(" (%04x:%04x)", registers.seg[X86Registers.CS].selector, registers.eip));
        if (entry64 >= 0 && mode != Mode.LONG64) s.append(String.format(", 64-bit entry %08x (not used)", entry64));
        s.append('\n');
        for (Placement p : placements) s.append("  ").append(p).append('\n');
        s.append("  registers:");
        for (int i = 0; i < 8; i++) {
            if (registers.gpr[i] != 0 || i == X86Registers.ESP)
                s.append(String.format(" %s=%08x", X86Registers.GPR_NAMES[i], registers.gpr[i]));
        }
        s.append(String.format(" cs=%04x ds=%04x gdt=%08x/%x cr0=%x", registers.seg[X86Registers.CS].selector,
                registers.seg[X86Registers.DS].selector, registers.gdtBase, registers.gdtLimit, registers.cr0));
        if (mode == Mode.LONG64) s.append(String.format(" cr3=%x cr4=%x efer=%x", registers.cr3, registers.cr4, registers.efer));
        return s.toString();
    }
}
