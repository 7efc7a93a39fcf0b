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
    static final long CMDLINE = 0x20000;

    private BootLayout() {}
}
