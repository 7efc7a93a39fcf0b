package dev.trapdoor.vmx;

import java.util.Arrays;

/**
 * The VMX MSR bitmap (SDM Vol. 3C, 25.6.9): one 4-KiB page of four 1-KiB quarters, read-low
 * (MSRs 00000000-00001FFF), read-high (C0000000-C0001FFF), write-low, write-high; set = the access
 * exits. RDMSR/WRMSR of an MSR in neither range always exits.
 */
public final class MsrBitmap {
    public static final int SIZE = 4096;
    private static final int READ_LOW = 0, READ_HIGH = 1024, WRITE_LOW = 2048, WRITE_HIGH = 3072;

    private final byte[] map = new byte[SIZE];

    public byte[] bytes() { return map; }

    /** Byte offset of the quarter holding msr for this direction, or -1 when msr is in neither range. */
    private static int quarter(int msr, boolean write) {
        if (Integer.compareUnsigned(msr, 0x1fff) <= 0) return write ? WRITE_LOW : READ_LOW;
        if (Integer.compareUnsigned(msr - 0xC0000000, 0x1fff) <= 0) return write ? WRITE_HIGH : READ_HIGH;
        return -1;
    }

    /** Whether RDMSR (write=false) or WRMSR (write=true) of msr exits when the bitmap is in use. */
    public boolean exits(int msr, boolean write) {
        int q = quarter(msr, write);
        if (q < 0) return true;
        int bit = msr & 0x1fff;
        return (map[q + (bit >>> 3)] & (1 << (bit & 7))) != 0;
    }

    /** Sets whether RDMSR/WRMSR of msr exit; MSRs outside both ranges cannot be cleared (they always exit). */
    public void set(int msr, boolean write, boolean exits) {
        int q = quarter(msr, write);
        if (q < 0) throw new IllegalArgumentException(String.format("MSR %08x is outside the bitmap's ranges: it always exits", msr));
        int bit = msr & 0x1fff;
        if (exits) map[q + (bit >>> 3)] |= (byte) (1 << (bit & 7));
        else map[q + (bit >>> 3)] &= (byte) ~(1 << (bit & 7));
    }

    public void fill(boolean exits) {
        Arrays.fill(map, exits ? (byte) -1 : 0);
    }
}
