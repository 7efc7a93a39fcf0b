package dev.trapdoor.boot;

/** Tells what kind of guest image a file is, from its bytes, so the right loader can take it. */
public final class ImageProbe {
    public enum Format { BZIMAGE, MULTIBOOT, ELF, FLAT }

    private ImageProbe() {}

    /**
     * A Linux kernel has the boot sector signature and "HdrS" (boot.rst); a multiboot kernel has a
     * header with a valid checksum in its first 8 KiB (checked before ELF, as multiboot kernels are
     * often ELF files); an ELF file has its magic; anything else is a flat binary.
     */
    public static Format detect(byte[] image) {
        if (SetupHeader.looksLikeBzImage(image)) return Format.BZIMAGE;
        if (MultibootHeader.find(image) >= 0) return Format.MULTIBOOT;
        if (Elf32Image.looksLikeElf(image)) return Format.ELF;
        return Format.FLAT;
    }
}
