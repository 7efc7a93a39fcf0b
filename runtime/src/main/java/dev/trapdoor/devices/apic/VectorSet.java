package dev.trapdoor.devices.apic;

/**
 * A 256-bit vector register (the local APIC's IRR, ISR and TMR, SDM Vol. 3A, 11.8.4): bit v for
 * vector v, read by software as eight 32-bit registers 16 bytes apart.
 */
final class VectorSet {
    private final long[] words = new long[4];

    void set(int vector) {
        words[vector >>> 6] |= 1L << vector;
    }

    void clear(int vector) {
        words[vector >>> 6] &= ~(1L << vector);
    }

    boolean get(int vector) {
        return (words[vector >>> 6] & (1L << vector)) != 0;
    }

    /** The highest vector set, or -1. */
    int highest() {
        for (int w = 3; w >= 0; w--) {
            if (words[w] != 0) return (w << 6) | (63 - Long.numberOfLeadingZeros(words[w]));
        }
        return -1;
    }

    /** Bits 32i+31..32i, as the register at offset base + 0x10*i reads. */
    int register(int i) {
        return (int) (words[i >>> 1] >>> (32 * (i & 1)));
    }

    void save(dev.trapdoor.snapshot.StateWriter out) {
        out.longs(words);
    }

    void load(dev.trapdoor.snapshot.StateReader in) {
        in.longsInto(words);
    }

    void clearAll() {
        java.util.Arrays.fill(words, 0);
    }
}
