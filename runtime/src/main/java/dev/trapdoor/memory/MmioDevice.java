package dev.trapdoor.memory;

/** A device register window in guest-physical space. Offsets are relative to the window's base. */
public interface MmioDevice {
    /** Reads size (1, 2, 4 or 8) bytes at offset; the value is zero-extended. */
    long read(long offset, int size);

    void write(long offset, int size, long value);
}
