package dev.trapdoor.devices;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CharBackendsTest {
    @Test
    void bufferCollectsUtf8AndClearsOnTake() {
        BufferCharBackend b = new BufferCharBackend();
        for (byte x : "grüße\n".getBytes(StandardCharsets.UTF_8)) b.write(x & 0xff);
        assertEquals("grüße\n", b.output());
        assertEquals("grüße\n", b.takeOutput());
        assertEquals("", b.output());
        assertEquals(8, b.bytesWritten());
    }

    @Test
    void bufferQueuesInputInOrder() {
        BufferCharBackend b = new BufferCharBackend();
        assertEquals(-1, b.poll());
        b.input("ab");
        b.input(new byte[] {(byte) 0xff});
        assertEquals(3, b.pendingInput());
        assertEquals('a', b.poll());
        assertEquals('b', b.poll());
        assertEquals(0xff, b.poll(), "bytes are unsigned");
        assertEquals(-1, b.poll());
    }

    @Test
    void bufferInputIsThreadSafe() throws InterruptedException {
        BufferCharBackend b = new BufferCharBackend();
        Thread[] writers = new Thread[4];
        for (int t = 0; t < writers.length; t++) {
            writers[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) b.input(new byte[] {1});
            });
            writers[t].start();
        }
        long taken = 0;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (taken < 40_000 && System.nanoTime() < deadline) {
            if (b.poll() == 1) taken++;
        }
        for (Thread t : writers) t.join();
        assertEquals(40_000, taken);
        assertEquals(-1, b.poll());
    }

    @Test
    void streamFlushesPerNewline() {
        CountingStream sink = new CountingStream();
        StreamCharBackend s = new StreamCharBackend(null, sink, StreamCharBackend.Flush.PER_NEWLINE);
        for (char c : "ab\nc".toCharArray()) s.write(c);
        assertEquals(1, sink.flushes);
        assertEquals("ab\nc", sink.bytes.toString(StandardCharsets.US_ASCII));
        s.close();
        assertEquals(2, sink.flushes, "close flushes");
        s.write('d');
        assertEquals(1, s.dropped(), "nothing is written after close");
    }

    @Test
    void streamFlushesPerWrite() {
        CountingStream sink = new CountingStream();
        StreamCharBackend s = new StreamCharBackend(null, sink, StreamCharBackend.Flush.PER_WRITE);
        s.write('x');
        s.write('y');
        assertEquals(2, sink.flushes);
    }

    @Test
    void streamOutputErrorsAreKeptNotThrown() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("pipe closed");
            }
        };
        StreamCharBackend s = new StreamCharBackend(broken);
        s.write('a');
        s.write('b');
        assertEquals("pipe closed", s.error().getMessage());
        assertEquals(2, s.dropped());
    }

    @Test
    void streamInputArrivesFromAnotherThreadWithoutBlockingPoll() throws Exception {
        PipedOutputStream typist = new PipedOutputStream();
        PipedInputStream keyboard = new PipedInputStream(typist);
        StreamCharBackend s = new StreamCharBackend(keyboard, new ByteArrayOutputStream(), StreamCharBackend.Flush.PER_NEWLINE);
        assertEquals(-1, s.poll(), "nothing typed: poll returns at once");
        typist.write("hi\n".getBytes(StandardCharsets.US_ASCII));
        typist.flush();
        StringBuilder got = new StringBuilder();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got.length() < 3 && System.nanoTime() < deadline) {
            int b = s.poll();
            if (b >= 0) got.append((char) b);
            else Thread.onSpinWait();
        }
        assertEquals("hi\n", got.toString());
        typist.close();
        s.close();
        assertNull(s.inputError());
    }

    private static final class CountingStream extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int flushes;

        @Override
        public void write(int b) {
            bytes.write(b);
        }

        @Override
        public void flush() {
            flushes++;
        }
    }
}
