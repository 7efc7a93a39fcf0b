package dev.trapdoor.cpu.diff;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The smallest static i386 executable Linux runs: an ELF32 header (System V ABI, Intel386
 * supplement) and one PT_LOAD program header mapping the whole file read/write/execute at its
 * base address. No sections, no interpreter, no libc.
 */
final class Elf32 {
    private static final int EHDR_SIZE = 52, PHDR_SIZE = 32;
    private static final int ET_EXEC = 2, EM_386 = 3, PT_LOAD = 1, PF_RWX = 7;

    private Elf32() {}

    /** Writes the headers into image[0..84): the file is loaded at base and starts at entry. */
    static void writeHeaders(byte[] image, int base, int entry) {
        ByteBuffer b = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 1 /* ELFCLASS32 */, 1 /* little-endian */, 1 /* EV_CURRENT */, 0 /* SYSV */});
        b.put(new byte[8]);
        b.putShort((short) ET_EXEC).putShort((short) EM_386).putInt(1);
        b.putInt(entry).putInt(EHDR_SIZE).putInt(0).putInt(0);
        b.putShort((short) EHDR_SIZE).putShort((short) PHDR_SIZE).putShort((short) 1);
        b.putShort((short) 40).putShort((short) 0).putShort((short) 0);
        b.putInt(PT_LOAD).putInt(0).putInt(base).putInt(base);
        b.putInt(image.length).putInt(image.length).putInt(PF_RWX).putInt(0x1000);
    }
}
