package dev.trapdoor.memory;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class PhysicalMemoryTest {
    @Test
    void regionsMustNotOverlapAndMustBePageAligned() {
        try (PhysicalMemory m = new PhysicalMemory()) {
            m.addRam("low", 0, 0x10000);
            assertThrows(IllegalArgumentException.class, () -> m.addRam("clash", 0xf000, 0x2000));
            assertThrows(IllegalArgumentException.class, () -> m.addRam("odd", 0x20001, 0x1000));
            assertThrows(IllegalArgumentException.class, () -> m.addRam("huge", 0xffff0000L, 0x20000));
            m.addRom("bios", 0xf0000, new byte[]{1, 2, 3});
            assertEquals(2, m.regions().size());
            assertEquals(Region.Kind.ROM, m.regionAt(0xf0002).kind());
            assertNull(m.regionAt(0x20000));
        }
    }

    @Test
    void romIgnoresGuestWritesButTakesHostLoads() {
        try (PhysicalMemory m = new PhysicalMemory()) {
            m.addRom("rom", 0x1000, new byte[]{0x11, 0x22});
            m.write8(0x1000, 0x99);
            assertEquals(0x11, m.read8(0x1000));
            assertEquals(1, m.droppedWrites());
            m.write(0x1000, new byte[]{0x55}, 0, 1, true);
            assertEquals(0x55, m.read8(0x1000));
        }
    }

    @Test
    void mmioGoesToTheDeviceWithOffsetsAndMaskedValues() {
        List<String> log = new ArrayList<>();
        try (PhysicalMemory m = new PhysicalMemory()) {
            m.addMmio("dev", 0xfee00000L, 0x1000, new MmioDevice() {
                @Override public long read(long offset, int size) { log.add("r" + offset + "/" + size); return -1L; }
                @Override public void write(long offset, int size, long value) { log.add("w" + offset + "/" + size + "=" + Long.toHexString(value)); }
            });
            assertEquals(0xffffffffL, m.read32(0xfee00020L) & 0xffffffffL);
            assertEquals(0xff, m.read8(0xfee00001L));
            m.write16(0xfee00010L, 0x12345);
            assertEquals(List.of("r32/4", "r1/1", "w16/2=2345"), log);
        }
    }

    @Test
    void writesToMarkedCodePagesAreReported() {
        List<Long> hits = new ArrayList<>();
        try (PhysicalMemory m = new PhysicalMemory()) {
            m.addRam("ram", 0, 0x4000);
            m.addCodeWriteListener((gpa, len) -> hits.add(gpa));
            m.markCodePage(0x1000);
            m.write32(0x2000, 1);
            m.write8(0x1fff, 1);
            m.write32(0x0ffe, 1); // straddles into the code page
            m.write(0x1800, new byte[4], 0, 4, false);
            assertEquals(List.of(0x1fffL, 0x0ffeL, 0x1800L), hits);
            m.clearCodePage(0x1000);
            m.write8(0x1000, 2);
            assertEquals(3, hits.size());
        }
    }

    @Test
    void accessesAcrossRegionEdgesAreSplit() {
        try (PhysicalMemory m = new PhysicalMemory()) {
            m.addRam("a", 0, 0x1000);
            m.addRam("b", 0x1000, 0x1000);
            m.write32(0xffe, 0xaabbccdd);
            assertEquals(0xaabbccddL, m.read32(0xffe) & 0xffffffffL);
            assertEquals(0xccdd, m.read16(0xffe));
            assertEquals(0xaabb, m.read16(0x1000));
        }
    }
}
