package dev.trapdoor.boot;

/**
 * Where loaders put their own structures in low guest memory: above the real-mode IVT and BIOS
 * data area (0x000-0x4ff), below the usual 1 MiB kernel load address.
 */
final class BootLayout {
    static final long GDT = 0x500;
    /** Initial ESP for flat entries: below the zero page, growing into free low memory. */
    static final long STACK_TOP = 0x7000;
    static final long ZERO_PAGE = 0x7000;
    static final long MULTIBOOT_INFO = 0x9000;
    /** The 64-bit entry's identity-map page tables (6 pages, up to 0x10000). */
    static final long PAGE_TABLES_64 = 0xa000;
    static final long CMDLINE = 0x20000;

    private BootLayout() {}
}
