package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;

import static dev.trapdoor.boot.TestImages.*;
import static org.junit.jupiter.api.Assertions.*;

class LinuxBootLoaderTest {
    static final long MB = 1 << 20;
    static final long ZP = BootLayout.ZERO_PAGE;

    @Test
    void parsesTheSetupHeader() {
        BzImage b = new BzImage();
        b.setupSects = 0; // 0 means 4
        SetupHeader h = SetupHeader.parse(b.build());
        assertEquals(4, h.setupSects());
        assertEquals(0x020f, h.version());
        assertEquals("2.15", h.versionString());
        assertEquals(5 * 512, h.setupBytes());
        assertEquals(0x3000, h.kernelBytes());
        assertEquals(0x100000, h.code32Start());
        assertEquals(0x7fffffffL, h.initrdAddrMax());
        assertEquals(0x200000, h.kernelAlignment());
        assertTrue(h.relocatable());
        assertEquals(21, h.minAlignment());
        assertEquals(2047, h.cmdlineSize());
        assertEquals(0x1000000, h.prefAddress());
        assertEquals(0x400000, h.initSize());
        assertEquals(0x26c, h.headerEnd());
        assertFalse(h.is64Bit());
    }

    @Test
    void buildsTheZeroPageAndEntersThe32BitProtocol() {
        BzImage b = new BzImage();
        byte[] img = b.build();
        byte[] initrd = pattern(10_000, 3);
        try (PhysicalMemory m = ram(64 * MB)) {
            BootPlan plan = new LinuxBootLoader(img).cmdline("console=ttyS0 panic=-1").initrd(initrd).load(m);

            // relocatable and fits: loaded at pref_address
            assertEquals("bzImage", plan.format());
            assertEquals(BootPlan.Mode.FLAT32, plan.mode());
            assertEquals(0x1000000, plan.entry());
            assertArrayEquals(b.kernel, m.readBytes(0x1000000, b.kernel.length));

            // the copied setup header, then the loader's fields
            assertArrayEquals(Arrays.copyOfRange(img, 0x1f1, 0x26c), copyHeaderWithoutLoaderFields(m.readBytes(ZP + 0x1f1, 0x26c - 0x1f1), img));
            assertEquals(0xAA55, m.read16(ZP + 0x1fe));
            assertEquals(0x53726448, m.read32(ZP + 0x202));
            assertEquals(0xff, m.read8(ZP + 0x210), "type_of_loader");
            assertEquals(0x81, m.read8(ZP + 0x211), "loadflags: LOADED_HIGH | CAN_USE_HEAP");
            assertEquals(0x1000000, m.read32(ZP + 0x214), "code32_start follows the load address");
            assertEquals(0xfe00, m.read16(ZP + 0x224), "heap_end_ptr");
            assertEquals(0, m.read8(ZP + 0x1ef), "sentinel");
            assertEquals(0, m.read8(ZP + 0x0f), "orig_video_isVGA");

            int cmdPtr = m.read32(ZP + 0x228);
            assertEquals("console=ttyS0 panic=-1", new String(m.readBytes(cmdPtr, 22), StandardCharsets.US_ASCII));
            assertEquals(0, m.read8(cmdPtr + 22));

            // initrd: page-aligned, as high as possible in 64 MiB, whole
            long rd = m.read32(ZP + 0x218) & 0xffffffffL;
            assertEquals(10_000, m.read32(ZP + 0x21c));
            assertEquals(0, rd & 0xfff);
            assertEquals((64 * MB - 10_000) & -4096L, rd);
            assertArrayEquals(initrd, m.readBytes(rd, initrd.length));

            // e820: low RAM, the legacy hole reserved, RAM from 1 MiB
            assertEquals(3, m.read8(ZP + 0x1e8));
            assertE820(m, 0, 0, 0x9fc00, 1);
            assertE820(m, 1, 0x9fc00, 0x100000 - 0x9fc00, 2);
            assertE820(m, 2, 0x100000, 63 * MB, 1);
            assertEquals(63 * 1024, m.read16(ZP + 0x002), "ext_mem_k");
            assertEquals(63 * 1024, m.read32(ZP + 0x1e0), "alt_mem_k");

            // boot.rst 32-bit protocol: __BOOT_CS 0x10, __BOOT_DS 0x18, flat, ESI = boot_params, EBP/EDI/EBX = 0
            X86Registers r = plan.initialRegisters();
            assertEquals(ZP, r.gpr[X86Registers.ESI]);
            assertEquals(0, r.gpr[X86Registers.EBX]);
            assertEquals(0, r.gpr[X86Registers.EBP]);
            assertEquals(0, r.gpr[X86Registers.EDI]);
            assertEquals(0x10, r.seg[X86Registers.CS].selector);
            for (int s : new int[]{X86Registers.DS, X86Registers.ES, X86Registers.SS}) {
                assertEquals(0x18, r.seg[s].selector);
                assertEquals(0xffffffffL, r.seg[s].limit);
            }
            assertEquals(0x1000000, r.eip);
            assertEquals(0, r.eflags & 0x200, "interrupts off");
            assertEquals(1, r.cr0 & 1);
            assertEquals(0, r.cr0 & 0x80000000L, "paging off");
            assertEquals(0x00cf9b000000ffffL, m.read64(r.gdtBase + 0x10));
            assertEquals(0x00cf93000000ffffL, m.read64(r.gdtBase + 0x18));
            assertEquals(0x1f, r.gdtLimit);
            assertEquals(-1, plan.entry64());
            assertNotNull(plan.placement("initrd"));
            assertTrue(plan.toString().contains("boot_params"), plan.toString());
        }
    }

