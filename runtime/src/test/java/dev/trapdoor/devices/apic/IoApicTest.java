package dev.trapdoor.devices.apic;

import dev.trapdoor.devices.clock.VirtualClock;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The 82093AA through IOREGSEL/IOWIN, delivering to a local APIC (datasheet sections 2 and 3). */
class IoApicTest {
    final VirtualClock clock = new VirtualClock();
    final LocalApic lapic = new LocalApic(0, clock, clock::now, () -> { });
    final IoApic io = new IoApic(1, lapic);

    IoApicTest() {
        lapic.onEoiBroadcast(io::eoi);
        lapic.writeRegister(LocalApic.SVR, 0x1ff);
    }

    int reg(int index) {
        io.write(IoApic.IOREGSEL, 4, index);
        return (int) io.read(IoApic.IOWIN, 4);
    }

    void setReg(int index, int value) {
        io.write(IoApic.IOREGSEL, 4, index);
        io.write(IoApic.IOWIN, 4, value & 0xffffffffL);
    }

    void route(int pin, long entry) {
        setReg(0x11 + 2 * pin, (int) (entry >>> 32));
        setReg(0x10 + 2 * pin, (int) entry);
    }

    @Test
    void identificationRegisters() {
        assertEquals(0x01000000, reg(0x00), "ID in bits 27:24");
        assertEquals(0x00170011, reg(0x01), "version 0x11, maximum redirection entry 23");
        assertEquals(0x01000000, reg(0x02), "arbitration ID");
        setReg(0x00, 0x0f000000 | 0xff);
        assertEquals(0x0f000000, reg(0x00));
        setReg(0x01, 0);
        assertEquals(0x00170011, reg(0x01));
        io.write(IoApic.IOREGSEL, 4, 0x112);
        assertEquals(0x12, io.read(IoApic.IOREGSEL, 4), "IOREGSEL keeps bits 7:0");
    }

    @Test
    void entriesResetMaskedAndKeepTheirReadOnlyBits() {
        for (int pin = 0; pin < IoApic.PINS; pin++) assertEquals(0x10000, reg(0x10 + 2 * pin), "pin " + pin);
        setReg(0x10 + 2 * 23, 0xffffffff);
        assertEquals(0x1afff, reg(0x10 + 2 * 23), "delivery status, remote IRR and reserved bits stay clear");
        setReg(0x11 + 2 * 23, 0xffffffff);
        assertEquals(0xff000000, reg(0x11 + 2 * 23), "destination in bits 63:56");
        assertEquals(0, reg(0x10 + 2 * 24), "no entry 24");
    }

    @Test
    void anEdgeTriggeredPinSendsOnEachRisingEdge() {
        route(2, 0x30);               // fixed, physical, destination 0, edge, high
        io.pin(2).raise();
        assertTrue(lapic.requested(0x30));
        assertEquals(0x30, lapic.acknowledge());
        lapic.writeRegister(LocalApic.EOI, 0);
        io.pin(2).raise();            // still high: no edge
        assertFalse(lapic.requested(0x30));
        io.pin(2).lower();
        io.pin(2).raise();
        assertTrue(lapic.requested(0x30));
        assertEquals(2, io.messages());
    }

    @Test
    void aLevelTriggeredPinHoldsRemoteIrrUntilEoi() {
        route(9, IoApic.LEVEL | 0x41);
        io.pin(9).raise();
        assertTrue(lapic.requested(0x41));
        assertEquals(IoApic.REMOTE_IRR, io.entry(9) & IoApic.REMOTE_IRR);
        assertEquals(0x41, lapic.acknowledge());
        lapic.writeRegister(LocalApic.EOI, 0); // still asserted: the EOI broadcast makes the pin send again
        assertTrue(lapic.requested(0x41));
        assertEquals(IoApic.REMOTE_IRR, io.entry(9) & IoApic.REMOTE_IRR);
        assertEquals(0x41, lapic.acknowledge());
        io.pin(9).lower();
        lapic.writeRegister(LocalApic.EOI, 0);
        assertEquals(0, io.entry(9) & IoApic.REMOTE_IRR);
        assertFalse(lapic.requested(0x41));
    }

    @Test
    void maskingAndPolarity() {
        io.pin(4).raise();
        route(4, IoApic.MASKED | 0x50);
        assertFalse(lapic.requested(0x50));
        route(4, 0x50);               // edge: an edge while masked is lost
        assertFalse(lapic.requested(0x50));
        route(5, IoApic.LEVEL | IoApic.MASKED | 0x51);
        io.pin(5).raise();
        route(5, IoApic.LEVEL | 0x51); // level: unmasking an asserted pin sends
        assertTrue(lapic.requested(0x51));
        route(6, IoApic.ACTIVE_LOW | 0x52);
        io.pin(6).raise();
        assertFalse(lapic.requested(0x52));
        io.pin(6).lower();            // active low: the falling wire is the assertion
        assertTrue(lapic.requested(0x52));
    }

    @Test
    void destinationsThatNameNoApicAreLost() {
        route(3, (3L << 56) | 0x60);  // physical APIC 3
        io.pin(3).raise();
        assertFalse(lapic.requested(0x60));
        route(7, (1L << 56) | IoApic.LOGICAL | 0x61);
        lapic.writeRegister(LocalApic.LDR, 0x01000000);
        io.pin(7).raise();
        assertTrue(lapic.requested(0x61));
        route(8, (0xffL << 56) | 0x62); // physical broadcast
        io.pin(8).raise();
        assertTrue(lapic.requested(0x62));
    }

    @Test
    void anExtIntPinPassesThe8259ThroughTheLocalApic() {
        LocalApicTest.FakePic pic = new LocalApicTest.FakePic();
        lapic.connectExtInt(pic);
        pic.intr = true;
        assertFalse(lapic.hasInterrupt(), "LINT0 masked, no ExtINT pin");
        route(0, 7 << 8);
        io.pin(0).raise();
        assertTrue(lapic.hasInterrupt());
        assertEquals(0x20, lapic.acknowledge());
        io.pin(0).lower();
        pic.intr = true;
        assertFalse(lapic.hasInterrupt());
        io.pin(0).raise();
        route(0, IoApic.MASKED | 7 << 8);
        assertFalse(lapic.hasInterrupt());
    }
}
