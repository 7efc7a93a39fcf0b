package dev.trapdoor.devices;

/** A device on the port-I/O bus. Ports are given as offsets from the device's base port. */
public interface PioDevice {
    /** Reads size (1, 2 or 4) bytes at offset; the value is zero-extended. */
    int read(int offset, int size);

    void write(int offset, int size, int value);
}