    private static byte[] copyHeaderWithoutLoaderFields(byte[] inMemory, byte[] img) {
        // undo the fields the loader writes, so the rest must equal the image's header
        byte[] r = inMemory.clone();
        for (int off : new int[]{0x210, 0x211, 0x214, 0x215, 0x216, 0x217, 0x218, 0x219, 0x21a, 0x21b, 0x21c, 0x21d, 0x21e, 0x21f,
                0x224, 0x225, 0x228, 0x229, 0x22a, 0x22b})
            r[off - 0x1f1] = img[off];
        return r;
    }

    private static void assertE820(PhysicalMemory m, int i, long base, long len, int type) {
        long o = ZP + 0x2d0 + 20L * i;
        assertEquals(base, m.read64(o), "e820[" + i + "].addr");
        assertEquals(len, m.read64(o + 8), "e820[" + i + "].size");
        assertEquals(type, m.read32(o + 16), "e820[" + i + "].type");
    }

    @Test
    void loadsAt1MiBWhenNotRelocatableOrPrefDoesNotFit() {
        BzImage b = new BzImage();
        b.relocatable = false;
        try (PhysicalMemory m = ram(64 * MB)) {
            assertEquals(0x100000, new LinuxBootLoader(b.build()).load(m).entry());
        }
        BzImage big = new BzImage();
        big.initSize = 0x1000000; // pref 16 MiB + 16 MiB > 24 MiB of RAM; at 1 MiB it still runs up to 0x2000000... too
        try (PhysicalMemory m = ram(40 * MB)) {
            BootPlan p = new LinuxBootLoader(big.build()).load(m);
            assertEquals(0x1000000, p.entry(), "fits at pref in 40 MiB");
        }
        try (PhysicalMemory m = ram(20 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(big.build()).load(m));
            assertTrue(e.getMessage().contains("does not fit in RAM"), e.getMessage());
            assertTrue(untouched(m));
        }
        BzImage low = new BzImage();
        low.prefAddress = 0x1000000;
        low.initSize = 0x200000;
        try (PhysicalMemory m = ram(12 * MB)) { // pref 16 MiB is beyond RAM: back to 1 MiB; the decompressor runs at pref... needs RAM there
            assertThrows(BadImageException.class, () -> new LinuxBootLoader(low.build()).load(m));
        }
        low.relocatable = false;
        try (PhysicalMemory m = ram(12 * MB)) {
            assertEquals(0x100000, new LinuxBootLoader(low.build()).load(m).entry());
        }
    }

