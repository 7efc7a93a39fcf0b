package dev.trapdoor.debug.gdb;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Framing of the client's byte stream, without a socket. */
class RspReaderTest {
    static RspReader reader(String stream) {
        return new RspReader(new ByteArrayInputStream(stream.getBytes(StandardCharsets.ISO_8859_1)));
    }

    static String packet(String body) {
        return "$" + body + "#" + RspClient.checksum(body);
    }

    static String data(RspEvent e) {
        assertInstanceOf(RspEvent.Packet.class, e, String.valueOf(e));
        return new String(((RspEvent.Packet) e).data(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void acksInterruptsAndPacketsInOrder() throws IOException {
        RspReader r = reader("+-\u0003" + packet("qC") + "junk" + packet("g"));
        assertInstanceOf(RspEvent.Ack.class, r.next());
        assertInstanceOf(RspEvent.Nak.class, r.next());
        assertInstanceOf(RspEvent.Interrupt.class, r.next());
        assertEquals("qC", data(r.next()));
        assertEquals("g", data(r.next()));
        assertNull(r.next());
    }

    @Test
    void escapesAndRunsAreDecodedAfterTheChecksumOverTheRawBytes() throws IOException {
        assertEquals("a#$}*b", data(reader(packet("a}\u0003}\u0004}]}\nb")).next()));
        assertEquals("x" + "0".repeat(4), data(reader(packet("x0* ")).next()), "' ' is 32: three more");
        assertEquals("1" + "2".repeat(98), data(reader(packet("12*~")).next()), "'~' is 126: 97 more");
        assertEquals("}}}}", data(reader(packet("}]* ")).next()), "a run repeats the escaped byte");
        assertEquals("ab", data(reader("$ab#C3").next()), "checksum digits in upper case");
    }

    @Test
    void malformedPacketsAreEventsNotExceptions() throws IOException {
        RspEvent.Bad bad = (RspEvent.Bad) reader("$qC#00").next();
        assertTrue(bad.checksum());
        bad = (RspEvent.Bad) reader("$qC#zz").next();
        assertTrue(bad.checksum());
        bad = (RspEvent.Bad) reader(packet("*!")).next();
        assertFalse(bad.checksum(), "a run with nothing before it");
        bad = (RspEvent.Bad) reader(packet("a*\u0010")).next();
        assertFalse(bad.checksum(), "a count below ' '");
        bad = (RspEvent.Bad) reader(packet("a}")).next();
        assertFalse(bad.checksum(), "ends inside an escape");
        bad = (RspEvent.Bad) reader(packet("a".repeat(RspReader.MAX_PACKET + 1))).next();
        assertFalse(bad.checksum(), "too long");
        bad = (RspEvent.Bad) reader(packet("a" + "a*~".repeat(RspReader.MAX_PACKET / 97 + 1))).next();
        assertFalse(bad.checksum(), "runs may not grow it past the limit either");
    }

    @Test
    void aDollarInsideAPacketStartsOver() throws IOException {
        assertEquals("qC", data(reader("$m10" + packet("qC")).next()));
    }

    @Test
    void endOfStreamInsideAPacketIsTheEnd() throws IOException {
        assertNull(reader("$qC").next());
        assertNull(reader("$qC#1").next());
    }
}
