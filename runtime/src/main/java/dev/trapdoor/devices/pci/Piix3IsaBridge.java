package dev.trapdoor.devices.pci;

/**
 * The Intel 82371SB PIIX3 PCI-to-ISA bridge, function 0 of a multi-function device: 8086:7000,
 * class 06 01 00. The PIRQ route control registers (0x60-0x63: bit 7 disables, bits 3:0 name
 * the ISA IRQ) are stored for whoever routes PCI INTx; the rest of 0x40-0xff holds what is
 * written without effect.
 */
public final class Piix3IsaBridge implements PciFunction {
    public static final int VENDOR = 0x8086, DEVICE = 0x7000;
    public static final int PIRQRC = 0x60;
    private static final int PIRQ_DISABLED = 0x80;
    private final PciConfigSpace config = PciConfigSpace.type0(VENDOR, DEVICE, 0x00, 0x060100, true);

    public Piix3IsaBridge() {
        config.set16(PciConfigSpace.COMMAND, 0x0007);          // I/O, memory, bus master
        config.set16(PciConfigSpace.STATUS, 0x0200);           // medium DEVSEL
        for (int r = 0x40; r < 0x100; r++) config.setWritable(r, 1, 0xff);
        for (int i = 0; i < 4; i++) {
            config.set8(PIRQRC + i, PIRQ_DISABLED);
            config.setWritable(PIRQRC + i, 1, 0x8f);
        }
        config.set8(0x4c, 0x4d);                               // IORT reset value
        config.set16(0x4e, 0x0003);                            // XBCS reset value
        config.set8(0x69, 0x02);                               // TOM reset value
    }

    /** The ISA IRQ PIRQ n (0-3 for A-D) is routed to, or -1 when routing is disabled. */
    public int pirqRoute(int n) {
        int v = config.get8(PIRQRC + n);
        if ((v & PIRQ_DISABLED) != 0) return -1;
        int irq = v & 0x0f;
        // PIIX3 datasheet: 0, 1, 2, 8 and 13 are reserved routing values.
        return irq < 3 || irq == 8 || irq == 13 ? -1 : irq;
    }

    @Override
    public PciConfigSpace config() {
        return config;
    }
}
