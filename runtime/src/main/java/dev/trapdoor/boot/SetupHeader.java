package dev.trapdoor.boot;

/**
 * The real-mode kernel header of a bzImage (Documentation/arch/x86/boot.rst, "The Real-Mode
 * Kernel Header"), parsed and checked. Offsets are from the start of the file; the header proper
 * runs from 0x1f1 to 0x202 + the byte at 0x201.
 */
public record SetupHeader(
        int setupSects, long syssize, int version, int loadflags, long code32Start,
        long initrdAddrMax, long kernelAlignment, boolean relocatable, int minAlignment, int xloadflags,
        long cmdlineSize, long payloadOffset, long payloadLength, long prefAddress, long initSize,
        int headerEnd) {

    static final int OFFSET = 0x1f1;
    /** struct boot_params keeps the header in 0x1f1..0x28f; 0x290 starts the EDD signature buffer. */
    static final int MAX_END = 0x290;
    static final int MIN_VERSION = 0x0206;

    static final int LOADED_HIGH = 0x01, CAN_USE_HEAP = 0x80;
    static final int XLF_KERNEL_64 = 0x01;

    /** Size of the real-mode part (boot sector + setup) in the file: (setup_sects + 1) * 512. */
    public long setupBytes() { return (setupSects + 1L) * 512; }

    /** Size of the protected-mode kernel in the file: syssize is in 16-byte paragraphs. */
    public long kernelBytes() { return syssize * 16; }

    public String versionString() { return (version >>> 8) + "." + String.format("%02d", version & 0xff); }

    static boolean looksLikeBzImage(byte[] b) {
        ImageBytes img = new ImageBytes(b, "bzImage");
        return img.has(0x1fe, 8) && img.u16(0x1fe, "boot_flag") == 0xAA55 && img.u32(0x202, "header") == HDRS;
    }

    private static final long HDRS = 0x53726448L; // "HdrS"

    static SetupHeader parse(byte[] b) {
        ImageBytes img = new ImageBytes(b, "bzImage");
        img.require(0, 0x206, "the setup header");
        int bootFlag = img.u16(0x1fe, "boot_flag");
        if (bootFlag != 0xAA55)
            throw BadImageException.of("not a Linux kernel image: boot_flag at 0x1fe is 0x%04x, not 0xAA55", bootFlag);
        long magic = img.u32(0x202, "header");
        if (magic != HDRS)
            throw BadImageException.of("not a bzImage: the header magic at 0x202 is 0x%08x, not \"HdrS\" (boot protocol < 2.00)", magic);
        int version = img.u16(0x206, "version");
        if (version < MIN_VERSION)
            throw BadImageException.of("boot protocol %d.%02d is too old: this loader needs 2.06 or later (cmdline_size, a relocatable-aware header)",
                    version >>> 8, version & 0xff);
        int headerEnd = 0x202 + img.u8(0x201, "jump offset");
        if (headerEnd < 0x23c) headerEnd = 0x23c; // 2.06 defines fields up to cmdline_size (0x238..0x23b)
        img.require(0, Math.min(headerEnd, MAX_END), "the setup header");

        int setupSects = img.u8(0x1f1, "setup_sects");
        if (setupSects == 0) setupSects = 4; // boot.rst: "if this field is 0, the real value is 4"
        long syssize = img.u32(0x1f4, "syssize");
        int loadflags = img.u8(0x211, "loadflags");
        if ((loadflags & LOADED_HIGH) == 0)
            throw new BadImageException("the kernel is a zImage (loadflags.LOADED_HIGH clear): only bzImages load above 1 MiB");
        long code32 = img.u32(0x214, "code32_start");
        long initrdMax = img.u32(0x22c, "initrd_addr_max");
        long align = img.u32(0x230, "kernel_alignment");
        boolean relocatable = img.u8(0x234, "relocatable_kernel") != 0;
        long cmdlineSize = img.u32(0x238, "cmdline_size");
        boolean v208 = version >= 0x0208 && headerEnd >= 0x250, v210 = version >= 0x020a && headerEnd >= 0x264;
        int minAlign = version >= 0x020a ? img.u8(0x235, "min_alignment") : 0;
        int xloadflags = version >= 0x020c ? img.u16(0x236, "xloadflags") : 0;
        long payloadOffset = v208 ? img.u32(0x248, "payload_offset") : 0;
        long payloadLength = v208 ? img.u32(0x24c, "payload_length") : 0;
        long pref = v210 ? img.u64(0x258, "pref_address") : 0;
        long initSize = v210 ? img.u32(0x260, "init_size") : 0;

        SetupHeader h = new SetupHeader(setupSects, syssize, version, loadflags, code32, initrdMax, align,
                relocatable, minAlign, xloadflags, cmdlineSize, payloadOffset, payloadLength, pref, initSize,
                Math.min(headerEnd, MAX_END));
        // The protected-mode kernel follows the setup sectors; syssize says how long it is (2.04+).
        long pm = h.setupBytes();
        if (syssize == 0 || pm + h.kernelBytes() > b.length)
            throw BadImageException.of("truncated bzImage: setup (%d sectors) plus the protected-mode kernel (syssize 0x%x paragraphs) need 0x%x bytes but the file is 0x%x bytes",
                    setupSects, syssize, pm + h.kernelBytes(), b.length);
        if (payloadLength != 0 && payloadOffset + payloadLength > h.kernelBytes())
            throw BadImageException.of("bad bzImage: the payload at 0x%x+0x%x lies outside the 0x%x-byte protected-mode kernel",
                    payloadOffset, payloadLength, h.kernelBytes());
        if (align != 0 && Long.bitCount(align) != 1)
            throw BadImageException.of("bad bzImage: kernel_alignment 0x%x is not a power of two", align);
        return h;
    }

    public boolean is64Bit() { return (xloadflags & XLF_KERNEL_64) != 0; }
}
