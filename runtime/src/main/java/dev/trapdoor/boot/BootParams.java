package dev.trapdoor.boot;

/**
 * The zero page: struct boot_params (arch/x86/include/uapi/asm/bootparam.h, described in
 * Documentation/arch/x86/zero-page.rst) as a loader fills it for the 32-bit boot protocol.
 * Everything not set here stays zero, which the kernel reads as "not provided": screen_info is
 * zero (orig_video_isVGA = 0, no lines or columns), so the kernel finds no VGA text console.
 */
final class BootParams {
    static final int SIZE = 4096;

    // struct boot_params offsets (zero-page.rst)
    static final int EXT_MEM_K = 0x002;         // screen_info.ext_mem_k, u16
    static final int ORIG_VIDEO_IS_VGA = 0x00f; // screen_info.orig_video_isVGA, u8
    static final int ALT_MEM_K = 0x1e0;         // u32
    static final int E820_ENTRIES = 0x1e8;      // u8
    static final int SENTINEL = 0x1ef;          // must stay 0, or the kernel wipes "uninitialized" fields
    static final int E820_TABLE = 0x2d0;        // 128 x {u64 addr, u64 size, u32 type}
    static final int E820_MAX = 128;

    // setup header fields inside boot_params (boot.rst offsets)
    static final int TYPE_OF_LOADER = 0x210;
    static final int LOADFLAGS = 0x211;
    static final int CODE32_START = 0x214;
    static final int RAMDISK_IMAGE = 0x218;
    static final int RAMDISK_SIZE = 0x21c;
    static final int HEAP_END_PTR = 0x224;
    static final int CMD_LINE_PTR = 0x228;

    /** "Undefined" boot loader id (boot.rst, type_of_loader). */
    static final int LOADER_UNDEFINED = 0xff;
    /** heap_end_ptr: end of the setup stack/heap, relative to the start of setup (0x200 below the real-mode base). */
    static final int HEAP_END = 0xfe00;

    private BootParams() {}

    static byte[] build(byte[] image, SetupHeader h, E820Map map, long kernelLoad, long cmdlinePtr,
                        long ramdiskImage, long ramdiskSize) {
        byte[] zp = new byte[SIZE];
        // boot.rst, "Details of Header Fields": copy the setup header from the image as is, then fill in the loader's fields.
        System.arraycopy(image, SetupHeader.OFFSET, zp, SetupHeader.OFFSET, h.headerEnd() - SetupHeader.OFFSET);
        zp[TYPE_OF_LOADER] = (byte) LOADER_UNDEFINED;
        zp[LOADFLAGS] = (byte) (h.loadflags() | SetupHeader.CAN_USE_HEAP);
        ImageBytes.put32(zp, CODE32_START, kernelLoad);
        ImageBytes.put32(zp, RAMDISK_IMAGE, ramdiskImage);
        ImageBytes.put32(zp, RAMDISK_SIZE, ramdiskSize);
        ImageBytes.put16(zp, HEAP_END_PTR, HEAP_END);
        ImageBytes.put32(zp, CMD_LINE_PTR, cmdlinePtr);

        zp[ORIG_VIDEO_IS_VGA] = 0;
        long above1m = map.usableFrom(E820Map.LEGACY_END) / 1024;
        ImageBytes.put16(zp, EXT_MEM_K, (int) Math.min(above1m, 0xffff));
        ImageBytes.put32(zp, ALT_MEM_K, Math.min(above1m, 0xffffffffL));

        int n = Math.min(map.entries().size(), E820_MAX);
        zp[E820_ENTRIES] = (byte) n;
        for (int i = 0; i < n; i++) {
            E820Map.Entry e = map.entries().get(i);
            int o = E820_TABLE + 20 * i;
            ImageBytes.put64(zp, o, e.base());
            ImageBytes.put64(zp, o + 8, e.length());
            ImageBytes.put32(zp, o + 16, e.type());
        }
        return zp;
    }
}
