package dev.trapdoor.boot;

import java.util.ArrayList;
import java.util.List;

/**
 * An ELF32 little-endian i386 executable (System V ABI, ELF header and program header table),
 * parsed with every offset checked against the file. Only what loading needs: the entry and the
 * PT_LOAD segments.
 */
record Elf32Image(int type, long entry, List<Segment> loads) {
    static final int ET_EXEC = 2;
    static final int EM_386 = 3;
    static final int PT_LOAD = 1;
    private static final int EHDR_SIZE = 52, PHDR_SIZE = 32;

    /** One PT_LOAD: file bytes [offset, offset+fileSize) go to paddr, memSize - fileSize more are zeroed. */
    record Segment(long offset, long vaddr, long paddr, long fileSize, long memSize, int flags) {}

    static boolean looksLikeElf(byte[] b) {
        return b.length >= 4 && b[0] == 0x7f && b[1] == 'E' && b[2] == 'L' && b[3] == 'F';
    }

    static Elf32Image parse(byte[] b, String what) {
        ImageBytes img = new ImageBytes(b, what);
        img.require(0, 16, "e_ident");
        if (!looksLikeElf(b))
            throw BadImageException.of("%s is not ELF: wrong magic %02x %02x %02x %02x", what, b[0], b[1], b[2], b[3]);
        if (b[4] != 1) throw BadImageException.of("%s is not ELF32 (EI_CLASS %d; ELFCLASS64 kernels need the 64-bit loader)", what, b[4]);
        if (b[5] != 1) throw BadImageException.of("%s is not little-endian (EI_DATA %d)", what, b[5]);
        img.require(0, EHDR_SIZE, "the ELF header");
        int type = img.u16(16, "e_type");
        int machine = img.u16(18, "e_machine");
        if (type != ET_EXEC) throw BadImageException.of("%s is not an executable (e_type %d, want ET_EXEC 2)", what, type);
        if (machine != EM_386) throw BadImageException.of("%s is not for i386 (e_machine %d, want EM_386 3)", what, machine);
        long entry = img.u32(24, "e_entry");
        long phoff = img.u32(28, "e_phoff");
        int phentsize = img.u16(42, "e_phentsize");
        int phnum = img.u16(44, "e_phnum");
        if (phnum == 0) throw BadImageException.of("%s has no program headers", what);
        if (phentsize != PHDR_SIZE)
            throw BadImageException.of("%s has %d-byte program headers, not the ELF32 size 32", what, phentsize);
        img.require(phoff, (long) phnum * PHDR_SIZE, "the program header table");

        List<Segment> loads = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            long o = phoff + (long) i * PHDR_SIZE;
            if (img.u32(o, "p_type") != PT_LOAD) continue;
            Segment s = new Segment(img.u32(o + 4, "p_offset"), img.u32(o + 8, "p_vaddr"), img.u32(o + 12, "p_paddr"),
                    img.u32(o + 16, "p_filesz"), img.u32(o + 20, "p_memsz"), (int) img.u32(o + 24, "p_flags"));
            if (s.fileSize() > s.memSize())
                throw BadImageException.of("%s segment %d has p_filesz 0x%x larger than p_memsz 0x%x", what, i, s.fileSize(), s.memSize());
            if (!img.has(s.offset(), s.fileSize()))
                throw BadImageException.of("truncated %s: segment %d at file offset 0x%x+0x%x is out of the 0x%x-byte file",
                        what, i, s.offset(), s.fileSize(), b.length);
            if (s.paddr() + s.memSize() > 1L << 32)
                throw BadImageException.of("%s segment %d at 0x%x+0x%x runs past 4 GiB", what, i, s.paddr(), s.memSize());
            if (s.memSize() != 0) loads.add(s);
        }
        if (loads.isEmpty()) throw BadImageException.of("%s has no PT_LOAD segment", what);
        return new Elf32Image(type, entry, List.copyOf(loads));
    }

    /**
     * The entry as a physical address. Kernels link at a virtual address and load by p_paddr; when
     * e_entry falls in a segment's virtual range it is moved by that segment's (paddr - vaddr).
     */
    long physicalEntry() {
        for (Segment s : loads) {
            if (entry >= s.vaddr() && entry - s.vaddr() < s.memSize()) return entry - s.vaddr() + s.paddr();
        }
        return entry;
    }

    long lowestAddress() {
        long lo = Long.MAX_VALUE;
        for (Segment s : loads) lo = Math.min(lo, s.paddr());
        return lo;
    }

    long highestAddress() {
        long hi = 0;
        for (Segment s : loads) hi = Math.max(hi, s.paddr() + s.memSize());
        return hi;
    }

    /** Plans the segments' writes (zeroing the bss part) into staging. */
    void stage(Staging staging, byte[] file, String what) {
        for (int i = 0; i < loads.size(); i++) {
            Segment s = loads.get(i);
            staging.add(loads.size() == 1 ? what : what + " segment " + i, s.paddr(), file, (int) s.offset(), s.fileSize(), s.memSize());
        }
    }
}
