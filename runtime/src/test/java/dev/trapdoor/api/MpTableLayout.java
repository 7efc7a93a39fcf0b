package dev.trapdoor.api;

import dev.trapdoor.memory.PhysicalMemory;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** An MP 1.4 table read back from guest memory the way an OS parses it, checksums included. */
record MpTableLayout(long localApic, List<String> headEntries, List<String> ioInterrupts, List<String> localInterrupts) {
    static final long EBDA = 0x9fc00;

    static MpTableLayout read(PhysicalMemory m, long pointer) {
        byte[] fp = m.readBytes(pointer, 16);
        assertEquals("_MP_", new String(fp, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0, sum(fp), "floating pointer checksum");
        assertEquals(1, fp[8], "length in paragraphs");
        assertEquals(4, fp[9], "spec 1.4");
        assertEquals(0, fp[11], "feature byte 1: a table, not a default configuration");
        long table = m.read32(pointer + 4) & 0xffffffffL;
        int length = m.read16(table + 4);
        byte[] t = m.readBytes(table, length);
        assertEquals("PCMP", new String(t, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals(0, sum(t), "base table checksum");
        int count = m.read16(table + 34);
        List<String> head = new ArrayList<>(), io = new ArrayList<>(), local = new ArrayList<>();
        int at = 44;
        int lastType = 0;
        for (int i = 0; i < count; i++) {
            int type = t[at] & 0xff;
            assertTrue(type >= lastType, "entries sorted by type");
            lastType = type;
            switch (type) {
                case 0 -> {
                    head.add("processor " + t[at + 1] + ((t[at + 3] & 2) != 0 ? " BSP" : ""));
                    at += 20;
                }
                case 1 -> {
                    head.add("bus " + t[at + 1] + " " + new String(t, at + 2, 6, java.nio.charset.StandardCharsets.US_ASCII).trim());
                    at += 8;
                }
                case 2 -> {
                    head.add(String.format("ioapic %d at %x", t[at + 1], m.read32(table + at + 4)));
                    at += 8;
                }
                case 3 -> {
                    io.add((t[at + 4] == 1 ? "ISA " : "bus" + t[at + 4] + " ") + t[at + 5] + " -> ioapic " + t[at + 6] + " pin " + t[at + 7]);
                    at += 8;
                }
                case 4 -> {
                    local.add((t[at + 1] == 3 ? "ExtINT" : t[at + 1] == 1 ? "NMI" : "type" + t[at + 1]) + " -> LINT" + t[at + 7]);
                    at += 8;
                }
                default -> fail("entry type " + type);
            }
        }
        assertEquals(length, at);
        return new MpTableLayout(m.read32(table + 36) & 0xffffffffL, head, io, local);
    }

    private static int sum(byte[] b) {
        int s = 0;
        for (byte x : b) s += x;
        return s & 0xff;
    }
}
