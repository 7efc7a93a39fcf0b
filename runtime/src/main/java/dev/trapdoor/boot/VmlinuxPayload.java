package dev.trapdoor.boot;

import org.tukaani.xz.SingleXZInputStream;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * The uncompressed kernel (vmlinux, an ELF file) inside a bzImage: boot protocol 2.08 added
 * payload_offset and payload_length, which locate the compressed vmlinux inside the
 * protected-mode part. The kernel build appends the uncompressed size as 4 little-endian bytes
 * (scripts/Makefile.lib, size_append), which bounds the output before decompressing.
 */
final class VmlinuxPayload {
    /** No i386 kernel is near this; a larger claimed size is a hostile or broken image. */
    static final long MAX_SIZE = 512L << 20;
    private static final int XZ_MEMORY_LIMIT_KIB = 256 * 1024;

    private VmlinuxPayload() {}

    static long payloadStart(SetupHeader h) {
        return h.setupBytes() + h.payloadOffset();
    }

    /** The uncompressed size the build appended to the payload. */
    static long declaredSize(byte[] bz, SetupHeader h) {
        if (h.version() < 0x0208 || h.payloadLength() < 8)
            throw BadImageException.of("the kernel has no payload to extract (boot protocol %s; payload_offset/length need 2.08)",
                    h.versionString());
        ImageBytes img = new ImageBytes(bz, "bzImage");
        long size = img.u32(payloadStart(h) + h.payloadLength() - 4, "the payload's size trailer");
        if (size == 0 || size > MAX_SIZE)
            throw BadImageException.of("bad bzImage payload: it claims an uncompressed size of %,d bytes", size);
        return size;
    }

    static byte[] extract(byte[] bz, SetupHeader h) {
        long size = declaredSize(bz, h);
        int start = (int) payloadStart(h);
        int len = (int) h.payloadLength();
        String kind = compression(bz, start);
        byte[] out = new byte[(int) size];
        try (InputStream in = switch (kind) {
            case "xz" -> new SingleXZInputStream(new ByteArrayInputStream(bz, start, len), XZ_MEMORY_LIMIT_KIB);
            case "gzip" -> new GZIPInputStream(new ByteArrayInputStream(bz, start, len), 64 * 1024);
            default -> throw BadImageException.of("the kernel payload is %s-compressed: only xz and gzip payloads can be extracted", kind);
        }) {
            int n = in.readNBytes(out, 0, out.length);
            if (n != out.length)
                throw BadImageException.of("bad bzImage payload: it decompresses to %,d bytes, not the declared %,d", n, out.length);
            if (in.read() >= 0)
                throw BadImageException.of("bad bzImage payload: it decompresses to more than the declared %,d bytes", out.length);
        } catch (IOException e) {
            throw new BadImageException("bad bzImage payload: the " + kind + " stream is corrupt (" + e.getMessage() + ")", e);
        }
        if (!Elf32Image.looksLikeElf(out))
            throw new BadImageException("bad bzImage payload: it decompresses to something that is not an ELF vmlinux");
        return out;
    }

    /** The compressor, from the payload's magic bytes (the kernel's compressed/Makefile choices). */
    static String compression(byte[] b, int at) {
        if (matches(b, at, 0xfd, '7', 'z', 'X', 'Z', 0)) return "xz";
        if (matches(b, at, 0x1f, 0x8b)) return "gzip";
        if (matches(b, at, 0x28, 0xb5, 0x2f, 0xfd)) return "zstd";
        if (matches(b, at, 0x02, 0x21, 0x4c, 0x18)) return "lz4";
        if (matches(b, at, 'B', 'Z', 'h')) return "bzip2";
        if (matches(b, at, 0x89, 'L', 'Z', 'O')) return "lzo";
        if (matches(b, at, 0x5d, 0, 0)) return "lzma";
        return "unknown";
    }

    private static boolean matches(byte[] b, int at, int... magic) {
        if (at < 0 || at + magic.length > b.length) return false;
        for (int i = 0; i < magic.length; i++) if ((b[at + i] & 0xff) != magic[i]) return false;
        return true;
    }

    /** The cache file next to an image: FILE.vmlinux. */
    static Path cachePath(Path image) {
        return image.resolveSibling(image.getFileName() + ".vmlinux");
    }

    /**
     * The vmlinux of the bzImage at path, from FILE.vmlinux when that is at least as new as the
     * image and has the declared size; otherwise extracted and cached (when the directory is
     * writable; a cache that cannot be written is skipped).
     */
    static byte[] extractCached(Path image, byte[] bz, SetupHeader h) {
        long size = declaredSize(bz, h);
        Path cache = cachePath(image);
        try {
            if (Files.isRegularFile(cache) && Files.size(cache) == size
                    && Files.getLastModifiedTime(cache).compareTo(Files.getLastModifiedTime(image)) >= 0) {
                byte[] cached = Files.readAllBytes(cache);
                if (Elf32Image.looksLikeElf(cached)) return cached;
            }
        } catch (IOException e) {
            // unreadable cache: extract again
        }
        byte[] elf = extract(bz, h);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(cache.toAbsolutePath().getParent(), cache.getFileName().toString(), ".tmp");
            Files.write(tmp, elf);
            Files.move(tmp, cache, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | UnsupportedOperationException e) {
            // read-only directory: run without a cache
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
        return elf;
    }
}
