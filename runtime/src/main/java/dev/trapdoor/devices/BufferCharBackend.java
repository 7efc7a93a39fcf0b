package dev.trapdoor.devices;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A console cable into memory: collects what the guest sends and feeds it queued input. For
 * tests, scripts and batch runs. Every method is thread-safe: a script thread may queue input and
 * read output while the vCPU thread runs.
 */
public final class BufferCharBackend implements CharBackend {
    private static final int INPUT_LIMIT = 1 << 20;

    private final ByteArrayOutputStream output = new ByteArrayOutputStream();
    private final ByteQueue input = new ByteQueue(INPUT_LIMIT);
    private long written;

    // ---- the guest side

    @Override
    public synchronized void write(int b) {
        output.write(b);
        written++;
    }

    @Override
    public int poll() {
        return input.poll();
    }

    // ---- the host side

    /** Everything the guest sent since the last take, as UTF-8 (bad sequences become U+FFFD). */
    public synchronized String output() {
        return output.toString(StandardCharsets.UTF_8);
    }

    /** The output as raw bytes, without clearing it. */
    public synchronized byte[] outputBytes() {
        return output.toByteArray();
    }

    /** Returns the output (UTF-8) and clears it. */
    public synchronized String takeOutput() {
        String s = output.toString(StandardCharsets.UTF_8);
        output.reset();
        return s;
    }

    /** Bytes the guest has sent in all (not reset by take). */
    public synchronized long bytesWritten() {
        return written;
    }

    /** Queues input bytes for the guest; returns how many fit (the queue holds up to 1 MiB). */
    public int input(byte[] bytes) {
        int n = 0;
        for (byte b : bytes) {
            if (!input.offer(b & 0xff)) break;
            n++;
        }
        return n;
    }

    /** Queues text as UTF-8. */
    public int input(String text) {
        return input(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Input bytes not yet taken by the guest. */
    @Override
    public boolean hasInput() {
        return pendingInput() > 0;
    }

    public int pendingInput() {
        return input.size();
    }
}
