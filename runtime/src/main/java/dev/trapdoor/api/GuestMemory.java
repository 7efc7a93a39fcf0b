package dev.trapdoor.api;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

/**
 * Guest-physical memory as scripts use it: typed peek/poke, bulk copies, strings, a hexdump. In
 * Groovy, {@code mem[0x1000]} reads a byte and {@code mem[0x1000] = 0x41} writes one.
 */
public final class GuestMemory {
    private final PhysicalMemory phys;

    GuestMemory(PhysicalMemory phys) {
        this.phys = phys;
    }

    /** The runtime's memory map, for code below the API (loaders, devices). */
    public PhysicalMemory physical() { return phys; }

    public List<Region> getRegions() { return phys.regions(); }

    public int peek8(long gpa) { return phys.read8(gpa); }
    public int peek16(long gpa) { return phys.read16(gpa); }
    public long peek32(long gpa) { return phys.read32(gpa) & 0xffffffffL; }
    public long peek64(long gpa) { return phys.read64(gpa); }

    public void poke8(long gpa, long v) { tap(gpa, 1, v); phys.write8(gpa, (int) v); }
    public void poke16(long gpa, long v) { tap(gpa, 2, v); phys.write16(gpa, (int) v); }
    public void poke32(long gpa, long v) { tap(gpa, 4, v); phys.write32(gpa, (int) v); }
    public void poke64(long gpa, long v) { tap(gpa, 8, v); phys.write64(gpa, v); }

    /** Sees every write made through this view (record/replay records the scripts' writes); null for none. */
    java.util.function.BiConsumer<Long, byte[]> writeTap;

    private void tap(long gpa, int size, long v) {
        if (writeTap == null) return;
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) b[i] = (byte) (v >>> (8 * i));
        writeTap.accept(gpa, b);
    }

    public byte[] read(long gpa, int length) {
        if (length < 0) throw new IllegalArgumentException("negative length");
        return phys.readBytes(gpa, length);
    }

    public void write(long gpa, byte[] bytes) {
        if (writeTap != null) writeTap.accept(gpa, bytes.clone());
        phys.write(gpa, bytes, 0, bytes.length, false);
    }

    /** Writes the string's bytes (ISO-8859-1, no terminator). */
    public void write(long gpa, String text) {
        write(gpa, text.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads bytes up to a NUL or max, as text. */
    public String readString(long gpa, int max) {
        byte[] b = read(gpa, max);
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }

    /** Finds the first occurrence of text in [from, from+length); -1 if absent. */
    public long find(String text, long from, int length) {
        byte[] hay = read(from, length);
        byte[] needle = text.getBytes(StandardCharsets.ISO_8859_1);
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return from + i;
        }
        return -1;
    }

    public int getAt(long gpa) { return peek8(gpa); }
    public void putAt(long gpa, long v) { poke8(gpa, v); }

    /** Sixteen bytes a line, offset, hex and ASCII, like xxd. */
    public String hexdump(long gpa, int length) {
        byte[] b = read(gpa, length);
        HexFormat hex = HexFormat.of();
        StringBuilder out = new StringBuilder();
        for (int line = 0; line < b.length; line += 16) {
            out.append(String.format("%08x: ", gpa + line));
            StringBuilder ascii = new StringBuilder();
            for (int i = 0; i < 16; i++) {
                if (line + i < b.length) {
                    int v = b[line + i] & 0xff;
                    out.append(hex.toHexDigits((byte) v));
                    ascii.append(v >= 0x20 && v < 0x7f ? (char) v : '.');
                } else {
                    out.append("  ");
                }
                out.append(i == 7 ? "  " : " ");
            }
            out.append(' ').append(ascii);
            if (line + 16 < b.length) out.append('\n');
        }
        return out.toString();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("guest-physical memory:");
        for (Region r : phys.regions()) b.append("\n  ").append(r);
        return b.toString();
    }
}
