package dev.trapdoor.devices.pci;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The 256-byte configuration space of one PCI function, with per-bit masks: bits the guest may
 * write, and bits that are write-1-to-clear (status). Everything else is read-only to the guest;
 * the device model sets it with the {@code set} methods.
 *
 * <p>BARs are plain masked registers: a BAR of size S has its address bits below S read-only
 * zero, so writing all ones and reading back gives ~(S-1) plus the type bits, which is how
 * software sizes it (PCI Local Bus 3.0, 6.2.5.1).
 */
public final class PciConfigSpace implements Stateful {
    public static final int SIZE = 256;
    public static final int VENDOR_ID = 0x00, DEVICE_ID = 0x02, COMMAND = 0x04, STATUS = 0x06, REVISION = 0x08,
            PROG_IF = 0x09, CLASS_CODE = 0x0a, CACHE_LINE_SIZE = 0x0c, LATENCY_TIMER = 0x0d, HEADER_TYPE = 0x0e,
            BAR0 = 0x10, SUBSYSTEM_VENDOR_ID = 0x2c, SUBSYSTEM_ID = 0x2e, EXPANSION_ROM = 0x30,
            CAPABILITIES = 0x34, INTERRUPT_LINE = 0x3c, INTERRUPT_PIN = 0x3d;
    public static final int HEADER_MULTI_FUNCTION = 0x80;
    /** COMMAND bits a generic function lets software change: I/O, memory, master, special, parity, SERR, INTx disable. */
    public static final int COMMAND_WRITABLE = 0x054f;
    /** STATUS bits that are write-1-to-clear: parity, signaled/received aborts, SERR, parity error. */
    public static final int STATUS_W1C = 0xf900;

    public enum BarKind { IO, MEMORY32, MEMORY64, MEMORY32_PREFETCHABLE, MEMORY64_PREFETCHABLE }

    private final byte[] data = new byte[SIZE];
    private final byte[] writable = new byte[SIZE];
    private final byte[] writeOneToClear = new byte[SIZE];

    /** A type 0 header with the registers every function has and their usual write masks. */
    public static PciConfigSpace type0(int vendor, int device, int revision, int classCode, boolean multiFunction) {
        PciConfigSpace c = new PciConfigSpace();
        c.set16(VENDOR_ID, vendor);
        c.set16(DEVICE_ID, device);
        c.set8(REVISION, revision);
        c.set8(PROG_IF, classCode & 0xff);
        c.set16(CLASS_CODE, classCode >>> 8);
        c.set8(HEADER_TYPE, multiFunction ? HEADER_MULTI_FUNCTION : 0);
        c.setWritable(COMMAND, 2, COMMAND_WRITABLE);
        c.setWriteOneToClear(STATUS, 2, STATUS_W1C);
        c.setWritable(CACHE_LINE_SIZE, 1, 0xff);
        c.setWritable(LATENCY_TIMER, 1, 0xff);
        c.setWritable(INTERRUPT_LINE, 1, 0xff);
        return c;
    }

    // ---- guest access

    /** Reads size (1, 2, 4) bytes little-endian at offset; an access past the end reads ones. */
    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            int b = o >= 0 && o < SIZE ? data[o] & 0xff : 0xff;
            v |= b << (8 * i);
        }
        return v;
    }

    public void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int o = offset + i;
            if (o < 0 || o >= SIZE) continue;
            int b = (value >>> (8 * i)) & 0xff;
            int w = writable[o] & 0xff;
            int c = writeOneToClear[o] & 0xff;
            int old = data[o] & 0xff;
            data[o] = (byte) (((old & ~w) | (b & w)) & ~(b & c));
        }
    }

    // ---- device side

    public int get8(int offset) { return data[offset] & 0xff; }

    public int get16(int offset) { return read(offset, 2); }

    public int get32(int offset) { return read(offset, 4); }

    public void set8(int offset, int v) { data[offset] = (byte) v; }

    public void set16(int offset, int v) {
        set8(offset, v);
        set8(offset + 1, v >>> 8);
    }

    public void set32(int offset, int v) {
        set16(offset, v);
        set16(offset + 2, v >>> 16);
    }

    public void setWritable(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) writable[offset + i] = (byte) (mask >>> (8 * i));
    }

    public void setWriteOneToClear(int offset, int size, int mask) {
        for (int i = 0; i < size; i++) writeOneToClear[offset + i] = (byte) (mask >>> (8 * i));
    }

    /** Device-side: sets W1C status bits (a device signalling an error). */
    public void setStatusBits(int bits) {
        set16(STATUS, get16(STATUS) | bits);
    }

    // ---- BARs

    /**
     * Declares BAR index (0-5) of a power-of-two size (I/O at least 4 bytes, memory at least
     * 16). A 64-bit BAR takes index and index + 1.
     */
    public void defineBar(int index, long size, BarKind kind) {
        boolean io = kind == BarKind.IO;
        boolean wide = kind == BarKind.MEMORY64 || kind == BarKind.MEMORY64_PREFETCHABLE;
        if (index < 0 || index > (wide ? 4 : 5)) throw new IllegalArgumentException("BAR " + index);
        if (Long.bitCount(size) != 1 || size < (io ? 4 : 16) || (!wide && size > (1L << 32)) || (io && size > 256))
            throw new IllegalArgumentException("BAR size " + size + " is not a valid " + kind + " size");
        int off = BAR0 + 4 * index;
        int flags = switch (kind) {
            case IO -> 0x1;
            case MEMORY32 -> 0x0;
            case MEMORY64 -> 0x4;
            case MEMORY32_PREFETCHABLE -> 0x8;
            case MEMORY64_PREFETCHABLE -> 0xc;
        };
        long addressMask = ~(size - 1);
        set32(off, flags);
        setWritable(off, 4, (int) addressMask & (io ? ~0x3 : ~0xf));
        if (wide) {
            set32(off + 4, 0);
            setWritable(off + 4, 4, (int) (addressMask >>> 32));
        }
    }

    /** The address a BAR holds (I/O or memory; 64-bit BARs read both halves). */
    public long barAddress(int index) {
        int off = BAR0 + 4 * index;
        int low = get32(off);
        if ((low & 1) != 0) return low & 0xfffffffcL;
        long addr = low & 0xfffffff0L;
        if ((low & 0x6) == 0x4 && index < 5) addr |= (long) get32(off + 4) << 32;
        return addr;
    }

    /** Declares an expansion ROM BAR of a power-of-two size (at least 2 KiB). */
    public void defineExpansionRom(long size) {
        if (Long.bitCount(size) != 1 || size < 2048 || size > (1L << 24))
            throw new IllegalArgumentException("expansion ROM size " + size);
        set32(EXPANSION_ROM, 0);
        setWritable(EXPANSION_ROM, 4, (int) ~(size - 1) | 0x1);
    }

    /** The register bytes; which bits are writable is the function's design, not state. */
    @Override
    public void saveState(StateWriter out) {
        out.bytes(data);
    }

    @Override
    public void loadState(StateReader in) {
        in.bytesInto(data);
    }
}
