package dev.trapdoor.devices.pci;

/**
 * One PCI function as configuration software sees it. Most functions are their config space;
 * one that reacts to a register (a BAR moving, the command register) overrides the access
 * methods and calls the default first.
 */
public interface PciFunction {
    PciConfigSpace config();

    /** Reads size (1, 2, 4) bytes at offset; offset + size stays within the 256 bytes. */
    default int configRead(int offset, int size) {
        return config().read(offset, size);
    }

    default void configWrite(int offset, int size, int value) {
        config().write(offset, size, value);
    }
}
