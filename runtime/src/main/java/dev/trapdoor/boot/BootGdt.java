package dev.trapdoor.boot;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;

/**
 * The flat GDT every 32-bit entry gets, laid out as the Linux 32-bit boot protocol asks
 * (Documentation/arch/x86/boot.rst, "32-bit Boot Protocol"): selector 0x10 (__BOOT_CS) a 4 GiB
 * execute/read code segment, 0x18 (__BOOT_DS) a 4 GiB read/write data segment. Multiboot and
 * plain ELF entries use the same table, so a guest that reloads a segment register from GDTR
 * finds what the hidden parts already hold.
 */
final class BootGdt {
    static final int CODE_SELECTOR = 0x10;
    static final int DATA_SELECTOR = 0x18;
    static final int SIZE = 4 * 8;

    // base 0, limit 0xfffff with G=1 and D/B=1; access 0x9b (code, accessed) / 0x93 (data, accessed).
    private static final long CODE_DESCRIPTOR = 0x00cf9b000000ffffL;
    private static final long DATA_DESCRIPTOR = 0x00cf93000000ffffL;
    // The 64-bit entry's code segment: L=1 and D=0 (a 64-bit code segment), G=1, access 0x9b.
    private static final long CODE64_DESCRIPTOR = 0x00af9b000000ffffL;

    private BootGdt() {}

    static byte[] table() {
        byte[] t = new byte[SIZE];
        ImageBytes.put64(t, CODE_SELECTOR, CODE_DESCRIPTOR);
        ImageBytes.put64(t, DATA_SELECTOR, DATA_DESCRIPTOR);
        return t;
    }

    /** The 64-bit boot protocol's table: __BOOT_CS a 64-bit code segment, __BOOT_DS flat data. */
    static byte[] table64() {
        byte[] t = new byte[SIZE];
        ImageBytes.put64(t, CODE_SELECTOR, CODE64_DESCRIPTOR);
        ImageBytes.put64(t, DATA_SELECTOR, DATA_DESCRIPTOR);
        return t;
    }

    /**
     * 64-bit mode as boot.rst's "64-bit Boot Protocol" asks: long mode active (CR0.PG, CR4.PAE,
     * EFER.LME and LMA), CR3 at an identity map, CS = __BOOT_CS with L=1, data segments flat,
     * interrupts off. The caller sets RSI (boot_params).
     */
    static X86Registers long64(long gdtBase, long rip, long rsp, long cr3) {
        X86Registers r = flat32(gdtBase, rip, rsp);
        Segment cs = r.seg[X86Registers.CS];
        cs.access = (cs.access & ~(1 << 14)) | (1 << 13); // L=1 requires D=0 (SDM Vol. 3A, 3.4.5)
        r.cr0 = 0x80000011L; // PG | ET | PE
        r.cr3 = cr3;
        r.cr4 = 0x20; // PAE
        r.efer = 0x500; // LME | LMA (MSR C000_0080h bits 8 and 10)
        return r;
    }

    /** Flat protected mode, paging and interrupts off, with GDTR at gdtBase; GPRs zero, ESP as given. */
    static X86Registers flat32(long gdtBase, long eip, long esp) {
        X86Registers r = X86Registers.realMode(0, 0);
        for (int i = 0; i < r.seg.length; i++) r.seg[i].flat32(DATA_SELECTOR, false);
        r.seg[X86Registers.CS].flat32(CODE_SELECTOR, true);
        r.gdtBase = gdtBase;
        r.gdtLimit = SIZE - 1;
        r.idtBase = 0;
        r.idtLimit = 0; // no IDT yet: a fault before the guest loads one is a clear triple fault
        r.cr0 = 0x11; // PE | ET, PG off
        r.eflags = 0x2; // IF clear
        r.eip = (int) eip;
        r.gpr[X86Registers.ESP] = (int) esp;
        return r;
    }
}
