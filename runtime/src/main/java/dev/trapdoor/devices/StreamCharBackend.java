package dev.trapdoor.devices;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A console cable to host streams (the terminal, a socket, a file). Output goes to an
 * OutputStream, flushed per newline or per byte. Input is read by a daemon thread from an
 * InputStream into a bounded queue that {@link #poll()} takes from without blocking; when the
 * queue is full the reader waits, so nothing is lost. Host I/O errors are not the guest's
 * problem: output after a failure is dropped and the error is kept for {@link #error()}.
 */
public final class StreamCharBackend implements CharBackend, AutoCloseable {
    public enum Flush { PER_NEWLINE, PER_WRITE }

    private static final int INPUT_LIMIT = 64 * 1024;

    private final OutputStream out;
    private final Flush flush;
    private final ByteQueue input = new ByteQueue(INPUT_LIMIT);
    private final Thread reader;
    private volatile boolean closed;
    private volatile IOException error;
    private volatile IOException inputError;
    private long dropped;

    /**
     * @param in    input for the guest, or null for none; read on a daemon thread until EOF
     * @param out   where the guest's bytes go
     * @param flush when out is flushed
     */
    public StreamCharBackend(InputStream in, OutputStream out, Flush flush) {
        this.out = out;
        this.flush = flush;
        if (in == null) {
            reader = null;
        } else {
            reader = Thread.ofPlatform().daemon().name("char-input").unstarted(() -> pump(in));
            reader.start();
        }
    }

    public StreamCharBackend(OutputStream out) {
        this(null, out, Flush.PER_NEWLINE);
    }

    // ---- the guest side

    @Override
    public synchronized void write(int b) {
        if (closed || error != null) {
            dropped++;
            return;
        }
        try {
            out.write(b);
            if (flush == Flush.PER_WRITE || b == '\n') out.flush();
        } catch (IOException e) {
            error = e;
            dropped++;
        }
    }

    @Override
    public int poll() {
        return input.poll();
    }

    // ---- the host side

    /** The first error writing the output, or null. */
    public IOException error() {
        return error;
    }

    /** The error that ended the input reader, or null (EOF and close are not errors). */
    public IOException inputError() {
        return inputError;
    }

    /** Output bytes dropped after an error or after close. */
    public synchronized long dropped() {
        return dropped;
    }

    /** Input bytes read from the stream but not yet taken by the guest. */
    @Override
    public boolean hasInput() {
        return pendingInput() > 0;
    }

    public int pendingInput() {
        return input.size();
    }

    /** Flushes the output and stops the reader (the input stream itself is left open). */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (reader != null) reader.interrupt();
        try {
            out.flush();
        } catch (IOException e) {
            if (error == null) error = e;
        }
    }

    private void pump(InputStream in) {
        try {
            while (!closed) {
                int b = in.read();
                if (b < 0 || closed) return;
                if (!input.awaitRoom()) return;
                input.offer(b);
            }
        } catch (IOException e) {
            if (!closed) inputError = e;
        }
    }
}
