package dev.trapdoor.boot;

/**
 * The Multiboot 1 header (Multiboot Specification 0.6.96, section 3.1): 32-bit aligned within the
 * first 8192 bytes, magic 0x1BADB002, flags, and a checksum that makes the three sum to zero.
 * With flag 16 the address fields (offsets 12-28, the "a.out kludge") say where to load the file.
 */
record MultibootHeader(int offset, long flags, long headerAddr, long loadAddr, long loadEndAddr,
                       long bssEndAddr, long entryAddr) {
    static final long MAGIC = 0x1BADB002L;
    static final int SEARCH_LIMIT = 8192;

    static final long PAGE_ALIGN_MODULES = 1, MEMORY_INFO = 1 << 1, VIDEO_MODE = 1 << 2, ADDRESS_FIELDS = 1 << 16;
    /** Flags 0-15 are requirements: a loader must refuse an image asking for one it does not honour (3.1.2). */
    static final long SUPPORTED_REQUIREMENTS = PAGE_ALIGN_MODULES | MEMORY_INFO;

    boolean hasAddressFields() { return (flags & ADDRESS_FIELDS) != 0; }

    /** The offset of a valid header (magic and checksum), or -1. */
    static int find(byte[] b) {
        int limit = Math.min(b.length, SEARCH_LIMIT) - 12;
        for (int o = 0; o <= limit; o += 4) {
            long magic = ImageBytes.raw32(b, o) & 0xffffffffL;
            if (magic != MAGIC) continue;
            long flags = ImageBytes.raw32(b, o + 4) & 0xffffffffL;
            long checksum = ImageBytes.raw32(b, o + 8) & 0xffffffffL;
            if (((magic + flags + checksum) & 0xffffffffL) == 0) return o;
        }
        return -1;
    }

    static MultibootHeader parse(byte[] b) {
        int o = find(b);
        if (o < 0)
            throw new BadImageException("not a multiboot image: no header with magic 0x1BADB002 and a valid checksum in the first 8 KiB");
        ImageBytes img = new ImageBytes(b, "multiboot image");
        long flags = img.u32(o + 4, "flags");
        long unsupported = flags & 0xffff & ~SUPPORTED_REQUIREMENTS;
        if ((unsupported & VIDEO_MODE) != 0)
            throw new BadImageException("the multiboot image requires a video mode (flag 2): this loader provides no framebuffer");
        if (unsupported != 0)
            throw BadImageException.of("the multiboot image requires features this loader does not know (flags 0x%04x)", unsupported);
        if ((flags & ADDRESS_FIELDS) == 0) return new MultibootHeader(o, flags, 0, 0, 0, 0, 0);
        return new MultibootHeader(o, flags, img.u32(o + 12, "header_addr"), img.u32(o + 16, "load_addr"),
                img.u32(o + 20, "load_end_addr"), img.u32(o + 24, "bss_end_addr"), img.u32(o + 28, "entry_addr"));
    }
}
