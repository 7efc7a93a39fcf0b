package dev.trapdoor.devices;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class IoBusTest {
    @Test
    void mapsRoutesAndRefusesOverlaps() {
        IoBus bus = new IoBus();
        List<String> log = new ArrayList<>();
        PioDevice dev = new PioDevice() {
            @Override public int read(int offset, int size) { log.add("r" + offset + "/" + size); return 0x12345678; }
            @Override public void write(int offset, int size, int value) { log.add("w" + offset + "/" + size + "=" + Integer.toHexString(value)); }
        };
        bus.map("dev", 0x3f8, 8, dev);
        assertThrows(IllegalArgumentException.class, () -> bus.map("clash", 0x3ff, 2, dev));
        assertThrows(IllegalArgumentException.class, () -> bus.map("wild", 0xffff, 2, dev));
        assertEquals(0x78, bus.read(0x3f9, 1));
        bus.write(0x3fa, 2, 0xabcdef);
        assertEquals(List.of("r1/1", "w2/2=cdef"), log);
        assertEquals(0xff, bus.read(0x80, 1));
        assertEquals(0xffffffff, bus.read(0x80, 4));
        bus.write(0x80, 1, 1);
        assertEquals(6, bus.unclaimedAccesses(), "one read, four byte reads of the split dword, one write");
        assertEquals("03f8-03ff dev", bus.mappingAt(0x3fc).toString());
    }

    @Test
    void anAccessRunningPastItsDeviceIsSplitIntoBytes() {
        IoBus bus = new IoBus();
        bus.map("one", 0x100, 1, new PioDevice() {
            @Override public int read(int offset, int size) { return 0x42; }
            @Override public void write(int offset, int size, int value) { }
        });
        assertEquals(0xffffff42, bus.read(0x100, 4));
        bus.unmap(bus.mappingAt(0x100));
        assertEquals(0xff, bus.read(0x100, 1));
    }
}
