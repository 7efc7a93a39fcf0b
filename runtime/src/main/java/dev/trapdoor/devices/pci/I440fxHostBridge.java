package dev.trapdoor.devices.pci;

/**
 * The Intel 82441FX PMC (i440FX host bridge), device 0 function 0: 8086:1237, class 06 00 00.
 * Its chipset registers 0x50-0x7f (PMCCFG, PAM, DRB, SMRAM, ...) hold what is written but do
 * not change the memory map: guests booted directly, without a BIOS to shadow, never need them.
 */
public final class I440fxHostBridge implements PciFunction {
    public static final int VENDOR = 0x8086, DEVICE = 0x1237;
    private final PciConfigSpace config = PciConfigSpace.type0(VENDOR, DEVICE, 0x02, 0x060000, false);

    public I440fxHostBridge() {
        config.set16(PciConfigSpace.COMMAND, 0x0006);          // memory, bus master
        config.set16(PciConfigSpace.STATUS, 0x0280);           // fast back-to-back, medium DEVSEL
        for (int r = 0x50; r < 0x80; r++) config.setWritable(r, 1, 0xff);
        config.set8(0x59, 0x00);                               // PAM0: BIOS area not shadowed
        config.set8(0x72, 0x02);                               // SMRAM: C_BASE_SEG = 010
    }

    @Override
    public PciConfigSpace config() {
        return config;
    }
}
