package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Debian's i386 686 kernel, where scripts/guests/fetch.sh has put it (skipped otherwise). */
class RealKernelTest {
    static final long MB = 1 << 20;
    static Path kernel;

    @BeforeAll
    static void find() {
        kernel = TestImages.guestFile("bzImage-686");
    }

    private static LinuxBootLoader loader() throws Exception {
        assumeTrue(kernel != null, "build/guests/bzImage-686 is missing: run scripts/guests/fetch.sh");
        return LinuxBootLoader.of(kernel);
    }

    @Test
    void theSetupHeaderIsAModernRelocatableBzImage() throws Exception {
        SetupHeader h = loader().header();
        assertTrue(h.version() >= 0x020c, "6.1 speaks boot protocol 2.15, got " + h.versionString());
        assertTrue(h.relocatable());
        assertEquals(0x1000000, h.prefAddress(), "CONFIG_PHYSICAL_START");
        assertEquals(0x1000000, h.kernelAlignment());
        assertEquals(0x100000, h.code32Start());
        assertFalse(h.is64Bit());
        assertTrue(h.cmdlineSize() >= 255);
        assertTrue(h.initSize() > h.kernelBytes());
        assertEquals("xz", VmlinuxPayload.compression(Files.readAllBytes(kernel), (int) VmlinuxPayload.payloadStart(h)));
    }

    @Test
    void thePayloadIsAnElf32VmlinuxEnteredAt16MiB() throws Exception {
        LinuxBootLoader l = loader();
        long t0 = System.nanoTime();
        byte[] vmlinux = l.extractVmlinux();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        Elf32Image elf = Elf32Image.parse(vmlinux, "vmlinux");
        assertEquals(0x1000000, elf.physicalEntry());
        assertEquals(0x1000000, elf.entry(), "i386 vmlinux's e_entry is already physical");
        assertEquals(0x1000000, elf.lowestAddress());
        assertTrue(elf.highestAddress() - 0x1000000 > 8 * MB, "the 686 kernel is ~16 MB in memory");
        assertTrue(Files.isRegularFile(VmlinuxPayload.cachePath(kernel)));
        System.out.printf("vmlinux: %,d bytes, %d PT_LOAD, memory 0x%x-0x%x, extracted or read in %d ms%n",
                vmlinux.length, elf.loads().size(), elf.lowestAddress(), elf.highestAddress(), ms);
    }

    @Test
    void loadsBothWaysIn64MiB() throws Exception {
        Path busybox = TestImages.guestFile("busybox");
        byte[] initrd = busybox != null ? Initramfs.busybox(Files.readAllBytes(busybox)).toGzip() : new byte[4096];
        String cmdline = "console=ttyS0 panic=-1 acpi=off noapic nolapic pci=off nokaslr quiet";
        for (boolean direct : new boolean[]{false, true}) {
            try (PhysicalMemory m = TestImages.ram(64 * MB)) {
                BootPlan p = loader().cmdline(cmdline).initrd(initrd).vmlinux(direct).load(m);
                System.out.println(p);
                assertEquals(0x1000000, p.entry());
                X86Registers r = p.registers();
                assertEquals(BootLayout.ZERO_PAGE, r.gpr[X86Registers.ESI]);
                long zp = BootLayout.ZERO_PAGE;
                assertEquals(0x53726448, m.read32(zp + 0x202));
                long rd = m.read32(zp + 0x218) & 0xffffffffL;
                assertEquals(initrd.length, m.read32(zp + 0x21c));
                assertTrue(rd >= 0x1000000 + loader().header().initSize(), "initrd above the kernel's init_size");
                assertTrue(rd + initrd.length <= 64 * MB);
                assertArrayEquals(initrd, m.readBytes(rd, initrd.length));
                if (direct) {
                    Elf32Image elf = Elf32Image.parse(loader().extractVmlinux(), "vmlinux");
                    Elf32Image.Segment s = elf.loads().getFirst();
                    assertArrayEquals(java.util.Arrays.copyOfRange(loader().extractVmlinux(), (int) s.offset(), (int) s.offset() + 4096),
                            m.readBytes(s.paddr(), 4096));
                }
            }
        }
    }

    @Test
    void doesNotFitIn24MiB() throws Exception {
        try (PhysicalMemory m = TestImages.ram(24 * MB)) {
            LinuxBootLoader l = loader();
            BadImageException e = assertThrows(BadImageException.class, () -> l.load(m));
            assertTrue(e.getMessage().contains("does not fit in RAM"), e.getMessage());
            assertTrue(TestImages.untouched(m));
        }
    }
}
