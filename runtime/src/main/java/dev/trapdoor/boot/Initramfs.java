package dev.trapdoor.boot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

/**
 * An initramfs written in pure Java: a "newc" cpio archive (Documentation/driver-api/early-userspace/
 * buffer-format.rst), optionally gzip-compressed, as the kernel unpacks into rootfs. Entries keep
 * the order they were added in; parent directories are added on demand; timestamps are zero, so
 * the same inputs give the same bytes.
 */
public final class Initramfs {
    static final int S_IFDIR = 0040000, S_IFREG = 0100000, S_IFLNK = 0120000, S_IFCHR = 0020000;
    static final String MAGIC = "070701";
    static final String TRAILER = "TRAILER!!!";

    /** The marker /init prints once userspace runs; tests and scripts wait for it on the console. */
    public static final String READY_MARKER = "TRAPDOOR-USERSPACE-READY";

    /** The applets /init uses, plus a few that make the shell useful. */
    public static final List<String> DEFAULT_APPLETS = List.of(
            "sh", "mount", "umount", "cat", "echo", "poweroff", "reboot", "setsid", "cttyhack",
            "ls", "mkdir", "dmesg", "uname", "ps", "sleep", "grep", "free", "true", "false", "halt");

    record Entry(String name, int mode, int devMajor, int devMinor, byte[] data) {}

    private final Map<String, Entry> entries = new LinkedHashMap<>();

    public Initramfs directory(String path, int perm) {
        String n = normalize(path);
        ensureParents(n);
        entries.putIfAbsent(n, new Entry(n, S_IFDIR | (perm & 07777), 0, 0, new byte[0]));
        return this;
    }

    public Initramfs file(String path, int perm, byte[] data) {
        String n = normalize(path);
        ensureParents(n);
        entries.put(n, new Entry(n, S_IFREG | (perm & 07777), 0, 0, data.clone()));
        return this;
    }

    public Initramfs file(String path, int perm, String text) {
        return file(path, perm, text.getBytes(StandardCharsets.UTF_8));
    }

    public Initramfs symlink(String path, String target) {
        String n = normalize(path);
        ensureParents(n);
        entries.put(n, new Entry(n, S_IFLNK | 0777, 0, 0, target.getBytes(StandardCharsets.UTF_8)));
        return this;
    }

    public Initramfs charDevice(String path, int perm, int major, int minor) {
        String n = normalize(path);
        ensureParents(n);
        entries.put(n, new Entry(n, S_IFCHR | (perm & 07777), major, minor, new byte[0]));
        return this;
    }

    private void ensureParents(String n) {
        int slash = n.lastIndexOf('/');
        if (slash > 0) directory(n.substring(0, slash), 0755);
    }

    /** cpio names are relative ("init", "bin/sh"), as the kernel's gen_init_cpio writes them. */
    private static String normalize(String path) {
        String n = path;
        while (n.startsWith("/")) n = n.substring(1);
        while (n.endsWith("/")) n = n.substring(0, n.length() - 1);
        if (n.isEmpty() || n.contains("//") || n.equals(TRAILER) || List.of(n.split("/")).contains(".."))
            throw new IllegalArgumentException("bad initramfs path '" + path + "'");
        return n;
    }

    /** The uncompressed newc archive. */
    public byte[] toCpio() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int ino = 1;
        for (Entry e : entries.values()) {
            int nlink = (e.mode() & 0170000) == S_IFDIR ? 2 : 1;
            writeEntry(out, ino++, e.mode(), nlink, e.devMajor(), e.devMinor(), e.name(), e.data());
        }
        writeEntry(out, 0, 0, 1, 0, 0, TRAILER, new byte[0]);
        return out.toByteArray();
    }

    /** The archive, gzip-compressed (the kernel's initramfs decompressors accept gzip on every config). */
    public byte[] toGzip() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
            gz.write(toCpio());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void writeEntry(ByteArrayOutputStream out, int ino, int mode, int nlink, int rmajor, int rminor,
                                   String name, byte[] data) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        // c_magic then 13 eight-digit hex fields: ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
        StringBuilder h = new StringBuilder(110).append(MAGIC);
        for (long v : new long[]{ino, mode, 0, 0, nlink, 0, data.length, 0, 0, rmajor, rminor, nameBytes.length + 1, 0})
            h.append(String.format("%08X", v));
        out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(nameBytes);
        out.write(0);
        pad(out);
        out.writeBytes(data);
        pad(out);
    }

    /** Header + name, and the data, each end on a 4-byte boundary. */
    private static void pad(ByteArrayOutputStream out) {
        while (out.size() % 4 != 0) out.write(0);
    }

    /**
     * The standard Trapdoor initramfs around a static busybox: /init mounts proc, sys and devtmpfs,
     * prints {@link #READY_MARKER}, then runs the command given as trapdoor.cmd=... on the kernel
     * command line and powers off, or (without one) starts a shell with job control on the console.
     */
    public static Initramfs busybox(byte[] busybox) {
        Initramfs fs = new Initramfs();
        for (String d : List.of("/bin", "/sbin", "/dev", "/proc", "/sys", "/tmp", "/root", "/etc")) fs.directory(d, 0755);
        fs.charDevice("/dev/console", 0600, 5, 1);
        fs.charDevice("/dev/null", 0666, 1, 3);
        fs.file("/bin/busybox", 0755, busybox);
        for (String applet : DEFAULT_APPLETS) fs.symlink("/bin/" + applet, "busybox");
        fs.file("/init", 0755, initScript());
        return fs;
    }

    /** {@code java -cp ... dev.trapdoor.boot.Initramfs BUSYBOX OUT.cpio.gz}: writes the standard busybox initramfs. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Initramfs BUSYBOX OUT.cpio.gz");
            System.exit(2);
        }
        byte[] gz = busybox(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(args[0]))).toGzip();
        java.nio.file.Files.write(java.nio.file.Path.of(args[1]), gz);
        System.out.println(args[1] + ": " + gz.length + " bytes");
    }

    static String initScript() {
        return """
                #!/bin/busybox sh
                export PATH=/bin:/sbin
                mount -t proc proc /proc
                mount -t sysfs sysfs /sys
                mount -t devtmpfs devtmpfs /dev 2>/dev/null
                echo %s
                # trapdoor.cmd=word or trapdoor.cmd="several words" (the kernel keeps the quotes in /proc/cmdline)
                cmdline=$(cat /proc/cmdline)
                cmd=
                case "$cmdline" in
                  *'trapdoor.cmd="'*) cmd=${cmdline#*trapdoor.cmd=\\"}; cmd=${cmd%%%%\\"*} ;;
                  *trapdoor.cmd=*) cmd=${cmdline#*trapdoor.cmd=}; cmd=${cmd%%%% *} ;;
                esac
                if [ -n "$cmd" ]; then
                  sh -c "$cmd"
                  echo "TRAPDOOR-CMD-EXIT $?"
                  poweroff -f
                fi
                exec setsid cttyhack sh
                """.formatted(READY_MARKER);
    }
}
