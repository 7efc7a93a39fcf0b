package dev.trapdoor.boot;

/**
 * Bounds-checked little-endian reads over an image file. The image is hostile input: every
 * read names the field it wants, so a short or lying file gives one clear error.
 */
final class ImageBytes {
    private final byte[] b;
    private final String what;

    ImageBytes(byte[] bytes, String what) {
        this.b = bytes;
        this.what = what;
    }

    byte[] bytes() { return b; }
    int length() { return b.length; }

    /** Throws unless [off, off+len) lies inside the file. */
    void require(long off, long len, String field) {
        if (off < 0 || len < 0 || off + len > b.length)
            throw BadImageException.of("truncated %s: %s at offset 0x%x needs 0x%x bytes but the file is 0x%x bytes",
                    what, field, off, len, b.length);
    }

    boolean has(long off, long len) {
        return off >= 0 && len >= 0 && off + len <= b.length;
    }

    int u8(long off, String field) {
        require(off, 1, field);
        return b[(int) off] & 0xff;
    }

    int u16(long off, String field) {
        require(off, 2, field);
        int o = (int) off;
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8;
    }

    long u32(long off, String field) {
        require(off, 4, field);
        return raw32(b, (int) off) & 0xffffffffL;
    }

    long u64(long off, String field) {
        require(off, 8, field);
        return (raw32(b, (int) off) & 0xffffffffL) | (long) raw32(b, (int) off + 4) << 32;
    }

    /** Unchecked read for callers that checked the range already. */
    static int raw32(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    static void put16(byte[] b, int o, int v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >>> 8);
    }

    static void put32(byte[] b, int o, long v) {
        for (int i = 0; i < 4; i++) b[o + i] = (byte) (v >>> (8 * i));
    }

    static void put64(byte[] b, int o, long v) {
        for (int i = 0; i < 8; i++) b[o + i] = (byte) (v >>> (8 * i));
    }
}
