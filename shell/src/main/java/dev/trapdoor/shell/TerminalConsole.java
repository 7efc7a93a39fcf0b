package dev.trapdoor.shell;

import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;
import dev.trapdoor.devices.CharBackend;
import org.jline.terminal.Terminal;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.function.Supplier;

/**
 * A serial cable to the shell's terminal: the guest's bytes appear as they are sent, and while a
 * guest runs in the foreground with the console attached ({@link #run(Vm)}) the keys typed go to
 * the guest, Ctrl-C included. {@value #DETACH_NAME} detaches: the VM stops (paused, not
 * reset) and the run returns; running it again attaches again.
 */
public final class TerminalConsole implements CharBackend {
    /** Ctrl-] (GS), telnet's escape key: the one key the guest never gets. */
    public static final int DETACH_KEY = 0x1d;
    public static final String DETACH_NAME = "Ctrl-]";
    static final String DETACHED_MESSAGE = "detached with " + DETACH_NAME;
    private static final int INPUT_LIMIT = 64 * 1024;

    private final Utf8Sink sink;
    private final ArrayDeque<Integer> input = new ArrayDeque<>();
    private Supplier<Terminal> terminal;

    public TerminalConsole(PrintWriter terminal) {
        sink = new Utf8Sink(terminal);
    }

    /** Where keyboard input comes from when a run attaches (opened on first use). */
    synchronized void keyboard(Supplier<Terminal> t) {
        terminal = t;
    }

    // ---- the guest side

    @Override
    public synchronized void write(int b) {
        sink.write(b);
        sink.flush();
    }

    @Override
    public synchronized int poll() {
        Integer b = input.poll();
        return b == null ? -1 : b;
    }

    @Override
    public synchronized boolean hasInput() {
        return !input.isEmpty();
    }

    // ---- the host side

    /** True if the last byte ended a line (the shell then starts its own output on a fresh one). */
    public synchronized boolean atLineStart() {
        return sink.atLineStart();
    }

    /** Queues bytes for the guest as if typed (scripts and tests); returns how many fit. */
    public synchronized int type(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) {
            if (input.size() >= INPUT_LIMIT) break;
            input.add(b & 0xff);
            n++;
        }
        return n;
    }

    /** Queues text as UTF-8. */
    public int type(String text) {
        return type(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    synchronized void typed(int b) {
        if (input.size() < INPUT_LIMIT) input.add(b & 0xff);
    }

    /**
     * Runs vm in the foreground with the keyboard attached: the terminal goes to raw mode, every
     * key (Ctrl-C, Ctrl-Z and Ctrl-\ too) goes to the guest's serial port, and {@value #DETACH_NAME}
     * stops the run, which then returns INTERRUPTED with the message "detached with Ctrl-]". The
     * terminal's modes are restored however the run ends.
     */
    public RunResult run(Vm vm) {
        if (!feedsFromHere(vm.getConsole()))
            throw new IllegalArgumentException("the serial console of " + vm.getName() + " is not the terminal (create it with console: term)");
        Supplier<Terminal> t;
        synchronized (this) {
            t = terminal;
        }
        if (t == null) throw new IllegalStateException("this session has no terminal to read keys from");
        try (KeyboardPump pump = KeyboardPump.start(t.get(), this, vm)) {
            RunResult r = vm.run();
            if (pump.detached()) return new RunResult(r.reason(), r.exit(), r.status(), r.breakpoint(), DETACHED_MESSAGE);
            return r;
        }
    }

    /** Whether a run of a VM with this console should take keys from here (it is this, or wraps this). */
    boolean feedsFromHere(CharBackend console) {
        for (int depth = 0; console != null && depth < 8; depth++) {
            if (console == this) return true;
            console = console instanceof ConsoleWatch w ? w.inner() : null;
        }
        return false;
    }

    static boolean isDetach(RunResult r) {
        return r != null && DETACHED_MESSAGE.equals(r.message());
    }

    @Override
    public String toString() {
        return "the terminal";
    }
}
