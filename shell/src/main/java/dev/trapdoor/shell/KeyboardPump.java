package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;
import org.jline.terminal.Attributes;
import org.jline.terminal.Terminal;
import org.jline.utils.NonBlockingReader;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;

/**
 * Keys from the terminal to a guest's console while one run lasts: raw mode (no echo, no line
 * editing, no signals, so Ctrl-C is a byte for the guest), a thread that moves characters to the
 * console's input as UTF-8, and the detach key, which stops the VM. Closing it stops the thread
 * before it takes another key (the prompt gets the rest) and restores the terminal's modes.
 */
final class KeyboardPump implements AutoCloseable {
    private static final long POLL_MS = 20;

    private final Terminal terminal;
    private final Attributes saved;
    private final TerminalConsole console;
    private final Vm vm;
    private final Thread runner;
    private final Thread thread;
    private volatile boolean closing;
    private volatile boolean detached;
    private char highSurrogate;

    private KeyboardPump(Terminal terminal, TerminalConsole console, Vm vm) {
        this.terminal = terminal;
        this.console = console;
        this.vm = vm;
        this.runner = Thread.currentThread();
        this.saved = terminal.getAttributes();
        terminal.setAttributes(raw(saved));
        this.thread = Thread.ofPlatform().daemon().name("console-keys").unstarted(this::pump);
    }

    static KeyboardPump start(Terminal terminal, TerminalConsole console, Vm vm) {
        KeyboardPump p = new KeyboardPump(terminal, console, vm);
        p.thread.start();
        return p;
    }

    /** Raw mode as a serial line wants it: bytes as typed, CR not turned into NL, no signals; output processing kept. */
    static Attributes raw(Attributes a) {
        Attributes r = new Attributes(a);
        r.setLocalFlags(EnumSet.of(Attributes.LocalFlag.ICANON, Attributes.LocalFlag.ECHO, Attributes.LocalFlag.IEXTEN,
                Attributes.LocalFlag.ISIG), false);
        r.setInputFlags(EnumSet.of(Attributes.InputFlag.IXON, Attributes.InputFlag.ICRNL, Attributes.InputFlag.INLCR,
                Attributes.InputFlag.IGNCR), false);
        r.setControlChar(Attributes.ControlChar.VMIN, 1);
        r.setControlChar(Attributes.ControlChar.VTIME, 0);
        return r;
    }

    boolean detached() {
        return detached;
    }

    private void pump() {
        NonBlockingReader in = terminal.reader();
        try {
            while (!closing) {
                // Peek first: a key that arrives as the run ends stays for the prompt.
                int c = in.peek(POLL_MS);
                if (c == NonBlockingReader.READ_EXPIRED) continue;
                if (c < 0 || closing) return;
                c = in.read();
                if (c == TerminalConsole.DETACH_KEY) {
                    detached = true;
                    vm.stop();
                    runner.interrupt(); // an idle guest waiting in host time (real-time pacing) wakes and sees the stop
                    return;
                }
                key((char) c);
            }
        } catch (IOException e) {
            // the terminal went away: the guest keeps running without input
        }
    }

    private void key(char c) {
        if (Character.isHighSurrogate(c)) {
            highSurrogate = c;
            return;
        }
        String s = Character.isLowSurrogate(c) && highSurrogate != 0 ? new String(new char[]{highSurrogate, c}) : String.valueOf(c);
        highSurrogate = 0;
        if (c < 0x80) console.typed(c);
        else for (byte b : s.getBytes(StandardCharsets.UTF_8)) console.typed(b);
    }

    @Override
    public void close() {
        closing = true;
        try {
            thread.join(2 * POLL_MS + 200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Thread.interrupted(); // the detach key's wake-up call is spent
        terminal.setAttributes(saved);
        terminal.writer().flush();
    }
}
