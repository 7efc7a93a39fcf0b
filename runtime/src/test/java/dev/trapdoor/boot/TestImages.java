package dev.trapdoor.boot;

import dev.trapdoor.memory.PhysicalMemory;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Synthetic guest images, built byte by byte from the formats' layouts, for the loader tests. */
final class TestImages {
    private TestImages() {}

    /** An ELF32 segment to build: bytes at paddr (and vaddr), memSize >= bytes.length. */
    record Seg(long vaddr, long paddr, byte[] bytes, long memSize) {
        Seg(long addr, byte[] bytes, long memSize) { this(addr, addr, bytes, memSize); }
    }

    /** An ELF32 i386 ET_EXEC with one PT_LOAD per segment; extra bytes (e.g. a multiboot header) go first in the file after the headers. */
    static byte[] elf32(long entry, byte[] prefix, Seg... segs) {
        int phoff = 52, phnum = segs.length;
        int dataStart = phoff + 32 * phnum;
        int prefixAt = dataStart;
        int off = dataStart + prefix.length;
        int total = off;
        for (Seg s : segs) total += s.bytes().length;
        byte[] f = new byte[total];
        f[0] = 0x7f; f[1] = 'E'; f[2] = 'L'; f[3] = 'F';
        f[4] = 1; f[5] = 1; f[6] = 1;
        ImageBytes.put16(f, 16, Elf32Image.ET_EXEC);
        ImageBytes.put16(f, 18, Elf32Image.EM_386);
        ImageBytes.put32(f, 20, 1);
        ImageBytes.put32(f, 24, entry);
        ImageBytes.put32(f, 28, phoff);
        ImageBytes.put16(f, 40, 52);
        ImageBytes.put16(f, 42, 32);
        ImageBytes.put16(f, 44, phnum);
        System.arraycopy(prefix, 0, f, prefixAt, prefix.length);
        for (int i = 0; i < segs.length; i++) {
            Seg s = segs[i];
            int p = phoff + 32 * i;
            ImageBytes.put32(f, p, Elf32Image.PT_LOAD);
            ImageBytes.put32(f, p + 4, off);
            ImageBytes.put32(f, p + 8, s.vaddr());
            ImageBytes.put32(f, p + 12, s.paddr());
            ImageBytes.put32(f, p + 16, s.bytes().length);
            ImageBytes.put32(f, p + 20, s.memSize());
            ImageBytes.put32(f, p + 24, 7);
            System.arraycopy(s.bytes(), 0, f, off, s.bytes().length);
            off += s.bytes().length;
        }
        return f;
    }

    static byte[] elf32(long entry, Seg... segs) {
        return elf32(entry, new byte[0], segs);
    }

    static byte[] pattern(int n, int seed) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) b[i] = (byte) (seed + i * 7 + (i >>> 8));
        return b;
    }

    /** A multiboot header with the given flags and valid checksum; the address fields follow when flag 16 is set. */
    static byte[] multibootHeader(long flags, long... addressFields) {
        byte[] h = new byte[12 + 4 * addressFields.length];
        ImageBytes.put32(h, 0, MultibootHeader.MAGIC);
        ImageBytes.put32(h, 4, flags);
        ImageBytes.put32(h, 8, -(MultibootHeader.MAGIC + flags));
        for (int i = 0; i < addressFields.length; i++) ImageBytes.put32(h, 12 + 4 * i, addressFields[i]);
        return h;
    }

    /** Builder for a synthetic bzImage: a setup header at the real offsets and a protected-mode part. */
    static final class BzImage {
        int version = 0x020f;
        int setupSects = 4;
        int loadflags = SetupHeader.LOADED_HIGH;
        boolean relocatable = true;
        long prefAddress = 0x1000000;
        long initSize = 0x400000;
        long kernelAlignment = 0x200000;
        long initrdAddrMax = 0x7fffffff;
        long cmdlineSize = 2047;
        int xloadflags = 0;
        byte[] kernel = pattern(0x3000, 1);
        int payloadOffset = 0x100;
        byte[] payload = new byte[0];
        Integer syssizeOverride;

        byte[] build() {
            int setup = ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
            int pmLen = Math.max(kernel.length, payloadOffset + payload.length);
            pmLen = (pmLen + 15) & -16;
            byte[] f = new byte[setup + pmLen];
            f[0x1f1] = (byte) setupSects;
            ImageBytes.put32(f, 0x1f4, syssizeOverride != null ? syssizeOverride : pmLen / 16);
            ImageBytes.put16(f, 0x1fe, 0xAA55);
            f[0x200] = (byte) 0xeb;
            f[0x201] = 0x6a; // jump over the header: it ends at 0x26c
            ImageBytes.put32(f, 0x202, 0x53726448L);
            ImageBytes.put16(f, 0x206, version);
            f[0x211] = (byte) loadflags;
            ImageBytes.put32(f, 0x214, 0x100000);
            ImageBytes.put32(f, 0x22c, initrdAddrMax);
            ImageBytes.put32(f, 0x230, kernelAlignment);
            f[0x234] = (byte) (relocatable ? 1 : 0);
            f[0x235] = 21;
            ImageBytes.put16(f, 0x236, xloadflags);
            ImageBytes.put32(f, 0x238, cmdlineSize);
            ImageBytes.put32(f, 0x248, payload.length == 0 ? 0 : payloadOffset);
            ImageBytes.put32(f, 0x24c, payload.length);
            ImageBytes.put64(f, 0x258, prefAddress);
            ImageBytes.put32(f, 0x260, initSize);
            System.arraycopy(kernel, 0, f, setup, kernel.length);
            System.arraycopy(payload, 0, f, setup + payloadOffset, payload.length);
            return f;
        }

        /** Puts elf as the payload, compressed the way the kernel build does it: the stream, then the size as 4 bytes. */
        BzImage payloadXz(byte[] elf) {
            payload = withSize(xz(elf), elf.length);
            return this;
        }

        BzImage payloadGzip(byte[] elf) {
            payload = withSize(gzip(elf), elf.length);
            return this;
        }
    }

    static byte[] withSize(byte[] stream, int size) {
        byte[] p = new byte[stream.length + 4];
        System.arraycopy(stream, 0, p, 0, stream.length);
        ImageBytes.put32(p, stream.length, size);
        return p;
    }

    static byte[] xz(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (XZOutputStream xz = new XZOutputStream(out, new LZMA2Options(1))) {
                xz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
                gz.write(data);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static PhysicalMemory ram(long size) {
        PhysicalMemory m = new PhysicalMemory();
        m.addRam("ram", 0, size);
        return m;
    }

    /** True when every byte of the RAM region at 0 is still zero. */
    static boolean untouched(PhysicalMemory m) {
        MemorySegment s = m.ramAt(0);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment zeros = a.allocate(s.byteSize());
            return MemorySegment.mismatch(s, 0, s.byteSize(), zeros, 0, s.byteSize()) == -1;
        }
    }

    /** build/guests/NAME at the repository root (found from the working directory upwards), or null. */
    static Path guestFile(String name) {
        Path d = Path.of("").toAbsolutePath();
        for (; d != null; d = d.getParent()) {
            Path p = d.resolve("build").resolve("guests").resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }
}