    @Test
    void e820AndMemorySizesFollowTheMemoryMap() {
        try (PhysicalMemory m = ram(128 * MB)) {
            m.addRom("bios", 0xfffc0000L, new byte[0x40000]);
            new LinuxBootLoader(new BzImage().build()).load(m);
            assertEquals(4, m.read8(ZP + 0x1e8));
            assertE820(m, 2, 0x100000, 127 * MB, 1);
            assertE820(m, 3, 0xfffc0000L, 0x40000, 2);
            assertEquals(0xffff, m.read16(ZP + 0x002), "ext_mem_k saturates at 64 MiB");
            assertEquals(127 * 1024, m.read32(ZP + 0x1e0), "alt_mem_k");
        }
    }

    @Test
    void recordsThe64BitEntry() {
        BzImage b = new BzImage();
        b.xloadflags = SetupHeader.XLF_KERNEL_64;
        try (PhysicalMemory m = ram(64 * MB)) {
            BootPlan p = new LinuxBootLoader(b.build()).load(m);
            assertEquals(0x1000200, p.entry64());
            assertEquals(0x1000000, p.entry(), "the 32-bit entry is still the one used");
        }
    }

    @Test
    void entersAnX8664KernelAtStartup64InLongMode() {
        BzImage b = new BzImage();
        b.xloadflags = SetupHeader.XLF_KERNEL_64;
        try (PhysicalMemory m = ram(64 * MB)) {
            BootPlan p = new LinuxBootLoader(b.build()).entry64(true).load(m);
            assertEquals(BootPlan.Mode.LONG64, p.mode());
            assertEquals(0x1000200, p.entry());
            X86Registers r = p.registers();
            assertEquals(0x1000200, r.eip);
            assertEquals(ZP, r.gpr[X86Registers.ESI] & 0xffffffffL);
            assertEquals(0x500, r.efer, "EFER.LME | EFER.LMA");
            assertEquals(0x20, r.cr4 & 0x20, "CR4.PAE");
            assertEquals(0x80000001L, r.cr0 & 0x80000001L, "CR0.PG | CR0.PE");
            var cs = r.seg[X86Registers.CS];
            assertEquals(0x10, cs.selector);
            assertEquals(1, (cs.access >>> 13) & 1, "CS.L");
            assertEquals(0, (cs.access >>> 14) & 1, "CS.D must be 0 with L=1");
            assertEquals(0x00af9b000000ffffL, m.read64(r.gdtBase + 0x10));
            assertEquals(0x00cf93000000ffffL, m.read64(r.gdtBase + 0x18));
            for (long la : new long[]{0, ZP, 0x1000200, 0x3fffffff, 0xfee00000L, 0xffffffffL})
                assertEquals(la, walk4Level(m, r.cr3, la), String.format("identity map at %x", la));
            assertTrue(p.toString().contains("64-bit mode"), p.toString());
        }
    }

    /** A 4-level walk of the loader's tables (SDM Vol. 3A, 4.5), 2 MiB pages expected at the PD. */
    private static long walk4Level(PhysicalMemory m, long cr3, long la) {
        long pml4e = m.read64((cr3 & ~0xfffL) + ((la >>> 39) & 511) * 8);
        assertEquals(3, pml4e & 3);
        long pdpte = m.read64((pml4e & 0xffffffffff000L) + ((la >>> 30) & 511) * 8);
        assertEquals(3, pdpte & 3);
        long pde = m.read64((pdpte & 0xffffffffff000L) + ((la >>> 21) & 511) * 8);
        assertEquals(0x83, pde & 0x83, "present, writable, 2 MiB");
        return (pde & 0xfffffffe00000L) | (la & 0x1fffff);
    }

