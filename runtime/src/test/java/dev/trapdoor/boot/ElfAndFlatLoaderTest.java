package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static dev.trapdoor.boot.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class ElfAndFlatLoaderTest {
    static final long MB = 1 << 20;

    @Test
    void loadsSegmentsByPhysicalAddressAndZeroesTheBss() {
        byte[] text = pattern(0x1234, 1), data = pattern(0x300, 2);
        byte[] elf = elf32(0x100010,
                new Seg(0x100000, text, 0x1234),
                new Seg(0x200000, data, 0x2000));
        try (PhysicalMemory m = ram(4 * MB)) {
            byte[] junk = new byte[0x2000];
            Arrays.fill(junk, (byte) 0xaa);
            m.write(0x200000, junk);
            BootPlan p = ElfLoader.load(m, elf);
            assertEquals(0x100010, p.entry());
            assertArrayEquals(text, m.readBytes(0x100000, text.length));
            assertArrayEquals(data, m.readBytes(0x200000, data.length));
            assertArrayEquals(new byte[0x2000 - 0x300], m.readBytes(0x200300, 0x2000 - 0x300));
            X86Registers r = p.registers();
            assertEquals(0x100010, r.eip);
            assertEquals(0x10, r.seg[X86Registers.CS].selector);
            assertEquals(0x18, r.seg[X86Registers.SS].selector);
            assertEquals(0x00cf9b000000ffffL, m.read64(r.gdtBase + 0x10));
            assertEquals(0x2000, p.placement("ELF image segment 1").memSize());
        }
    }

    @Test
    void aVirtualEntryBecomesPhysical() {
        byte[] elf = elf32(0xc0100020L, new Seg(0xc0100000L, 0x100000, pattern(64, 1), 64));
        try (PhysicalMemory m = ram(4 * MB)) {
            assertEquals(0x100020, ElfLoader.load(m, elf).entry());
        }
    }

    @Test
    void refusesBadElfFiles() {
        byte[] good = elf32(0x100000, new Seg(0x100000, pattern(0x100, 1), 0x100));

        byte[] magic = good.clone();
        magic[1] = 'X';
        expectBad(magic, "magic");

        byte[] elf64 = good.clone();
        elf64[4] = 2;
        expectBad(elf64, "ELF32");

        byte[] arm = good.clone();
        ImageBytes.put16(arm, 18, 40);
        expectBad(arm, "i386");

        byte[] dyn = good.clone();
        ImageBytes.put16(dyn, 16, 3);
        expectBad(dyn, "ET_EXEC");

        expectBad(Arrays.copyOf(good, good.length - 1), "out of the");
        expectBad(Arrays.copyOf(good, 40), "truncated");

        byte[] phTable = good.clone();
        ImageBytes.put32(phTable, 28, 0xfffffff0L);
        expectBad(phTable, "program header table");

        byte[] fileBigger = good.clone();
        ImageBytes.put32(fileBigger, 52 + 20, 0x10); // p_memsz < p_filesz
        expectBad(fileBigger, "p_filesz");

        expectBad(elf32(0x100000, new Seg(0x3ff000, pattern(0x100, 1), 0x2000)), "does not fit in RAM");
        expectBad(elf32(0x100000, new Seg(0x100000, pattern(0x100, 1), 0x1000), new Seg(0x100800, pattern(8, 1), 8)), "overlaps");
        expectBad(elf32(0x100000, new Seg(0x400, pattern(0x200, 1), 0x200)), "overlaps"); // over the loader's GDT at 0x500
        expectBad(elf32(0x100000, new Seg(0xfffff000L, pattern(8, 1), 0x2000)), "past 4 GiB");
    }

    private static void expectBad(byte[] image, String fragment) {
        try (PhysicalMemory m = ram(4 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> ElfLoader.load(m, image));
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention " + fragment);
            assertTrue(untouched(m));
        }
    }

    @Test
    void flatImagesInRealModeAndFlat32() {
        byte[] sector = pattern(512, 4);
        try (PhysicalMemory m = ram(1 * MB)) {
            BootPlan p = FlatLoader.loadReal(m, sector, 0x7c00, 0, 0x7c00);
            assertEquals(BootPlan.Mode.REAL, p.mode());
            assertEquals(0x7c00, p.entry());
            assertArrayEquals(sector, m.readBytes(0x7c00, 512));
            assertEquals(0, p.registers().cr0 & 1);
            assertEquals(0x7c00, p.registers().eip);
        }
        try (PhysicalMemory m = ram(1 * MB)) {
            BootPlan p = FlatLoader.loadReal(m, sector, 0x10000, 0x1000, 0);
            assertEquals(0x10000, p.entry());
            assertEquals(0x1000, p.registers().seg[X86Registers.CS].selector);
            assertEquals(0x10000, p.registers().seg[X86Registers.CS].base);
        }
        try (PhysicalMemory m = ram(2 * MB)) {
            BootPlan p = FlatLoader.loadFlat32(m, sector, 0x100000, 0x100004);
            assertEquals(BootPlan.Mode.FLAT32, p.mode());
            assertEquals(0x100004, p.registers().eip);
            assertEquals(1, p.registers().cr0 & 1);
        }
        try (PhysicalMemory m = ram(1 * MB)) {
            assertThrows(BadImageException.class, () -> FlatLoader.loadReal(m, sector, 0xfff00, 0xf000, 0xff00));
            assertThrows(BadImageException.class, () -> FlatLoader.loadReal(m, sector, 0x7c00, 0x10000, 0));
            assertTrue(untouched(m));
        }
    }

    @Test
    void probeTellsTheFormats() {
        assertEquals(ImageProbe.Format.BZIMAGE, ImageProbe.detect(new BzImage().build()));
        byte[] mb = elf32(0x100000, multibootHeader(0), new Seg(0x100000, pattern(16, 1), 16));
        assertEquals(ImageProbe.Format.MULTIBOOT, ImageProbe.detect(mb));
        assertEquals(ImageProbe.Format.ELF, ImageProbe.detect(elf32(0x100000, new Seg(0x100000, pattern(16, 1), 16))));
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(pattern(1000, 3)));
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(new byte[0]));
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(new byte[]{0x7f, 'E', 'L'}));

        byte[] badSum = multibootHeader(0);
        badSum[8] ^= 1;
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(badSum), "a wrong checksum is no multiboot header");
        byte[] late = new byte[8192 + 12];
        System.arraycopy(multibootHeader(0), 0, late, 8192, 12);
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(late), "the header must lie in the first 8 KiB");
        byte[] unaligned = new byte[64];
        System.arraycopy(multibootHeader(0), 0, unaligned, 2, 12);
        assertEquals(ImageProbe.Format.FLAT, ImageProbe.detect(unaligned), "the header must be 32-bit aligned");
    }
}
