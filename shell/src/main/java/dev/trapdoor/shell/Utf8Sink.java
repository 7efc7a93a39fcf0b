package dev.trapdoor.shell;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;

/**
 * Bytes to characters on a writer, one byte at a time: ASCII goes straight through, a UTF-8
 * sequence is held until complete, and a byte that cannot start or continue one is shown as
 * Latin-1 (guests send all kinds of bytes). Not thread-safe; callers synchronize.
 */
final class Utf8Sink {
    private final PrintWriter w;
    private final byte[] pending = new byte[4];
    private int have;
    private int need;
    private boolean atLineStart = true;

    Utf8Sink(PrintWriter w) {
        this.w = w;
    }

    void write(int b) {
        b &= 0xff;
        if (need > 0) {
            if ((b & 0xc0) == 0x80) {
                pending[have++] = (byte) b;
                if (have == need) {
                    w.write(new String(pending, 0, have, StandardCharsets.UTF_8));
                    have = need = 0;
                }
                return;
            }
            dropPending();
        }
        int len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 : (b & 0xf8) == 0xf0 ? 4 : 0;
        if (len == 1 || len == 0) {
            w.write((char) b);
            atLineStart = b == '\n';
        } else {
            pending[0] = (byte) b;
            have = 1;
            need = len;
            atLineStart = false;
        }
    }

    private void dropPending() {
        for (int i = 0; i < have; i++) w.write((char) (pending[i] & 0xff));
        have = need = 0;
    }

    void flush() {
        w.flush();
    }

    boolean atLineStart() {
        return atLineStart && have == 0;
    }
}
