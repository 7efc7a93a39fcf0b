package dev.trapdoor.boot;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class InitramfsTest {
    record CpioEntry(long ino, int mode, int nlink, long mtime, int rmajor, int rminor, byte[] data) {}

    /** An independent newc reader (buffer-format.rst): checks the magic, the 4-byte alignment and the trailer. */
    static Map<String, CpioEntry> parse(byte[] b) {
        Map<String, CpioEntry> out = new LinkedHashMap<>();
        int o = 0;
        while (true) {
            assertEquals(0, o % 4, "entries start 4-byte aligned");
            String h = new String(b, o, 110, StandardCharsets.US_ASCII);
            assertEquals("070701", h.substring(0, 6));
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) f[i] = Long.parseLong(h.substring(6 + 8 * i, 14 + 8 * i), 16);
            int namesize = (int) f[11];
            String name = new String(b, o + 110, namesize - 1, StandardCharsets.UTF_8);
            assertEquals(0, b[o + 110 + namesize - 1], "names end with NUL");
            int data = align4(o + 110 + namesize);
            int size = (int) f[6];
            if (name.equals("TRAILER!!!")) {
                assertEquals(b.length, align4(data + size), "nothing after the trailer");
                return out;
            }
            assertEquals(0, f[12], "check field is 0 for newc");
            byte[] d = new byte[size];
            System.arraycopy(b, data, d, 0, size);
            assertNull(out.put(name, new CpioEntry(f[0], (int) f[1], (int) f[4], f[5], (int) f[9], (int) f[10], d)), "duplicate " + name);
            o = align4(data + size);
        }
    }

    static int align4(int v) { return (v + 3) & ~3; }

    @Test
    void writesNewcEntriesThatParseBack() throws IOException {
        Initramfs fs = new Initramfs()
                .file("/bin/tool", 0755, new byte[]{1, 2, 3, 4, 5})
                .symlink("/bin/sh", "tool")
                .charDevice("/dev/console", 0600, 5, 1)
                .file("/etc/motd", 0644, "hello\n")
                .directory("/proc", 0555);
        byte[] cpio = fs.toCpio();
        Map<String, CpioEntry> e = parse(cpio);
        assertEquals(java.util.List.of("bin", "bin/tool", "bin/sh", "dev", "dev/console", "etc", "etc/motd", "proc"),
                java.util.List.copyOf(e.keySet()), "parents first, in order");
        assertEquals(0040755, e.get("bin").mode());
        assertEquals(2, e.get("bin").nlink());
        assertEquals(0100755, e.get("bin/tool").mode());
        assertArrayEquals(new byte[]{1, 2, 3, 4, 5}, e.get("bin/tool").data());
        assertEquals(0120777, e.get("bin/sh").mode());
        assertEquals("tool", new String(e.get("bin/sh").data(), StandardCharsets.UTF_8));
        assertEquals(0020600, e.get("dev/console").mode());
        assertEquals(5, e.get("dev/console").rmajor());
        assertEquals(1, e.get("dev/console").rminor());
        assertEquals(0040555, e.get("proc").mode());
        assertEquals(0, e.get("etc/motd").mtime());
        assertEquals(e.size(), e.values().stream().mapToLong(CpioEntry::ino).distinct().count(), "distinct inodes");

        byte[] gz = fs.toGzip();
        assertArrayEquals(cpio, new GZIPInputStream(new ByteArrayInputStream(gz)).readAllBytes());
        assertArrayEquals(gz, fs.toGzip(), "same inputs, same bytes");
    }

    @Test
    void refusesPathsThatEscapeOrCollideWithTheTrailer() {
        Initramfs fs = new Initramfs();
        assertThrows(IllegalArgumentException.class, () -> fs.file("/../etc/x", 0644, "x"));
        assertThrows(IllegalArgumentException.class, () -> fs.file("/", 0644, "x"));
        assertThrows(IllegalArgumentException.class, () -> fs.file("a//b", 0644, "x"));
        assertThrows(IllegalArgumentException.class, () -> fs.file("TRAILER!!!", 0644, "x"));
    }

    @Test
    void theBusyboxInitramfsHasInitTheAppletsAndTheConsole() {
        byte[] fakeBusybox = "not really busybox".getBytes(StandardCharsets.US_ASCII);
        Map<String, CpioEntry> e = parse(Initramfs.busybox(fakeBusybox).toCpio());
        assertArrayEquals(fakeBusybox, e.get("bin/busybox").data());
        assertEquals(0100755, e.get("bin/busybox").mode());
        for (String applet : Initramfs.DEFAULT_APPLETS)
            assertEquals("busybox", new String(e.get("bin/" + applet).data(), StandardCharsets.UTF_8), applet);
        assertEquals(5, e.get("dev/console").rmajor());
        String init = new String(e.get("init").data(), StandardCharsets.UTF_8);
        assertEquals(0100755, e.get("init").mode());
        assertTrue(init.startsWith("#!/bin/busybox sh\n"));
        assertTrue(init.contains("echo " + Initramfs.READY_MARKER));
        assertTrue(init.contains("mount -t devtmpfs"));
        assertTrue(init.contains("poweroff -f"));
        assertTrue(init.contains("exec setsid cttyhack sh"));
        for (String dir : new String[]{"proc", "sys", "dev", "tmp"}) assertEquals(0040755, e.get(dir).mode(), dir);
    }

    /** The host runs static i386 binaries: run /init's command-line parsing under the real busybox. */
    @Test
    void theInitScriptsParsingWorksUnderTheRealBusybox(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path busybox = TestImages.guestFile("busybox");
        assumeTrue(busybox != null, "build/guests/busybox is missing: run scripts/guests/fetch.sh");
        String script = Initramfs.initScript();
        String parse = script.substring(script.indexOf("cmd=\n"), script.indexOf("if [ -n"));
        String[][] cases = {
                {"console=ttyS0 trapdoor.cmd=\"echo hi there\" quiet", "echo hi there"},
                {"console=ttyS0 trapdoor.cmd=uname panic=-1", "uname"},
                {"console=ttyS0 quiet", ""}};
        for (String[] c : cases) {
            Path f = dir.resolve("t.sh");
            Files.writeString(f, "cmdline='" + c[0] + "'\n" + parse + "printf '[%s]' \"$cmd\"\n");
            Process p = new ProcessBuilder(busybox.toString(), "sh", f.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            assertEquals("[" + c[1] + "]", out, c[0]);
        }
    }
}
