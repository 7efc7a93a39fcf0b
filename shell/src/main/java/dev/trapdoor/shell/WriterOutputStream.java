package dev.trapdoor.shell;

import java.io.OutputStream;
import java.io.PrintWriter;

/** An OutputStream onto the terminal's writer (GraalJS's print and console.log write bytes). */
final class WriterOutputStream extends OutputStream {
    private final Utf8Sink sink;

    WriterOutputStream(PrintWriter w) {
        sink = new Utf8Sink(w);
    }

    @Override
    public synchronized void write(int b) {
        sink.write(b);
        if (b == '\n') sink.flush();
    }

    @Override
    public synchronized void flush() {
        sink.flush();
    }
}
