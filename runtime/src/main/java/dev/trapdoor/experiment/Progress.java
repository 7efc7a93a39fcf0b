package dev.trapdoor.experiment;

import java.io.Console;
import java.io.PrintStream;

/**
 * Where a sweep reports how far it has got. {@link #update} is called from worker threads after
 * every run, so implementations must be thread-safe and cheap.
 */
public interface Progress {
    void start(String label, int total);

    void update(int done, int failed);

    void finish(int done, int failed);

    /** Reports nothing (for tests and nested sweeps). */
    static Progress silent() {
        return new Progress() {
            @Override public void start(String label, int total) { }
            @Override public void update(int done, int failed) { }
            @Override public void finish(int done, int failed) { }
        };
    }

    /**
     * A progress bar on standard error: one line redrawn in place when the JVM has a terminal,
     * plain lines every tenth of the way otherwise (logs, pipes, CI).
     */
    static Progress terminal() {
        return new TerminalProgress(System.err, isTerminal(), System::nanoTime);
    }

    /** Same, to another stream, with the caller saying whether it is a terminal. */
    static Progress terminal(PrintStream out, boolean tty) {
        return new TerminalProgress(out, tty, System::nanoTime);
    }

    /**
     * True when standard input and output are a terminal. Since JDK 22 System.console() is not
     * null when they are redirected, so isTerminal() decides.
     */
    static boolean isTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }
}
