package dev.trapdoor.boot;

/**
 * The identity map a 64-bit entry needs (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol":
 * the kernel, the zero page and the command line must be identity-mapped): 4-level tables with
 * 2 MiB pages covering the first 4 GiB. One PML4 page, one PDPT page and four page directories,
 * laid out back to back from {@code base}; every entry present, writable, supervisor.
 */
final class IdentityPageTables64 {
    static final int PAGES = 6;
    static final int SIZE = PAGES * 4096;
    static final long MAPPED = 4L << 30;

    private static final long PRESENT_WRITABLE = 0x3;
    private static final long PAGE_SIZE_2M = 1L << 7;

    private IdentityPageTables64() {}

    /** The table bytes for placement at physical {@code base} (4 KiB aligned); CR3 = base. */
    static byte[] build(long base) {
        if ((base & 0xfff) != 0) throw new IllegalArgumentException("page tables must be 4 KiB aligned");
        byte[] t = new byte[SIZE];
        long pdpt = base + 4096;
        ImageBytes.put64(t, 0, pdpt | PRESENT_WRITABLE);
        for (int d = 0; d < 4; d++) {
            long directory = base + (2 + d) * 4096L;
            ImageBytes.put64(t, 4096 + d * 8, directory | PRESENT_WRITABLE);
            for (int e = 0; e < 512; e++) {
                long frame = ((long) d << 30) + ((long) e << 21);
                ImageBytes.put64(t, (int) (directory - base) + e * 8, frame | PAGE_SIZE_2M | PRESENT_WRITABLE);
            }
        }
        return t;
    }
}
