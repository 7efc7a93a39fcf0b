package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The MP floating pointer structure and MP configuration table of the Intel MultiProcessor
 * Specification 1.4 (chapter 4), as PC firmware leaves them for an operating system that finds its
 * APICs without ACPI: one processor, the buses, one IO-APIC, how each ISA IRQ reaches an IO-APIC
 * pin, and the local APIC's LINT0 (ExtINT, virtual-wire mode) and LINT1 (NMI).
 *
 * <p>Built with {@link #builder()}; {@link #write} puts the pointer at an address the
 * specification says is searched (the first KiB of the EBDA, the last KiB of base memory, or the
 * BIOS ROM at 0xf0000-0xfffff) with the table right after it.
 */
public final class MpTable {
    /** The last KiB of 640 KiB of base memory (the EBDA on a PC): searched by MP 1.4 section 4. */
    public static final long BASE_MEMORY_TOP_KIB = 0x9fc00;

    static final int FLOATING_POINTER_SIZE = 16, HEADER_SIZE = 44;
    static final int PROCESSOR = 0, BUS = 1, IOAPIC = 2, IO_INTERRUPT = 3, LOCAL_INTERRUPT = 4;
    /** Interrupt types (MP 1.4 Table 4-8). */
    public static final int INT = 0, NMI = 1, SMI = 2, EXTINT = 3;
    /** "Conforms to the specification of the bus" for polarity and trigger mode. */
    public static final int CONFORMS = 0;
    public static final int ALL_LOCAL_APICS = 0xff;

    private final byte[] table;

    private MpTable(byte[] table) {
        this.table = table;
    }

    /** The configuration table (header and entries), its checksum set. */
    public byte[] configTable() {
        return table.clone();
    }

    /** The 16-byte floating pointer naming a configuration table at tableAddress (MP 1.4 Figure 4-2). */
    public static byte[] floatingPointer(long tableAddress) {
        byte[] p = new byte[FLOATING_POINTER_SIZE];
        ascii(p, 0, "_MP_", 4);
        le32(p, 4, tableAddress);
        p[8] = 1;    // length in 16-byte paragraphs
        p[9] = 4;    // specification revision 1.4
        // Feature byte 1 = 0: a configuration table is present (no default configuration).
        // Feature byte 2 bit 7 (IMCRP) = 0: virtual-wire mode, no IMCR to switch from PIC mode.
        p[10] = checksum(p);
        return p;
    }

    /** Writes the floating pointer at address and the configuration table right after it; returns the bytes used. */
    public int write(PhysicalMemory memory, long address) {
        long tableAt = address + FLOATING_POINTER_SIZE;
        memory.write(address, floatingPointer(tableAt), 0, FLOATING_POINTER_SIZE, false);
        memory.write(tableAt, table, 0, table.length, false);
        return FLOATING_POINTER_SIZE + table.length;
    }

    public int size() {
        return FLOATING_POINTER_SIZE + table.length;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Entries go in the order the specification requires: processors, buses, IO-APICs, I/O interrupts, local interrupts. */
    public static final class Builder {
        private final ByteArrayOutputStream[] byType = new ByteArrayOutputStream[5];
        private int count;
        private long localApicAddress = 0xfee00000L;
        private String oem = "TRAPDOOR", product = "PC";

        Builder() {
            for (int i = 0; i < byType.length; i++) byType[i] = new ByteArrayOutputStream();
        }

        public Builder localApicAddress(long a) { localApicAddress = a; return this; }

        public Builder oem(String oemId, String productId) { oem = oemId; product = productId; return this; }

        /** A processor entry (20 bytes): its APIC, enabled, bootstrap or not, CPUID.1 signature and EDX features. */
        public Builder processor(int apicId, int apicVersion, boolean bootstrap, int signature, int features) {
            byte[] e = new byte[20];
            e[0] = PROCESSOR;
            e[1] = (byte) apicId;
            e[2] = (byte) apicVersion;
            e[3] = (byte) (1 | (bootstrap ? 2 : 0)); // CPU flags: EN, BP
            le32(e, 4, signature & 0xfff);           // stepping, model, family
            le32(e, 8, features);
            return add(PROCESSOR, e);
        }

        /** A bus entry (8 bytes): "ISA", "PCI", ... padded to six characters. */
        public Builder bus(int busId, String type) {
            byte[] e = new byte[8];
            e[0] = BUS;
            e[1] = (byte) busId;
            ascii(e, 2, type, 6);
            return add(BUS, e);
        }

        public Builder ioApic(int id, int version, long address) {
            byte[] e = new byte[8];
            e[0] = IOAPIC;
            e[1] = (byte) id;
            e[2] = (byte) version;
            e[3] = 1; // EN
            le32(e, 4, address);
            return add(IOAPIC, e);
        }

        /** An I/O interrupt assignment: source bus IRQ to an IO-APIC input (INTIN#). flags: polarity bits 1:0, trigger bits 3:2. */
        public Builder ioInterrupt(int type, int flags, int bus, int busIrq, int ioApicId, int pin) {
            return add(IO_INTERRUPT, interrupt(IO_INTERRUPT, type, flags, bus, busIrq, ioApicId, pin));
        }

        /** A local interrupt assignment: to a local APIC's LINTIN# (0xff: every local APIC). */
        public Builder localInterrupt(int type, int flags, int bus, int busIrq, int apicId, int lint) {
            return add(LOCAL_INTERRUPT, interrupt(LOCAL_INTERRUPT, type, flags, bus, busIrq, apicId, lint));
        }

        private static byte[] interrupt(int entry, int type, int flags, int bus, int busIrq, int dest, int input) {
            byte[] e = new byte[8];
            e[0] = (byte) entry;
            e[1] = (byte) type;
            e[2] = (byte) flags;
            e[3] = (byte) (flags >>> 8);
            e[4] = (byte) bus;
            e[5] = (byte) busIrq;
            e[6] = (byte) dest;
            e[7] = (byte) input;
            return e;
        }

        private Builder add(int type, byte[] e) {
            byType[type].writeBytes(e);
            count++;
            return this;
        }

        /** The header (MP 1.4 Figure 4-3) in front of the entries, with the base table checksum. */
        public MpTable build() {
            ByteArrayOutputStream entries = new ByteArrayOutputStream();
            for (ByteArrayOutputStream b : byType) entries.writeBytes(b.toByteArray());
            byte[] t = new byte[HEADER_SIZE + entries.size()];
            ascii(t, 0, "PCMP", 4);
            le16(t, 4, t.length);
            t[6] = 4; // specification revision 1.4
            ascii(t, 8, oem, 8);
            ascii(t, 16, product, 12);
            // OEM table pointer and size 0: none.
            le16(t, 34, count);
            le32(t, 36, localApicAddress);
            // Extended table length and checksum 0: no extended entries.
            System.arraycopy(entries.toByteArray(), 0, t, HEADER_SIZE, entries.size());
            t[7] = checksum(t);
            return new MpTable(t);
        }
    }

    /**
     * A PC's table as a PC BIOS writes it (SeaBIOS's layout): one processor, PCI bus 0 and ISA bus
     * 1, the IO-APIC, ISA IRQs 0-15 on the pins of the same number but IRQ 0 (the PIT) on pin 2 and
     * no IRQ 2 (the cascade), LINT0 ExtINT and LINT1 NMI on every local APIC.
     */
    public static MpTable pc(int apicVersion, int cpuSignature, int cpuFeatures, int ioApicId, int ioApicVersion, long ioApicAddress,
                             long localApicAddress) {
        Builder b = builder().localApicAddress(localApicAddress)
                .processor(0, apicVersion, true, cpuSignature, cpuFeatures)
                .bus(0, "PCI")
                .bus(1, "ISA")
                .ioApic(ioApicId, ioApicVersion, ioApicAddress);
        for (int irq = 0; irq < 16; irq++) {
            if (irq == 2) continue;
            b.ioInterrupt(INT, CONFORMS, 1, irq, ioApicId, irq == 0 ? 2 : irq);
        }
        b.localInterrupt(EXTINT, CONFORMS, 1, 0, ALL_LOCAL_APICS, 0);
        b.localInterrupt(NMI, CONFORMS, 1, 0, ALL_LOCAL_APICS, 1);
        return b.build();
    }

    /** The byte that makes the sum of all bytes zero (with its own slot zero when computed). */
    static byte checksum(byte[] b) {
        int sum = 0;
        for (byte x : b) sum += x;
        return (byte) -sum;
    }

    private static void ascii(byte[] dst, int at, String s, int width) {
        byte[] a = s.getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < width; i++) dst[at + i] = i < a.length ? a[i] : (byte) ' ';
    }

    private static void le16(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
    }

    private static void le32(byte[] b, int at, long v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }
}
