package dev.trapdoor.debug.gdb;

/** Hex digits as the remote protocol writes them: lowercase out, either case in; bad input is -1, never an exception. */
final class Hex {
    private static final byte[] DIGITS = "0123456789abcdef".getBytes();

    private Hex() {}

    static int digit(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    static void append(StringBuilder sb, byte[] b, int off, int len) {
        for (int i = 0; i < len; i++) {
            int v = b[off + i] & 0xFF;
            sb.append((char) DIGITS[v >>> 4]).append((char) DIGITS[v & 15]);
        }
    }

    static String encode(byte[] b, int off, int len) {
        StringBuilder sb = new StringBuilder(len * 2);
        append(sb, b, off, len);
        return sb.toString();
    }

    static void appendByte(StringBuilder sb, int v) {
        sb.append((char) DIGITS[(v >>> 4) & 15]).append((char) DIGITS[v & 15]);
    }

    /** A 32-bit value as its 4 little-endian bytes in hex (target byte order, for expedited registers). */
    static void appendLe32(StringBuilder sb, int v) {
        for (int i = 0; i < 4; i++) appendByte(sb, v >>> (8 * i));
    }

    /**
     * Decodes {@code 2*len} hex digits of s starting at {@code from} into {@code dst[0..len)}.
     * Returns false when a digit is bad or the string is too short.
     */
    static boolean decode(String s, int from, byte[] dst, int len) {
        if (from < 0 || s.length() - from < 2L * len) return false;
        for (int i = 0; i < len; i++) {
            int hi = digit(s.charAt(from + 2 * i)), lo = digit(s.charAt(from + 2 * i + 1));
            if (hi < 0 || lo < 0) return false;
            dst[i] = (byte) (hi << 4 | lo);
        }
        return true;
    }

    /**
     * An unsigned hex number s[from..to), at most 16 digits; -1 when empty, too long or not hex.
     * Values past 2^63 are not addresses of an IA-32 guest, so they come back as -1 too.
     */
    static long parse(String s, int from, int to) {
        if (from < 0 || to > s.length() || from >= to || to - from > 16) return -1;
        long v = 0;
        for (int i = from; i < to; i++) {
            int d = digit(s.charAt(i));
            if (d < 0) return -1;
            v = v << 4 | d;
        }
        return v < 0 ? -1 : v;
    }

    static long parse(String s) {
        return parse(s, 0, s.length());
    }
}
