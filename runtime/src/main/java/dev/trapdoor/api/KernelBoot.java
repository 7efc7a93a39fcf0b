package dev.trapdoor.api;

import dev.trapdoor.boot.BootPlan;
import dev.trapdoor.boot.ElfLoader;
import dev.trapdoor.boot.ImageProbe;
import dev.trapdoor.boot.LinuxBootLoader;
import dev.trapdoor.boot.MultibootLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Loads a kernel image into a VM by its format (bzImage, multiboot, ELF) and puts vCPU 0 in the
 * state the boot protocol asks for. Options: initrd (a path), append (the command line),
 * vmlinux (true: load a bzImage's uncompressed kernel directly, skipping its decompressor),
 * entry (32 or 64: which entry of an x86-64 bzImage; by default 64 on KVM, where the CPU has long
 * mode; the interpreter is an IA-32 CPU and refuses an x86-64 kernel with that sentence).
 */
final class KernelBoot {
    private KernelBoot() {}

    static BootPlan boot(Vm vm, String kernel, Map<String, ?> options) {
        byte[] image = read(kernel);
        Object cmdline = options.containsKey("append") ? options.get("append") : options.get("cmdline");
        String append = cmdline == null ? "" : cmdline.toString();
        Object initrd = options.get("initrd");
        for (String k : options.keySet()) {
            if (!java.util.Set.of("append", "cmdline", "initrd", "vmlinux", "entry").contains(k))
                throw new IllegalArgumentException("unknown boot option '" + k + "': use initrd, append, vmlinux, entry");
        }
        var memory = vm.memory().physical();
        BootPlan plan = switch (ImageProbe.detect(image)) {
            case BZIMAGE -> {
                LinuxBootLoader l = new LinuxBootLoader(image).cmdline(append)
                        .vmlinux(Boolean.TRUE.equals(options.get("vmlinux")));
                l.entry64(useEntry64(vm, l.header().is64Bit(), options.get("entry")));
                if (initrd != null) l.initrd(read(initrd.toString()));
                yield l.load(memory);
            }
            case MULTIBOOT -> {
                MultibootLoader m = new MultibootLoader().cmdline(append);
                if (initrd != null) m.module(initrd.toString(), read(initrd.toString()));
                yield m.load(memory, image);
            }
            case ELF -> ElfLoader.load(memory, image);
            case FLAT -> throw new IllegalArgumentException(kernel + " is not a bzImage, multiboot or ELF kernel; load flat binaries with vm.load(path, address)");
        };
        vm.getVcpu().setRegisters(plan.initialRegisters());
        return plan;
    }

    /** Which entry an x86-64 kernel takes; a 32-bit one always takes its 32-bit entry. */
    static boolean useEntry64(Vm vm, boolean kernel64, Object entry) {
        boolean kvm = BackendKind.of(vm.getBackend()) == BackendKind.KVM;
        if (kernel64 && !kvm)
            throw new IllegalArgumentException("this is an x86-64 kernel; the interpreter is an IA-32 CPU without long mode: boot it with backend kvm");
        if (entry == null) return kernel64;
        String e = entry.toString().trim();
        return switch (e) {
            case "64" -> {
                if (!kernel64) throw new IllegalArgumentException("entry 64 needs an x86-64 kernel; this one is 32-bit");
                yield true;
            }
            case "32" -> false;
            default -> throw new IllegalArgumentException("entry must be 32 or 64, not '" + e + "'");
        };
    }

    private static byte[] read(String path) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
