package dev.trapdoor.debug.gdb;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames replies as {@code $data#cs}. Binary replies (qXfer data) escape '$', '#', '}' and '*'
 * as {@code }} followed by the byte XOR 0x20, so gdb never mistakes a data byte for framing or a
 * run-length marker. The last packet is kept for a retransmission when the client answers '-'.
 */
final class RspWriter {
    private final OutputStream out;
    private byte[] last;

    RspWriter(OutputStream out) {
        this.out = out;
    }

    void send(String text) throws IOException {
        frame(text.getBytes(StandardCharsets.ISO_8859_1), 0, text.length(), false);
    }

    /** A reply made of a leading text part (e.g. "l") and binary data that is escaped. */
    void sendBinary(String prefix, byte[] data, int off, int len) throws IOException {
        byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[p.length + len];
        System.arraycopy(p, 0, all, 0, p.length);
        System.arraycopy(data, off, all, p.length, len);
        frame(all, 0, all.length, true);
    }

    private void frame(byte[] data, int off, int len, boolean binary) throws IOException {
        byte[] pkt = new byte[len * 2 + 4];
        int n = 0, sum = 0;
        pkt[n++] = '$';
        for (int i = 0; i < len; i++) {
            int b = data[off + i] & 0xFF;
            if (binary && (b == '$' || b == '#' || b == '}' || b == '*')) {
                pkt[n++] = '}';
                sum += '}';
                b ^= 0x20;
            }
            pkt[n++] = (byte) b;
            sum += b;
        }
        pkt[n++] = '#';
        pkt[n++] = (byte) Character.forDigit((sum >>> 4) & 15, 16);
        pkt[n++] = (byte) Character.forDigit(sum & 15, 16);
        last = Arrays.copyOf(pkt, n);
        out.write(last);
        out.flush();
    }

    void retransmit() throws IOException {
        if (last == null) return;
        out.write(last);
        out.flush();
    }

    void ack() throws IOException {
        out.write('+');
        out.flush();
    }

    void nak() throws IOException {
        out.write('-');
        out.flush();
    }
}
