package dev.trapdoor.vmx;

import java.util.Arrays;

/**
 * The VMX I/O bitmaps (SDM Vol. 3C, 25.6.4): bitmap A covers ports 0000-7FFF, B covers 8000-FFFF,
 * one bit per port, set = the access exits. In hardware they are two 4-KiB pages in host memory
 * named by the VMCS's I/O-bitmap addresses; here the VMCS owns them as byte arrays (host memory the
 * guest cannot reach).
 */
public final class IoBitmaps {
    public static final int SIZE = 4096;

    private final byte[] a = new byte[SIZE];
    private final byte[] b = new byte[SIZE];

    public byte[] a() { return a; }
    public byte[] b() { return b; }

    public boolean get(int port) {
        port &= 0xffff;
        byte[] map = port < 0x8000 ? a : b;
        int bit = port & 0x7fff;
        return (map[bit >>> 3] & (1 << (bit & 7))) != 0;
    }

    public void set(int port, boolean exits) {
        port &= 0xffff;
        byte[] map = port < 0x8000 ? a : b;
        int bit = port & 0x7fff;
        if (exits) map[bit >>> 3] |= (byte) (1 << (bit & 7));
        else map[bit >>> 3] &= (byte) ~(1 << (bit & 7));
    }

    /** Sets or clears count ports from first (a script's "trap ports 0x3f8..0x3ff"). */
    public void setRange(int first, int count, boolean exits) {
        for (int i = 0; i < count; i++) set(first + i, exits);
    }

    public void fill(boolean exits) {
        Arrays.fill(a, exits ? (byte) -1 : 0);
        Arrays.fill(b, exits ? (byte) -1 : 0);
    }

    /**
     * Whether an access of size bytes at port exits when the bitmaps are in use (SDM 25.1.3): it
     * exits if the bit of any port it touches is set, or if it wraps around the 64-KiB port space.
     */
    public boolean exits(int port, int size) {
        port &= 0xffff;
        if (port + size - 1 > 0xffff) return true;
        for (int i = 0; i < size; i++) if (get(port + i)) return true;
        return false;
    }
}
