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
        return "vm = '" + NAME + "' (interp, 1 MiB, serial on this terminal) with " + IMAGE + " at 0x1000, CS:IP 0000:1000";
    }
}
