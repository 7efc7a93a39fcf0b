package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.Vm;
import dev.trapdoor.boot.Initramfs;
import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.StreamCharBackend;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The machine {@code trapdoor boot} makes, in one place for the command and for scripts
 * ({@code examples/linux/boot.groovy}): a PC board (8259 pair, PIT, RTC, i8042, PCI, COM1 on
 * IRQ 4) with 64 MiB, a kernel loaded by its format (bzImage, multiboot, ELF), an initrd or the
 * standard busybox initramfs, and a command line. Options are QEMU-like words:
 * <pre>
 *   --kernel FILE [--initrd FILE | --initramfs-busybox FILE] [--append STR] [--cmd "..."]
 *   [--memory 64M] [--backend interp|kvm] [--serial stdio|file:PATH] [--vmlinux] [--realtime|--deterministic]
 * </pre>
 */
public final class LinuxMachine {
    public static final String DEFAULT_MEMORY = "64M";
    /**
     * No ACPI tables on the board; PCI probing is left out to boot faster. The board's APICs (found
     * through its MP table) are left out too: the 8259 boot is ~6% fewer instructions; leave out
     * noapic nolapic to use them. The crypto self-tests and the ISA PnP probe were ~75% of the boot's
     * instructions (4.4 G of them, initcall_debug: crypto_algapi_init 3.1 s, isapnp_init 0.35 s of
     * busy virtual time); without them the boot is ~0.33 G. No lpj=: Linux derives it from the TSC's
     * known frequency and skips the delay-loop calibration.
     */
    public static final String DEFAULT_APPEND = "console=ttyS0 panic=-1 acpi=off noapic nolapic pci=off nokaslr cryptomgr.notests noisapnp";

    static final String OPTIONS = """
              --kernel FILE              bzImage, multiboot or ELF kernel (required)
              --initrd FILE              initial ramdisk
              --initramfs-busybox FILE   build the standard initramfs around a static busybox (cached beside it)
              --append STR               kernel command line (default: %s)
              --cmd "..."                run one command in the guest (trapdoor.cmd=...; adds quiet to the default
                                         command line), print its output, exit with its status
              --memory SIZE              RAM (default %s)
              --backend interp|kvm       execution backend (default interp)
              --serial stdio|file:PATH   where COM1 goes (default stdio: this terminal, keys included)
              --vmlinux                  load the vmlinux inside a bzImage directly (skip the decompressor)
              --entry 32|64              entry of an x86-64 bzImage (default 64: startup_64 in long mode; KVM only)
              --realtime, --deterministic   pace idle time to the wall clock (default with stdio) or not""".formatted(DEFAULT_APPEND, DEFAULT_MEMORY);

    private Path kernel;
    private Path initrd;
    private Path busybox;
    private String append;
    private String cmd;
    private String memory = DEFAULT_MEMORY;
    private String backend = "interp";
    private String serial = "stdio";
    private boolean vmlinux;
    private String entry;
    private Boolean realtime;

