package dev.trapdoor.debug.gdb;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** The client side for protocol tests: hand-written packets out, replies checked byte by byte. */
final class RspClient implements AutoCloseable {
    final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    boolean ackMode = true;

    RspClient(int port) throws IOException {
        socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(5000);
        socket.setTcpNoDelay(true);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    static String checksum(String body) {
        int sum = 0;
        for (int i = 0; i < body.length(); i++) sum += body.charAt(i);
        return String.format("%02x", sum & 0xFF);
    }

    /** Sends {@code $body#cs} exactly as given (the body may hold escapes or runs already). */
    void sendRaw(String body) throws IOException {
        raw("$" + body + "#" + checksum(body));
    }

    void raw(String bytes) throws IOException {
        out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Sends a packet and, in ack mode, checks the stub's '+'. */
    void send(String body) throws IOException {
        sendRaw(body);
        if (ackMode) assertEquals('+', read(), "ack for " + body);
    }

    /** Sends a packet and returns the reply (acknowledged in ack mode). */
    String ask(String body) throws IOException {
        send(body);
        return reply();
    }

    int read() throws IOException {
        return in.read();
    }

    /** Reads one reply packet, checks its checksum, acks it, and undoes binary escapes. */
    String reply() throws IOException {
        int c = in.read();
        if (c != '$') fail("expected '$', got " + (c < 0 ? "end of stream" : "'" + (char) c + "' (" + c + ")"));
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while ((c = in.read()) != '#') {
            if (c < 0) fail("end of stream inside a packet");
            body.write(c);
        }
        String cs = "" + (char) in.read() + (char) in.read();
        String raw = body.toString(StandardCharsets.ISO_8859_1);
        assertEquals(checksum(raw), cs, "checksum of reply " + raw);
        if (ackMode) raw("+");
        StringBuilder plain = new StringBuilder();
        for (int i = 0; i < raw.length(); i++) {
            char ch = raw.charAt(i);
            plain.append(ch == '}' ? (char) (raw.charAt(++i) ^ 0x20) : ch);
        }
        return plain.toString();
    }

    static String hex(String s) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) b.append(String.format("%02x", x & 0xFF));
        return b.toString();
    }

    static String unhex(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
