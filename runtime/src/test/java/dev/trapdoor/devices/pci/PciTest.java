package dev.trapdoor.devices.pci;

import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.MachineControl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Configuration mechanism #1 as arch/x86/pci/direct.c and the generic PCI probe use it. */
class PciTest {
    private IoBus io;
    private PciBus bus;
    private Piix3IsaBridge isa;
    private final List<String> resets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        io = new IoBus();
        bus = new PciBus();
        bus.attach(0, 0, new I440fxHostBridge());
        isa = new Piix3IsaBridge();
        bus.attach(1, 0, isa);
        new PciHostBridge(bus, new MachineControl() {
            @Override
            public void requestShutdown(int status, String reason) { }

            @Override
            public void requestReset(String reason) { resets.add(reason); }
        }).mapOn(io);
    }

    private static int address(int devfn, int reg) {
        return 0x80000000 | devfn << 8 | (reg & 0xfc);
    }

    private int conf(int devfn, int reg, int size) {
        io.write(0xcf8, 4, address(devfn, reg));
        return io.read(0xcfc + (reg & 3), size);
    }

    private void confWrite(int devfn, int reg, int size, int v) {
        io.write(0xcf8, 4, address(devfn, reg));
        io.write(0xcfc + (reg & 3), size, v);
    }

    @Test
    void linuxPciCheckType1() {
        // pci_check_type1: outb(0x01, 0xcfb); save inl(0xcf8); outl(0x80000000); inl must echo.
        io.write(0xcfb, 1, 0x01);
        int saved = io.read(0xcf8, 4);
        io.write(0xcf8, 4, 0x80000000);
        assertEquals(0x80000000, io.read(0xcf8, 4));
        io.write(0xcf8, 4, saved);
        // pci_sanity_check: some devfn has class 0x0600 (host bridge) or an Intel vendor ID.
        boolean sane = false;
        for (int devfn = 0; devfn < 0x100 && !sane; devfn++) {
            sane = conf(devfn, 0x0a, 2) == 0x0600 || conf(devfn, 0x00, 2) == 0x8086;
        }
        assertTrue(sane);
    }

    @Test
    void addressRegisterKeepsOnlyDefinedBits() {
        io.write(0xcf8, 4, 0xffffffff);
        assertEquals(0x80fffffc, io.read(0xcf8, 4));
    }

    @Test
    void enumerationFindsTheHostBridgeAndTheMultiFunctionIsaBridge() {
        List<String> found = new ArrayList<>();
        for (int dev = 0; dev < 32; dev++) {
            int id = conf(dev << 3, 0, 4);
            if (id == 0xffffffff) continue;
            int header = conf(dev << 3, 0x0e, 1);
            int cls = conf(dev << 3, 0x08, 4) >>> 8;
            found.add(String.format("%02x.0 %08x %06x %02x", dev, id, cls, header));
            if ((header & 0x80) != 0) {
                for (int fn = 1; fn < 8; fn++) assertEquals(0xffffffff, conf(dev << 3 | fn, 0, 4));
            }
        }
        assertEquals(List.of("00.0 12378086 060000 00", "01.0 70008086 060100 80"), found);
    }

    @Test
    void byteAndWordAccessesReachTheRightOffsets() {
        assertEquals(0x86, conf(0, 0x00, 1));
        assertEquals(0x80, conf(0, 0x01, 1));
        assertEquals(0x1237, conf(0, 0x02, 2));
        assertEquals(0x12, conf(0, 0x03, 1));
        assertEquals(0x06, conf(8, 0x0b, 1));
        assertEquals(0x01, conf(8, 0x0a, 1));
    }

    @Test
    void unassignedFunctionsOtherBusesAndDisabledAccessesReadAllOnes() {
        assertEquals(0xffffffff, conf(5 << 3, 0, 4));
        assertEquals(0xffff, conf(5 << 3, 2, 2));
        io.write(0xcf8, 4, 0x80010000);             // bus 1
        assertEquals(0xffffffff, io.read(0xcfc, 4));
        io.write(0xcf8, 4, 0x00000000);             // enable bit clear
        assertEquals(0xffffffff, io.read(0xcfc, 4));
        io.write(0xcfc, 4, 0);                      // dropped
        assertEquals(0x12378086, conf(0, 0, 4));
    }

    @Test
    void readOnlyRegistersIgnoreWrites() {
        confWrite(0, 0x00, 4, 0);
        confWrite(0, 0x08, 4, 0);
        confWrite(0, 0x10, 4, 0xffffffff);           // no BARs on the host bridge
        assertEquals(0x12378086, conf(0, 0, 4));
        assertEquals(0x06000002, conf(0, 0x08, 4));
        assertEquals(0, conf(0, 0x10, 4));
        confWrite(0, 0x3c, 1, 0x0b);
        assertEquals(0x0b, conf(0, 0x3c, 1));
    }

    @Test
    void statusBitsAreWriteOneToClear() {
        PciConfigSpace c = bus.function(0).config();
        c.setStatusBits(0x2000);                      // received master abort
        assertEquals(0x2280, conf(0, 0x06, 2));
        confWrite(0, 0x06, 2, 0x0280);               // writing 0 there and to read-only bits
        assertEquals(0x2280, conf(0, 0x06, 2));
        confWrite(0, 0x06, 2, 0x2000);
        assertEquals(0x0280, conf(0, 0x06, 2));
    }

    @Test
    void barSizingByWritingAllOnes() {
        PciConfigSpace c = PciConfigSpace.type0(0x1af4, 0x1000, 0, 0x020000, false);
        c.defineBar(0, 0x20, PciConfigSpace.BarKind.IO);
        c.defineBar(1, 0x1000, PciConfigSpace.BarKind.MEMORY32);
        c.defineBar(2, 0x4000, PciConfigSpace.BarKind.MEMORY64_PREFETCHABLE);
        c.defineExpansionRom(0x40000);
        bus.attach(3, 0, () -> c);
        int devfn = 3 << 3;
        int[] expected = {0xffffffe1, 0xfffff000, 0xffffc00c, 0xffffffff};
        for (int i = 0; i < 4; i++) {
            confWrite(devfn, 0x10 + 4 * i, 4, 0xffffffff);
            assertEquals(expected[i], conf(devfn, 0x10 + 4 * i, 4), "BAR" + i);
        }
        confWrite(devfn, 0x30, 4, 0xffffffff);
        assertEquals(0xfffc0001, conf(devfn, 0x30, 4));
        confWrite(devfn, 0x10, 4, 0xc040);
        confWrite(devfn, 0x14, 4, 0xfebf1234);
        confWrite(devfn, 0x18, 4, 0xfe000000);
        confWrite(devfn, 0x1c, 4, 0x00000001);
        assertEquals(0xc040, c.barAddress(0));
        assertEquals(0xfebf1000L, c.barAddress(1));
        assertEquals(0x1_fe000000L, c.barAddress(2));
    }

    @Test
    void piix3PirqRouting() {
        assertEquals(-1, isa.pirqRoute(0));
        confWrite(8, 0x60, 4, 0x8b0a0b0b);
        assertEquals(11, isa.pirqRoute(0));
        assertEquals(11, isa.pirqRoute(1));
        assertEquals(10, isa.pirqRoute(2));
        assertEquals(-1, isa.pirqRoute(3));
        confWrite(8, 0x60, 1, 0xff);                 // reserved bits 6:4 stay clear
        assertEquals(0x8f, conf(8, 0x60, 1));
    }

    @Test
    void linuxRebootPciThroughResetControl() {
        // reboot=pci: cf9 = inb(0xcf9) & ~6; outb(cf9 | 2); udelay(50); outb(cf9 | 6).
        int cf9 = io.read(0xcf9, 1) & ~6;
        io.write(0xcf9, 1, cf9 | 2);
        assertTrue(resets.isEmpty());
        io.write(0xcf9, 1, cf9 | 6);
        assertEquals(1, resets.size());
    }

    @Test
    void wiringTwoFunctionsAtOneDevfnFails() {
        assertThrows(IllegalArgumentException.class, () -> bus.attach(0, 0, new I440fxHostBridge()));
        assertThrows(IllegalArgumentException.class, () -> bus.attach(32, 0, new I440fxHostBridge()));
    }
}
