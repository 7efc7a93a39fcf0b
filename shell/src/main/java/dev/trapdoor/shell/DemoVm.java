package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The VM the prompt starts with: the interpreter, 1 MiB, serial on the terminal, the hello guest at 0x1000. */
final class DemoVm {
    static final String NAME = "demo";
    static final long LOAD_ADDRESS = 0x1000;
    static final String IMAGE = "examples/hello/hello.bin";

    private DemoVm() {}

    private static final java.util.Map<Vm, Path> IMAGES = java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    /** Loads the demo VM's guest again (it may have been patched); returns its name, or null for other VMs. */
    static String reload(Vm vm) {
        Path image = IMAGES.get(vm);
        if (image == null) return null;
        vm.load(image.toString(), LOAD_ADDRESS);
        IMAGES.put(vm, image);
        return IMAGE;
    }

    /** Creates the demo VM as the session's vm; returns a line for the banner. */
    static String create(Session s, Path home) {
        Vm vm = s.hv().createVm(Map.of("name", NAME, "memory", "1M", "backend", "interp", "console", s.terminalConsole()));
        s.setVm(vm);
        Path image = home.resolve(IMAGE);
        if (!Files.isRegularFile(image)) {
            return "vm = '" + NAME + "' (interp, 1 MiB, serial on this terminal); the demo guest " + IMAGE
                    + " is missing, so load one first: vm.load('FILE', 0x1000)";
        }
        vm.load(image.toString(), LOAD_ADDRESS);
        IMAGES.put(vm, image);
        return "vm = '" + NAME + "' (interp, 1 MiB, serial on this terminal) with " + IMAGE + " at 0x1000, CS:IP 0000:1000";
    }
}
