package dev.trapdoor.shell;

import dev.trapdoor.devices.CharBackend;

import java.io.PrintWriter;

/**
 * A serial cable to the shell's terminal: the guest's bytes appear as they are sent. Input is not
 * wired: while a guest runs the terminal belongs to Ctrl-C, and at the prompt to the line editor.
 */
public final class TerminalConsole implements CharBackend {
    private final Utf8Sink sink;

    public TerminalConsole(PrintWriter terminal) {
        sink = new Utf8Sink(terminal);
    }

    @Override
    public synchronized void write(int b) {
        sink.write(b);
        sink.flush();
    }

    /** True if the last byte ended a line (the shell then starts its own output on a fresh one). */
    public synchronized boolean atLineStart() {
        return sink.atLineStart();
    }

    @Override
    public String toString() {
        return "the terminal";
    }
}
