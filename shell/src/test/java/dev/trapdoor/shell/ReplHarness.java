package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import org.jline.terminal.Terminal;
import org.jline.terminal.impl.DumbTerminal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Drives the real REPL (a JLine LineReader) over a dumb terminal on piped streams. */
final class ReplHarness {
    /** The hello guest, when the examples are checked out next to the shell module. */
    static final Path HELLO = Path.of("..", "examples", "hello", "hello.bin").toAbsolutePath().normalize();

    private ReplHarness() {}

    /** Feeds the lines to a fresh session's prompt and returns everything the terminal showed. */
    static String run(String... lines) {
        String input = String.join("\n", lines) + "\n";
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (Terminal t = new DumbTerminal("test", Terminal.TYPE_DUMB, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                screen, StandardCharsets.UTF_8)) {
            Path history = Files.createTempFile("trapdoor-history", "");
            try (Session s = new Session(Hypervisor.create(), t.writer(), t.writer(), true)) {
                new Repl(t, s, history).loop();
            } finally {
                Files.deleteIfExists(history);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return screen.toString(StandardCharsets.UTF_8).replace("\r", "");
    }

    /**
     * Feeds raw input (keys for a guest mixed with prompt lines) to a fresh session whose run
     * and continue attach the keyboard to a guest on the terminal, as on a real terminal.
     */
    static String runAttached(String input) {
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        try (Terminal t = new DumbTerminal("test", Terminal.TYPE_DUMB, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
                screen, StandardCharsets.UTF_8)) {
            Path history = Files.createTempFile("trapdoor-history", "");
            try (Session s = new Session(Hypervisor.create(), t.writer(), t.writer(), true)) {
                s.attachKeysAlways(true);
                new Repl(t, s, history).loop();
            } finally {
                Files.deleteIfExists(history);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return screen.toString(StandardCharsets.UTF_8).replace("\r", "");
    }

    /** Groovy lines that make a VM with its serial port on the terminal, running the hello guest if it is there. */
    static String[] helloVm(String name) {
        String load = Files.isRegularFile(HELLO) ? "vm.load('" + HELLO.toString().replace("\\", "/") + "', 0x1000)" : "null";
        return new String[] {"vm = hv.createVm(name: '" + name + "', memory: '1M', console: term)", load};
    }
}
