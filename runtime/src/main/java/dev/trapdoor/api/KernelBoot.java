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
 * vmlinux (true: load a bzImage's uncompressed kernel directly, skipping its decompressor).
 */
final class KernelBoot {
    private KernelBoot() {}

    static BootPlan boot(Vm vm, String kernel, Map<String, ?> options) {
        byte[] image = read(kernel);
        Object cmdline = options.containsKey("append") ? options.get("append") : options.get("cmdline");
        String append = cmdline == null ? "" : cmdline.toString();
        Object initrd = options.get("initrd");
        for (String k : options.keySet()) {
            if (!java.util.Set.of("append", "cmdline", "initrd", "vmlinux").contains(k))
                throw new IllegalArgumentException("unknown boot option '" + k + "': use initrd, append, vmlinux");
        }
        var memory = vm.memory().physical();
        BootPlan plan = switch (ImageProbe.detect(image)) {
            case BZIMAGE -> {
                LinuxBootLoader l = new LinuxBootLoader(image).cmdline(append)
                        .vmlinux(Boolean.TRUE.equals(options.get("vmlinux")));
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

    private static byte[] read(String path) {
        try {
            return Files.readAllBytes(Path.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }
}