    @Test
    void refusesThe64BitEntryForA32BitKernelOrTheVmlinuxPath() {
        try (PhysicalMemory m = ram(64 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(new BzImage().build()).entry64(true).load(m));
            assertTrue(e.getMessage().contains("32-bit"), e.getMessage());
            BzImage b = new BzImage();
            b.xloadflags = SetupHeader.XLF_KERNEL_64;
            e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(b.build()).entry64(true).vmlinux(true).load(m));
            assertTrue(e.getMessage().contains("vmlinux"), e.getMessage());
            assertTrue(untouched(m));
        }
    }

    @Test
    void initrdStaysBelowInitrdAddrMaxAndClearOfTheKernel() {
        BzImage b = new BzImage();
        b.initrdAddrMax = 0x27fffff; // 40 MiB - 1
        try (PhysicalMemory m = ram(64 * MB)) {
            new LinuxBootLoader(b.build()).initrd(pattern(5000, 9)).load(m);
            long rd = m.read32(ZP + 0x218) & 0xffffffffL;
            assertEquals((0x2800000 - 5000) & -4096L, rd);
            assertTrue(rd + 5000 <= 0x2800000);
        }
        // the kernel at 16 MiB takes 16..20 MiB (init_size 4 MiB); RAM is 20 MiB + 8 KiB: the initrd goes below the kernel
        try (PhysicalMemory m = ram(20 * MB + 8192)) {
            new LinuxBootLoader(b.build()).initrd(pattern(12_000, 9)).load(m);
            long rd = m.read32(ZP + 0x218) & 0xffffffffL;
            assertEquals((0x1000000 - 12_000) & -4096L, rd);
        }
        try (PhysicalMemory m = ram(20 * MB)) {
            BadImageException e = assertThrows(BadImageException.class,
                    () -> new LinuxBootLoader(b.build()).initrd(new byte[15 * (int) MB + 1]).load(m));
            assertTrue(e.getMessage().startsWith("the initrd"), e.getMessage());
            assertTrue(untouched(m));
        }
    }

    @Test
    void refusesBadImagesWithOneSentenceAndWritesNothing() {
        BzImage ok = new BzImage();
        byte[] good = ok.build();

        byte[] flag = good.clone();
        flag[0x1fe] = 0;
        expectBad(flag, "boot_flag");

        byte[] hdrs = good.clone();
        hdrs[0x203] = 'X';
        expectBad(hdrs, "HdrS");

        BzImage old = new BzImage();
        old.version = 0x0205;
        expectBad(old.build(), "2.05 is too old");

        expectBad(Arrays.copyOf(good, 0x200), "truncated");

        BzImage lying = new BzImage();
        lying.syssizeOverride = 0x10000; // claims 1 MiB of protected-mode kernel
        expectBad(lying.build(), "truncated bzImage");

        BzImage zimage = new BzImage();
        zimage.loadflags = 0;
        expectBad(zimage.build(), "zImage");

        BzImage badPayload = new BzImage();
        badPayload.payload = new byte[64];
        byte[] bp = badPayload.build();
        ImageBytes.put32(bp, 0x24c, 0x100000); // payload_length past the kernel
        expectBad(bp, "payload");

        BzImage longCmd = new BzImage();
        longCmd.cmdlineSize = 10;
        try (PhysicalMemory m = ram(64 * MB)) {
            BadImageException e = assertThrows(BadImageException.class,
                    () -> new LinuxBootLoader(longCmd.build()).cmdline("console=ttyS0").load(m));
            assertTrue(e.getMessage().contains("cmdline_size"), e.getMessage());
            assertTrue(untouched(m));
        }
    }

    private static void expectBad(byte[] image, String fragment) {
        try (PhysicalMemory m = ram(64 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(image).load(m));
            assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention " + fragment);
            assertFalse(e.getMessage().contains("\n"));
            assertTrue(untouched(m));
        }
    }

    static byte[] fakeVmlinux() {
        // linked at 0xc1000000, loaded at 0x1000000 (as i386 kernels are), e_entry already physical
        return elf32(0x1000000,
                new Seg(0xc1000000L, 0x1000000, pattern(0x2345, 5), 0x2345),
                new Seg(0xc1004000L, 0x1004000, pattern(0x800, 6), 0x6000));
    }

    @Test
    void vmlinuxFastPathLoadsTheElfFromAnXzPayload() {
        byte[] elf = fakeVmlinux();
        BzImage b = new BzImage().payloadXz(elf);
        LinuxBootLoader l = new LinuxBootLoader(b.build());
        assertArrayEquals(elf, l.extractVmlinux());
        try (PhysicalMemory m = ram(64 * MB)) {
            m.write(0x1004800, new byte[]{1, 2, 3}); // bss must come out zeroed
            BootPlan p = l.cmdline("quiet").initrd(pattern(100, 1)).vmlinux(true).load(m);
            assertEquals("vmlinux", p.format());
            assertEquals(0x1000000, p.entry());
            assertArrayEquals(pattern(0x2345, 5), m.readBytes(0x1000000, 0x2345));
            assertArrayEquals(pattern(0x800, 6), m.readBytes(0x1004000, 0x800));
            assertArrayEquals(new byte[0x5800], m.readBytes(0x1004800, 0x5800));
            assertEquals(ZP, p.registers().gpr[X86Registers.ESI]);
            assertEquals(0x81, m.read8(ZP + 0x211));
            assertEquals("quiet", new String(m.readBytes(m.read32(ZP + 0x228), 5), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void vmlinuxFromAGzipPayloadAndPhysicalEntryFromAVirtualOne() {
        byte[] elf = elf32(0xc1000010L, new Seg(0xc1000000L, 0x1000000, pattern(0x100, 2), 0x100));
        LinuxBootLoader l = new LinuxBootLoader(new BzImage().payloadGzip(elf).build()).vmlinux(true);
        try (PhysicalMemory m = ram(64 * MB)) {
            assertEquals(0x1000010, l.load(m).entry());
        }
    }

    @Test
    void corruptOrMislabelledPayloadsAreRefused() {
        byte[] elf = fakeVmlinux();
        BzImage b = new BzImage().payloadXz(elf);
        b.payload[40] ^= 0x55;
        try (PhysicalMemory m = ram(64 * MB)) {
            BadImageException e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(b.build()).vmlinux(true).load(m));
            assertTrue(e.getMessage().contains("payload"), e.getMessage());
            assertTrue(untouched(m));
        }
        BzImage lies = new BzImage().payloadXz(elf);
        ImageBytes.put32(lies.payload, lies.payload.length - 4, elf.length - 1);
        BadImageException e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(lies.build()).extractVmlinux());
        assertTrue(e.getMessage().contains("more than the declared"), e.getMessage());

        BzImage zstd = new BzImage();
        zstd.payload = withSize(new byte[]{0x28, (byte) 0xb5, 0x2f, (byte) 0xfd, 0, 0, 0, 0}, 100);
        e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(zstd.build()).extractVmlinux());
        assertTrue(e.getMessage().contains("zstd"), e.getMessage());

        BzImage noPayload = new BzImage();
        e = assertThrows(BadImageException.class, () -> new LinuxBootLoader(noPayload.build()).extractVmlinux());
        assertTrue(e.getMessage().contains("no payload"), e.getMessage());
    }

    @Test
    void theExtractedVmlinuxIsCachedNextToTheImage(@TempDir Path dir) throws Exception {
        byte[] elf = fakeVmlinux();
        Path img = dir.resolve("bzImage");
        Files.write(img, new BzImage().payloadXz(elf).build());
        Path cache = dir.resolve("bzImage.vmlinux");

        assertArrayEquals(elf, LinuxBootLoader.of(img).extractVmlinux());
        assertArrayEquals(elf, Files.readAllBytes(cache));

        // a cache of the right size and age is used as is: plant a marker in it to see that
        byte[] marked = elf.clone();
        marked[elf.length - 1] ^= 1;
        Files.write(cache, marked);
        Files.setLastModifiedTime(img, FileTime.fromMillis(1000));
        assertArrayEquals(marked, LinuxBootLoader.of(img).extractVmlinux());

        // an image newer than the cache is extracted again
        Files.setLastModifiedTime(cache, FileTime.fromMillis(1000));
        Files.setLastModifiedTime(img, FileTime.fromMillis(5000));
        assertArrayEquals(elf, LinuxBootLoader.of(img).extractVmlinux());
        assertArrayEquals(elf, Files.readAllBytes(cache));
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left behind");
        }
    }
}
