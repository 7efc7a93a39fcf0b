package dev.trapdoor.cpu.diff;

import java.util.Arrays;

/** A growing byte buffer with the few x86 encodings the harness emits (little-endian immediates). */
final class Code {
    private byte[] buf = new byte[256];
    private int len;

    Code b(int... bytes) {
        for (int v : bytes) put(v);
        return this;
    }

    Code w(int v) {
        put(v);
        put(v >>> 8);
        return this;
    }

    Code d(int v) {
        w(v);
        w(v >>> 16);
        return this;
    }

    Code bytes(byte[] src) {
        for (byte v : src) put(v);
        return this;
    }

    /** An immediate of 1, 2 or 4 bytes. */
    Code imm(int v, int size) {
        return size == 1 ? b(v) : size == 2 ? w(v) : d(v);
    }

    /** MOV r32, imm32 (B8+r). */
    Code movImm(int reg, int v) {
        return b(0xb8 + reg).d(v);
    }

    /** MOV [abs32], r32 (89 /r, mod 00 rm 101). */
    Code storeAbs(int reg, int addr) {
        return b(0x89, (reg << 3) | 5).d(addr);
    }

    int length() {
        return len;
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, len);
    }

    private void put(int v) {
        if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
        buf[len++] = (byte) v;
    }
}
