package dev.trapdoor.debug.gdb;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Splits the client's byte stream into remote-protocol events (GDB manual, "Overview" of the
 * Remote Protocol): {@code $data#cs} packets, '+'/'-' acknowledgments and the 0x03 interrupt
 * byte. Inside a packet {@code }x} is the escaped byte x^0x20 and {@code x*n} repeats x another
 * n-29 times. The checksum is the sum of the bytes between '$' and '#' as sent, modulo 256.
 * Anything malformed becomes a {@link RspEvent.Bad}, never an exception.
 */
final class RspReader {
    /** Longest decoded packet accepted; longer ones are read to their end and reported as Bad. */
    static final int MAX_PACKET = 0x4000;
    /** Smallest and largest run-length count characters: a count of n means n-29 more copies. '#' and '$' are not allowed. */
    private static final int RLE_MIN = 29 + 3, RLE_MAX = 126;

    private final InputStream in;
    private byte[] buf = new byte[256];

    RspReader(InputStream in) {
        this.in = in;
    }

    /** The next event, or null at the end of the stream. */
    RspEvent next() throws IOException {
        while (true) {
            int c = in.read();
            switch (c) {
                case -1: return null;
                case '$': return packet(); // null at the end of the stream
                case 0x03: return new RspEvent.Interrupt();
                case '+': return new RspEvent.Ack();
                case '-': return new RspEvent.Nak();
                default: break; // noise between packets (gdb never sends any) is dropped
            }
        }
    }

    private RspEvent packet() throws IOException {
        int len = 0, sum = 0;
        boolean escape = false, rle = false;
        String bad = null;
        while (true) {
            int c = in.read();
            if (c < 0) return null;
            if (c == '$') { // a new packet start inside a packet: the sender gave up on the old one
                len = 0; sum = 0; escape = false; rle = false; bad = null;
                continue;
            }
            if (c == '#') {
                int h = in.read(), l = in.read();
                if (h < 0 || l < 0) return null;
                int dh = Hex.digit(h), dl = Hex.digit(l);
                if (dh < 0 || dl < 0) return new RspEvent.Bad("checksum digits not hex", true);
                if ((dh << 4 | dl) != (sum & 0xFF)) {
                    return new RspEvent.Bad(String.format("checksum %02x, computed %02x", dh << 4 | dl, sum & 0xFF), true);
                }
                if (bad == null && (escape || rle)) bad = "packet ends inside an escape or a run";
                return bad != null ? new RspEvent.Bad(bad, false) : new RspEvent.Packet(Arrays.copyOf(buf, len));
            }
            sum += c;
            if (bad != null) continue;
            if (rle) {
                rle = false;
                if (c < RLE_MIN || c > RLE_MAX || len == 0) {
                    bad = "bad run-length count";
                    continue;
                }
                int n = c - 29;
                if (len + n > MAX_PACKET) {
                    bad = "packet too long";
                    continue;
                }
                ensure(len + n);
                Arrays.fill(buf, len, len + n, buf[len - 1]);
                len += n;
            } else if (escape) {
                escape = false;
                if (!put(len, c ^ 0x20)) bad = "packet too long";
                else len++;
            } else if (c == '}') {
                escape = true;
            } else if (c == '*') {
                rle = true;
            } else if (!put(len, c)) {
                bad = "packet too long";
            } else {
                len++;
            }
        }
    }

    private boolean put(int at, int b) {
        if (at >= MAX_PACKET) return false;
        ensure(at + 1);
        buf[at] = (byte) b;
        return true;
    }

    private void ensure(int n) {
        if (n > buf.length) buf = Arrays.copyOf(buf, Math.max(n, buf.length * 2));
    }
}
