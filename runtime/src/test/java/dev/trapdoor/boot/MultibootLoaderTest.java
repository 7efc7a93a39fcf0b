package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;

import static dev.trapdoor.boot.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class MultibootLoaderTest {
    static final long MB = 1 << 20;

    private static String cString(PhysicalMemory m, long at) {
        StringBuilder s = new StringBuilder();
        for (int c; (c = m.read8(at)) != 0; at++) s.append((char) c);
        return s.toString();
    }

    @Test
    void elfKernelGetsTheInfoStructure() {
        byte[] text = pattern(0x1800, 7);
        byte[] image = elf32(0x100000, multibootHeader(MultibootHeader.PAGE_ALIGN_MODULES | MultibootHeader.MEMORY_INFO),
                new Seg(0x100000, text, 0x3000));
        byte[] mod0 = pattern(5000, 1), mod1 = pattern(300, 2);
        try (PhysicalMemory m = ram(32 * MB)) {
            BootPlan p = new MultibootLoader().cmdline("kernel -v").module("initrd.img arg", mod0).module("second", mod1).load(m, image);
            X86Registers r = p.registers();
            assertEquals(0x2BADB002, r.gpr[X86Registers.EAX]);
            long info = r.gpr[X86Registers.EBX] & 0xffffffffL;
            assertEquals(0x100000, r.eip);
            assertEquals(0x10, r.seg[X86Registers.CS].selector);
            assertArrayEquals(text, m.readBytes(0x100000, text.length));

            int flags = m.read32(info);
            assertEquals(1 | 4 | 8 | 64 | 512, flags);
            assertEquals(639, m.read32(info + 4), "mem_lower in KiB");
            assertEquals(31 * 1024, m.read32(info + 8), "mem_upper in KiB");
            assertEquals("kernel -v", cString(m, m.read32(info + 16)));
            assertEquals("Trapdoor", cString(m, m.read32(info + 64)));

            assertEquals(2, m.read32(info + 20));
            long mods = m.read32(info + 24);
            long start0 = m.read32(mods), end0 = m.read32(mods + 4);
            assertEquals(0x103000, start0, "first module page-aligned above the kernel's bss");
            assertEquals(start0 + 5000, end0);
            assertArrayEquals(mod0, m.readBytes(start0, 5000));
            assertEquals("initrd.img arg", cString(m, m.read32(mods + 8)));
            long start1 = m.read32(mods + 16);
            assertEquals(0x105000, start1);
            assertArrayEquals(mod1, m.readBytes(start1, 300));
            assertEquals("second", cString(m, m.read32(mods + 24)));

            int mmapLen = m.read32(info + 44);
            long mmap = m.read32(info + 48);
            assertEquals(3 * 24, mmapLen);
            assertEquals(20, m.read32(mmap));
            assertEquals(0, m.read64(mmap + 4));
            assertEquals(0x9fc00, m.read64(mmap + 12));
            assertEquals(1, m.read32(mmap + 20));
            assertEquals(2, m.read32(mmap + 24 + 20), "the legacy area is reserved");
            assertEquals(0x100000, m.read64(mmap + 48 + 4));
            assertEquals(31 * MB, m.read64(mmap + 48 + 12));
            assertTrue(p.toString().contains("multiboot info"), p.toString());
        }
    }

    @Test
    void addressFieldsLoadAFlatKernel() {
        // an a.out-kludge kernel: the header at file offset 0 lands at 0x200000; code follows; bss to 0x204000
        byte[] header = multibootHeader(MultibootHeader.ADDRESS_FIELDS | MultibootHeader.MEMORY_INFO,
                0x200000, 0x200000, 0, 0x204000, 0x200020);
        byte[] image = new byte[0x1000];
        System.arraycopy(header, 0, image, 0, header.length);
        System.arraycopy(pattern(0x100, 3), 0, image, 0x20, 0x100);
        try (PhysicalMemory m = ram(8 * MB)) {
            m.write(0x201000, pattern(0x3000, 9)); // bss must come out zeroed
            BootPlan p = new MultibootLoader().load(m, image);
            assertEquals(0x200020, p.entry());
            assertArrayEquals(image, m.readBytes(0x200000, image.length));
            assertArrayEquals(new byte[0x3000], m.readBytes(0x201000, 0x3000));
            assertEquals(0, m.read32(m.read32(p.registers().gpr[X86Registers.EBX] + 16)) & 0xff, "empty command line");
        }
        // the header at offset 0x40 of a file whose first byte goes to 0x300000: load_addr 0x300000, header_addr 0x300040
        byte[] shifted = new byte[0x200];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x300040, 0x300000, 0x300100, 0, 0x300000), 0, shifted, 0x40, 32);
        try (PhysicalMemory m = ram(8 * MB)) {
            BootPlan p = new MultibootLoader().load(m, shifted);
            assertEquals(0x100, p.placement("kernel").memSize(), "load_end_addr bounds the load");
            assertArrayEquals(java.util.Arrays.copyOf(shifted, 0x100), m.readBytes(0x300000, 0x100));
        }
    }

    @Test
    void refusesWhatItCannotHonour() {
        expectBad(multibootHeader(MultibootHeader.VIDEO_MODE), "video mode");
        expectBad(multibootHeader(1 << 5), "flags 0x0020");
        expectBad(multibootHeader(0), "not ELF");
        expectBad(pattern(100, 1), "no header");
        byte[] beforeFile = new byte[64];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x100100, 0x100000, 0, 0, 0x100000), 0, beforeFile, 0, 32);
        expectBad(beforeFile, "before the file");
        byte[] pastFile = new byte[64];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x100000, 0x100000, 0x200000, 0, 0x100000), 0, pastFile, 0, 32);
        expectBad(pastFile, "truncated");
        byte[] badBss = new byte[64];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x100000, 0x100000, 0, 0x100010, 0x100000), 0, badBss, 0, 32);
        expectBad(badBss, "bss_end_addr");
        byte[] tooHigh = new byte[64];
        System.arraycopy(multibootHeader(MultibootHeader.ADDRESS_FIELDS, 0x7f00000, 0x7f00000, 0, 0, 0x7f00000), 0, tooHigh, 0, 32);
        expectBad(tooHigh, "does not fit in RAM");
    }

    private static void expectBad(byte[] image, String fragment) {
        try (PhysicalMemory m = ram(8 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> new MultibootLoader().load(m, image));
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention " + fragment);
            assertTrue(untouched(m));
        }
    }

    @Test
    void modulesAreCheckedAgainstRam() {
        byte[] image = elf32(0x100000, multibootHeader(0), new Seg(0x100000, pattern(16, 1), 16));
        try (PhysicalMemory m = ram(2 * MB)) {
            var loader = new MultibootLoader().module("big", new byte[(int) MB]);
            BadImageException e = assertThrows(BadImageException.class, () -> loader.load(m, image));
            assertTrue(e.getMessage().contains("module 0 big does not fit in RAM"), e.getMessage());
            assertTrue(untouched(m));
        }
    }
}
