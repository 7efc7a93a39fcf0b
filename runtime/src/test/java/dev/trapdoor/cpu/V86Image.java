package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;

/**
 * A virtual-8086 monitor guest, the same bytes for the interpreter and for KVM. Sources:
 * test resources dev/trapdoor/cpu/v86/monitor.S (as --32, linked at 0x1000) and v86prog.S
 * (.code16, linked at 0, loaded at 0x20000). The monitor (flat ring 0) loads the GDT, IDT and TR,
 * then IRETs to 2000:0000 in v86 mode with IOPL 0. Its #GP handler logs each trap (the 10-dword
 * frame and the DS/ES/FS/GS it found) and emulates CLI, STI, INT n (through the IVT at 0), IRET and
 * a denied OUT imm8; on HLT it halts at ring 0.
 * <p>Tables written here: GDT 0x5000 (0x08 ring-0 code, 0x10 ring-0 data, 0x18 TSS at 0x6000 with
 * SS0:ESP0 = 0x10:0x8000 and an I/O bitmap at +0x68 that allows port 0x80 only), IDT 0x5800
 * (vector 13 an interrupt gate to gp_handler, the other 31 exceptions to "unexpected", which stores
 * 0xdead at {@link #BAD} and halts), IVT entry 0x21 = 2000:0100.
 */
final class V86Image {
    static final String MONITOR = "0f0115f05f00000f011df85f0000ea15100000080066b810008ed88ec08ed08ee08ee8bc0090000066b818000f00d868002400006800"
            + "23000068002100006800220000680030000068f0ff0000680200020068002000006a00cf505351565736a1f06f0000c1e006368c9828"
            + "700000368c802c700000368ca030700000368ca834700000668cd38edb8ec38db8007000008d742414b90a000000fcf3a5ff05f06f00"
            + "000fb75c241cc1e3040fb744241801c30fb6033cfa74213cfb742e3ccd74563ccf0f849a0000003ce6742f3cf40f84d3000000e9d100"
            + "0000c705f46f000000000000b801000000eb1fc705f46f000001000000b801000000eb0e0fb64301a3f86f0000b80200000001442418"
            + "5f5e595b5883c404cf0fb64b010fb77c2428c1e7040fb744242483e806668944242401c78b44241883c0026689078b44241c66894702"
            + "8b442420668947048b048d000000000fb7d089542418c1e8108944241cebab0fb77c2428c1e7040fb744242401c783c0066689442424"
            + "0fb70f894c24180fb74f02894c241c0fb74f0481e1d50c00008b54242081e22af3ffff09ca89542420e966fffffff4ebfd36c705fc6f"
            + "0000adde0000f4ebf2";
    static final String PROGRAM = "8cd883c0108ec026c706000034128b1e0001891e0000ea1b01f01f8cc8a30200fafbcd21890e0400b055e680e681c606060066f4";
    static final String INT21 = "b92143cf";

    static final int GP_HANDLER = 0x105a, UNEXPECTED = 0x11ab, DO_HLT = 0x11a8;
    static final int LOG = 0x7000, COUNT = 0x6ff0, VIF = 0x6ff4, PORT = 0x6ff8, BAD = 0x6ffc;
    static final int GDT = 0x5000, IDT = 0x5800, TSS = 0x6000, TSS_LIMIT = 0x88;
    /** v86 program offsets (CS 0x2000 until the far jump at 0x16, then CS 0x1ff0 with offsets + 0x100). */
    static final int CLI = 0x20, STI = 0x21, INT = 0x22, OUT_80 = 0x2a, OUT_81 = 0x2c, HLT = 0x33;
    /** Free v86 code space for further scenarios: 2000:0200 (linear 0x20200). */
    static final int SCRATCH = 0x200;

    private V86Image() {
    }

    static void load(PhysicalMemory m) {
        m.write(0x1000, Guest.hex(MONITOR));
        m.write(0x20000, Guest.hex(PROGRAM));
        m.write(0x20100, Guest.hex(INT21));
        long[] gdt = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, tss(TSS, TSS_LIMIT)};
        for (int i = 0; i < gdt.length; i++) m.write64(GDT + 8L * i, gdt[i]);
        m.write16(0x5ff0, 0x7f);
        m.write32(0x5ff2, GDT);
        m.write16(0x5ff8, 0x7ff);
        m.write32(0x5ffa, IDT);
        for (int v = 0; v < 32; v++) m.write64(IDT + 8L * v, gate(0x08, v == 13 ? GP_HANDLER : UNEXPECTED, 0xe, 0));
        m.write32(TSS + 4, 0x8000);
        m.write16(TSS + 8, 0x10);
        m.write16(TSS + 0x66, 0x68);
        for (int b = 0x68; b <= TSS_LIMIT; b++) m.write8(TSS + b, 0xff);
        m.write8(TSS + 0x68 + 0x80 / 8, 0xfe); // port 0x80 allowed
        m.write32(0x21 * 4, 0x2000_0100);      // IVT: INT 21h -> 2000:0100
    }

    /** An available 32-bit TSS descriptor. */
    static long tss(int base, int limit) {
        return (long) (base & 0xff000000 | 0x8900 | (base >>> 16) & 0xff) << 32 | (base & 0xffffL) << 16 | limit;
    }

    /** An IDT gate: type 0xe/0xf (32-bit interrupt/trap), 6/7 (16-bit), 5 (task); present. */
    static long gate(int sel, int offset, int type, int dpl) {
        long hi = (offset & 0xffff0000L) | 0x8000 | (dpl << 13) | (type << 8);
        return hi << 32 | (long) (sel & 0xffff) << 16 | (offset & 0xffff);
    }
}