    /** Parses the boot options; an unknown or incomplete one is an IllegalArgumentException with a sentence. */
    public static LinuxMachine parse(List<String> args) {
        LinuxMachine m = new LinuxMachine();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String value = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) {
                value = a.substring(eq + 1);
                a = a.substring(0, eq);
            }
            switch (a) {
                case "--vmlinux" -> m.vmlinux = true;
                case "--realtime" -> m.realtime = true;
                case "--deterministic" -> m.realtime = false;
                case "--kernel", "--initrd", "--initramfs-busybox", "--append", "--cmd", "--memory", "--backend", "--serial", "--entry" -> {
                    if (value == null) {
                        if (i + 1 >= args.size()) throw new IllegalArgumentException(a + " needs a value");
                        value = args.get(++i);
                    }
                    m.set(a, value);
                }
                default -> throw new IllegalArgumentException("unknown boot option '" + args.get(i) + "'");
            }
        }
        if (m.kernel == null) throw new IllegalArgumentException("which kernel? (--kernel FILE)");
        if (m.initrd != null && m.busybox != null)
            throw new IllegalArgumentException("--initrd and --initramfs-busybox both give the initrd: use one");
        return m;
    }

    public static LinuxMachine parse(String... args) {
        return parse(Arrays.asList(args));
    }

    /**
     * For scripts: the same options, with the guests scripts/guests/fetch.sh puts under
     * HOME/build/guests as the default kernel and busybox (when neither --initrd nor
     * --initramfs-busybox is given).
     */
    public static LinuxMachine parseWithGuests(List<String> args, Path home) {
        List<String> a = new ArrayList<>(args);
        if (a.stream().noneMatch(x -> x.equals("--kernel") || x.startsWith("--kernel=")))
            a.addAll(List.of("--kernel", home.resolve("build/guests/bzImage-686").toString()));
        if (a.stream().noneMatch(x -> x.startsWith("--initrd") || x.startsWith("--initramfs-busybox")))
            a.addAll(List.of("--initramfs-busybox", home.resolve("build/guests/busybox").toString()));
        return parse(a);
    }

    private void set(String option, String value) {
        switch (option) {
            case "--kernel" -> kernel = Path.of(value);
            case "--initrd" -> initrd = Path.of(value);
            case "--initramfs-busybox" -> busybox = Path.of(value);
            case "--append" -> append = value;
            case "--cmd" -> {
                if (value.contains("\"")) throw new IllegalArgumentException("--cmd cannot contain \" (the kernel command line cannot quote it)");
                if (value.isBlank()) throw new IllegalArgumentException("--cmd needs a command");
                cmd = value;
            }
            case "--memory" -> memory = value;
            case "--backend" -> backend = value;
            case "--entry" -> entry = value;
            case "--serial" -> {
                if (!value.equals("stdio") && !(value.startsWith("file:") && value.length() > 5))
                    throw new IllegalArgumentException("--serial takes stdio or file:PATH, not '" + value + "'");
                serial = value;
            }
            default -> throw new IllegalStateException(option);
        }
    }

    // ---- the description

    public Path getKernel() { return kernel; }
    public String getCmd() { return cmd; }
    public boolean isBatch() { return cmd != null; }
    /** The serial file for --serial file:PATH, or null for the terminal. */
    public Path getSerialFile() { return serial.startsWith("file:") ? Path.of(serial.substring(5)) : null; }
    /** Real-time pacing: as asked, else on when the console is the terminal. */
    public boolean isRealtime() { return realtime != null ? realtime : getSerialFile() == null; }

    /** The kernel command line: --append (or the default) and, with --cmd, trapdoor.cmd="...". */
    public String getCmdline() {
        String base = append != null ? append : DEFAULT_APPEND + (cmd != null ? " quiet" : "");
        if (cmd == null) return base;
        return (base.isBlank() ? "" : base + " ") + "trapdoor.cmd=\"" + cmd + "\"";
    }

    /** A VM name from the kernel's file name ("bzImage-686"), usable with the shell's use command. */
    public String getName() {
        String n = kernel.getFileName().toString().replaceAll("[^\\w.-]", "-");
        return n.isEmpty() ? "boot" : n;
    }

    /**
     * The serial cable --serial asks for: the terminal's console for stdio, else a new file
     * (output only; its directory is made). The caller closes a file cable when done.
     */
    public CharBackend openSerial(CharBackend terminal) throws IOException {
        Path file = getSerialFile();
        if (file == null) return terminal;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        return new StreamCharBackend(null, Files.newOutputStream(file), StreamCharBackend.Flush.PER_NEWLINE);
    }

    /** The files the machine needs, each readable; otherwise an IllegalArgumentException naming the first that is not. */
    public void checkFiles() {
        readable("kernel", kernel);
        if (initrd != null) readable("initrd", initrd);
        if (busybox != null) readable("busybox", busybox);
    }

    private static void readable(String what, Path p) {
        if (!Files.exists(p)) throw new IllegalArgumentException("the " + what + " " + p + " does not exist");
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw new IllegalArgumentException("cannot read the " + what + " " + p);
    }

    /**
     * Builds the VM on hv with its serial port on console and loads the kernel; vCPU 0 is at the
     * kernel's entry, ready to run. A kernel its loader refuses throws BadImageException (one
     * sentence) and leaves no VM behind.
     */
    public Vm create(Hypervisor hv, CharBackend console) {
        checkFiles();
        Map<String, Object> vmOptions = new HashMap<>();
        vmOptions.put("name", uniqueName(hv));
        vmOptions.put("memory", memory);
        vmOptions.put("backend", backend);
        vmOptions.put("board", "pc");
        vmOptions.put("console", Objects.requireNonNull(console, "console"));
        Vm vm = hv.createVm(vmOptions);
        try {
            Map<String, Object> boot = new HashMap<>();
            boot.put("append", getCmdline());
            Path rd = initrdFile();
            if (rd != null) boot.put("initrd", rd.toString());
            if (vmlinux) boot.put("vmlinux", true);
            if (entry != null) boot.put("entry", entry);
            vm.boot(kernel.toString(), boot);
            vm.setRealtime(isRealtime());
            return vm;
        } catch (RuntimeException e) {
            hv.destroy(vm);
            throw e;
        }
    }

    private String uniqueName(Hypervisor hv) {
        String base = getName();
        List<String> taken = new ArrayList<>();
        for (Vm v : hv.getVms()) taken.add(v.getName());
        String n = base;
        for (int i = 2; taken.contains(n); i++) n = base + "-" + i;
        return n;
    }

    /** --initrd, or the cached busybox initramfs, or null. */
    public Path initrdFile() {
        if (initrd != null) return initrd;
        return busybox == null ? null : busyboxInitramfs(busybox);
    }

    /**
     * The standard initramfs around this busybox ({@link Initramfs#busybox}), cached beside it as
     * {@code NAME-initramfs-KEY.cpio.gz}; the key covers the busybox file and the /init script,
     * so a new busybox or a new init makes a new file. Where busybox's directory is read-only the
     * cache goes to the temporary directory.
     */
    public static Path busyboxInitramfs(Path busybox) {
        try {
            byte[] bb = Files.readAllBytes(busybox);
            String key = key(bb);
            String name = busybox.getFileName() + "-initramfs-" + key + ".cpio.gz";
            Path dir = busybox.toAbsolutePath().getParent();
            Path cached = dir.resolve(name);
            if (Files.isRegularFile(cached)) return cached;
            byte[] gz = Initramfs.busybox(bb).toGzip();
            try {
                return write(cached, gz);
            } catch (IOException e) {
                return write(Path.of(System.getProperty("java.io.tmpdir")).resolve(name), gz);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot build the initramfs from " + busybox + ": " + e.getMessage(), e);
        }
    }

    private static String key(byte[] busybox) {
        try {
            var sha = java.security.MessageDigest.getInstance("SHA-256");
            sha.update(busybox);
            sha.update(Initramfs.busybox(new byte[0]).toCpio()); // the layout and /init without the binary
            return HexFormat.of().formatHex(sha.digest(), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path write(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    @Override
    public String toString() {
        return "pc, " + memory + ", " + backend + ", kernel " + kernel + (initrdFile0() == null ? "" : ", initrd " + initrdFile0())
                + ", append \"" + getCmdline() + "\"";
    }

    private Object initrdFile0() {
        return initrd != null ? initrd : busybox != null ? "busybox initramfs from " + busybox : null;
    }
}
