package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Runs {@code trapdoor boot ARGS} with piped keys on a dumb terminal; keeps the screen, stderr and the status. */
final class BootHarness {
    record Run(int status, String screen, String err, boolean terminalOpened) {
        String all() { return screen + err; }
    }

    private BootHarness() {}

    static Run boot(String keys, List<String> args) {
        return boot(keys, args, vm -> { });
    }

    static Run boot(String keys, List<String> args, Consumer<Vm> onBoot) {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        boolean[] opened = {false};
        Path history;
        try {
            history = java.nio.file.Files.createTempFile("trapdoor-history", "");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        int status;
        try {
            status = new BootCommand(new PrintWriter(err, true), () -> {
                opened[0] = true;
                Terminal t = new DumbTerminal("test", Terminal.TYPE_DUMB, new ByteArrayInputStream(keys.getBytes(StandardCharsets.UTF_8)),
                        screen, StandardCharsets.UTF_8);
                return t;
            }, history).onBoot(onBoot).run(args);
        } finally {
            try {
                java.nio.file.Files.deleteIfExists(history);
            } catch (java.io.IOException e) {
                // a temp file
            }
        }
        return new Run(status, screen.toString(StandardCharsets.UTF_8).replace("\r", ""), err.toString(), opened[0]);
    }
}
