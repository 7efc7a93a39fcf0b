package dev.trapdoor.cpu.diff;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The executable sections of an ELF32 file (executable or relocatable), read from its section headers. */
final class ElfSections {
    private static final int SHT_PROGBITS = 1, SHF_EXECINSTR = 4;

    record Section(String name, long addr, byte[] bytes) {}

    private ElfSections() {}

    static List<Section> executable(Path file) throws IOException {
        byte[] f = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN);
        if (f.length < 52 || b.getInt(0) != 0x464c457f || f[4] != 1) throw new IOException(file + " is not ELF32");
        int shoff = b.getInt(32), shentsize = b.getShort(46) & 0xffff, shnum = b.getShort(48) & 0xffff;
        int shstrndx = b.getShort(50) & 0xffff;
        int strOff = b.getInt(shoff + shstrndx * shentsize + 16);
        List<Section> out = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int h = shoff + i * shentsize;
            int type = b.getInt(h + 4), flags = b.getInt(h + 8);
            if (type != SHT_PROGBITS || (flags & SHF_EXECINSTR) == 0) continue;
            long addr = b.getInt(h + 12) & 0xffffffffL;
            int off = b.getInt(h + 16), size = b.getInt(h + 20);
            int nameAt = strOff + b.getInt(h);
            int end = nameAt;
            while (f[end] != 0) end++;
            byte[] data = new byte[size];
            System.arraycopy(f, off, data, 0, size);
            out.add(new Section(new String(f, nameAt, end - nameAt, StandardCharsets.ISO_8859_1), addr, data));
        }
        return out;
    }
}
