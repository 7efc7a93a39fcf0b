package dev.trapdoor.debug.gdb;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The stub over a real socket, driven by hand-written packets against {@link FakeTarget}. */
class GdbServerProtocolTest {
    FakeTarget target;
    GdbServer server;
    RspClient gdb;

    @BeforeEach
    void start() throws IOException {
        target = new FakeTarget(0x1000);
        server = new GdbServer(target);
        int port = server.start(0);
        assertTrue(port > 0);
        gdb = new RspClient(port);
    }

    @AfterEach
    void stop() throws IOException {
        gdb.close();
        server.close();
    }

    static String le32(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xFF, v >>> 8 & 0xFF, v >>> 16 & 0xFF, v >>> 24);
    }

    static int fromLe32(String h) {
        return (int) Long.parseLong(h.substring(6, 8) + h.substring(4, 6) + h.substring(2, 4) + h.substring(0, 2), 16);
    }

    /** The value of key in a T stop reply ("T05thread:1;08:...;swbreak:;"), or null. */
    static String field(String stop, String key) {
        Matcher m = Pattern.compile("[T;]?(?:T..)?" + Pattern.quote(key) + ":([^;]*);").matcher(stop);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void qSupportedAdvertisesTheFeaturesAndPacketSize() throws IOException {
        String r = gdb.ask("qSupported:multiprocess+;swbreak+;hwbreak+;qRelocInsn+;fork-events+;vContSupported+");
        for (String f : new String[] {"qXfer:features:read+", "swbreak+", "hwbreak+", "vContSupported+", "QStartNoAckMode+"}) {
            assertTrue(r.contains(f), r);
        }
        Matcher m = Pattern.compile("PacketSize=([0-9a-f]+)").matcher(r);
        assertTrue(m.find(), r);
        assertTrue(Integer.parseInt(m.group(1), 16) >= 2 * I386Layout.SIZE + 1, "a G packet must fit");
    }

    @Test
    void stopReasonAndThreadQueries() throws IOException {
        String stop = gdb.ask("?");
        assertTrue(stop.startsWith("T05"), stop);
        assertEquals("1", field(stop, "thread"));
        assertEquals(0x1000, fromLe32(field(stop, "08")));
        assertEquals(0x8000, fromLe32(field(stop, "04")));
        assertEquals("QC1", gdb.ask("qC"));
        assertEquals("m1", gdb.ask("qfThreadInfo"));
        assertEquals("l", gdb.ask("qsThreadInfo"));
        assertEquals("1", gdb.ask("qAttached"));
        assertEquals("OK", gdb.ask("Hg0"));
        assertEquals("OK", gdb.ask("Hc-1"));
        assertEquals("OK", gdb.ask("T1"));
        assertEquals("OK", gdb.ask("Tp1.1"));
        assertTrue(gdb.ask("T2").startsWith("E"));
        assertEquals("", gdb.ask("vMustReplyEmpty"));
        assertEquals("", gdb.ask("qTStatus"));
        assertEquals(java.util.List.of("attach"), target.calls);
    }

    @Test
    void registersReadAndWriteInGdbLayout() throws IOException {
        target.regs.set(I386Layout.EAX, 0x11223344);
        target.regs.setSt(2, 0x3FFF, 0x8000_0000_0000_0000L); // 1.0
        String g = gdb.ask("g");
        assertEquals(2 * I386Layout.SIZE, g.length());
        assertEquals("44332211", g.substring(0, 8));
        assertEquals(le32(0x1000), g.substring(64, 72), "eip is register 8 at byte 32");
        assertEquals("0000000000000080ff3f", g.substring(2 * (64 + 20), 2 * (64 + 30)), "st2: 80 bits, little-endian");
        assertEquals(le32(0x37F), g.substring(2 * 144, 2 * 148), "fctrl at byte 144");

        assertEquals(le32(0x1000), gdb.ask("p8"));
        assertEquals("0000000000000080ff3f", gdb.ask("p12"));
        assertEquals("OK", gdb.ask("P0=efbeadde"));
        assertEquals(0xDEADBEEF, target.regs.get(I386Layout.EAX));
        assertEquals("OK", gdb.ask("P10=00000000000000c00040")); // st0 = 3.0 as 80 bits
        assertEquals(0x4000, target.regs.stSignExponent(0));
        assertEquals(0xC000_0000_0000_0000L, target.regs.stSignificand(0));

        String changed = le32(0x12345678) + g.substring(8, 64) + le32(0x2000) + g.substring(72);
        assertEquals("OK", gdb.ask("G" + changed));
        assertEquals(0x12345678, target.regs.get(I386Layout.EAX));
        assertEquals(0x2000, target.regs.get(I386Layout.EIP));
        assertEquals(changed, gdb.ask("g"));
    }

    @Test
    void memoryReadsWritesEscapedBinaryAndRunLengthInput() throws IOException {
        target.memory[0x1000] = 0x12;
        target.memory[0x1001] = (byte) 0xAB;
        assertEquals("12ab9090", gdb.ask("m1000,4"));
        assertEquals("OK", gdb.ask("M1002,2:cdef"));
        assertEquals((byte) 0xCD, target.memory[0x1002]);

        // X with every byte that must be escaped: '#' '$' '}' '*', plus 0x00 and 0xff.
        assertEquals("OK", gdb.ask("X3000,0:"), "the empty probe gdb sends first");
        String data = "}" + (char) ('#' ^ 0x20) + "}" + (char) ('$' ^ 0x20) + "}" + (char) ('}' ^ 0x20)
            + "}" + (char) ('*' ^ 0x20) + "\0" + (char) 0xFF;
        assertEquals("OK", gdb.ask("X3000,6:" + data));
        assertEquals("23247d2a00ff", gdb.ask("m3000,6"));

        // "7*," is '7' and 44-29 = 15 more: sixteen hex digits, eight bytes of 0x77.
        assertEquals("OK", gdb.ask("M2000,8:7*,"));
        for (int i = 0; i < 8; i++) assertEquals(0x77, target.memory[0x2000 + i] & 0xFF);
        assertEquals("77777777", gdb.ask("m2000,0*\"4"), "a run in the length: '0' and 5 more, 0000004");

        assertEquals("9090", gdb.ask("mfffe,10"), "a read that runs off the end returns what is there");
        assertEquals("E14", gdb.ask("m10000,4"));
        assertEquals("E14", gdb.ask("Mfffe,4:01020304"));
    }

    @Test
    void badChecksumIsNakedAndTheRetryAnswered() throws IOException {
        gdb.raw("$qC#00");
        assertEquals('-', gdb.read());
        assertEquals("QC1", gdb.ask("qC"));
    }

    @Test
    void nakMakesTheStubResendItsReply() throws IOException {
        gdb.send("qC");
        assertEquals("QC1", readReplyWithoutAck());
        gdb.raw("-");
        assertEquals("QC1", gdb.reply());
    }

    private String readReplyWithoutAck() throws IOException {
        gdb.ackMode = false;
        try {
            return gdb.reply();
        } finally {
            gdb.ackMode = true;
        }
    }

    @Test
    void noAckModeStopsAcknowledgments() throws IOException {
        assertEquals("OK", gdb.ask("QStartNoAckMode"));
        gdb.ackMode = false;
        gdb.sendRaw("qC");
        assertEquals('$', gdb.read(), "no '+' any more");
        String rest = new String(gdb.socket.getInputStream().readNBytes(6), StandardCharsets.ISO_8859_1);
        assertEquals("QC1#" + RspClient.checksum("QC1"), rest);
        assertEquals("m1", gdb.ask("qfThreadInfo"));
        gdb.raw("$qC#00"); // checksums may go unchecked in no-ack mode, but a bad one is still dropped, not naked
        assertEquals("l", gdb.ask("qsThreadInfo"));
    }

    @Test
    void softwareAndHardwareBreakpointsStopWithTheirReason() throws IOException {
        assertEquals("OK", gdb.ask("Z0,1004,1"));
        String stop = gdb.ask("c");
        assertTrue(stop.startsWith("T05"), stop);
        assertNotNull(field(stop, "swbreak"), stop);
        assertEquals(0x1004, fromLe32(field(stop, "08")));
        assertEquals("OK", gdb.ask("z0,1004,1"));
        assertTrue(target.software.isEmpty());

        assertEquals("OK", gdb.ask("Z1,1008,1"));
        stop = gdb.ask("vCont;c");
        assertNotNull(field(stop, "hwbreak"), stop);
        assertEquals(0x1008, fromLe32(field(stop, "08")));
        assertEquals("OK", gdb.ask("z1,1008,1"));
        for (int a = 0x2000; a < 0x2004; a++) assertEquals("OK", gdb.ask("Z1," + Integer.toHexString(a) + ",1"));
        assertEquals("E22", gdb.ask("Z1,2004,1"), "a fifth debug register does not exist");
    }

    @Test
    void watchpointsReportTheWatchedAddress() throws IOException {
        byte[] code = {(byte) 0xA2, 0x00, 0x40, 0, 0, (byte) 0xA0, 0x10, 0x40, 0, 0, (byte) 0xA0, 0x20, 0x40, 0, 0};
        System.arraycopy(code, 0, target.memory, 0x1000, code.length);
        assertEquals("OK", gdb.ask("Z2,4000,4"));
        assertEquals("OK", gdb.ask("Z3,4010,2"));
        assertEquals("OK", gdb.ask("Z4,4020,1"));
        String stop = gdb.ask("c");
        assertEquals("4000", field(stop, "watch"), stop);
        assertEquals(0x1005, fromLe32(field(stop, "08")), "reported after the store");
        stop = gdb.ask("c");
        assertEquals("4010", field(stop, "rwatch"), stop);
        stop = gdb.ask("c");
        assertEquals("4020", field(stop, "awatch"), stop);
        assertEquals("OK", gdb.ask("z2,4000,4"));
        assertEquals(2, target.watches.size());
    }

    @Test
    void stepAndContinueWithAddressAndThreadForms() throws IOException {
        assertEquals("vCont;c;C;s;S", gdb.ask("vCont?"));
        String stop = gdb.ask("s");
        assertTrue(stop.startsWith("T05") && field(stop, "swbreak") == null, stop);
        assertEquals(0x1001, fromLe32(field(stop, "08")));
        stop = gdb.ask("s1800");
        assertEquals(0x1801, fromLe32(field(stop, "08")));
        stop = gdb.ask("vCont;s:1;c");
        assertEquals(0x1802, fromLe32(field(stop, "08")));
        stop = gdb.ask("vCont;s:p1.1");
        assertEquals(0x1803, fromLe32(field(stop, "08")));
        stop = gdb.ask("vCont;S05:p1.-1");
        assertEquals(0x1804, fromLe32(field(stop, "08")));
        assertEquals("OK", gdb.ask("Z0,1806,1"));
        stop = gdb.ask("vCont;s:2;c:1");
        assertEquals(0x1806, fromLe32(field(stop, "08")), "thread 2 does not exist, so thread 1 continues");
        assertNotNull(field(stop, "swbreak"), stop);
        assertEquals("resume", target.calls.getLast());
        assertTrue(gdb.ask("vCont;x").startsWith("E"));
        assertTrue(gdb.ask("vCont;s:5").startsWith("E"));
    }

    @Test
    void ctrlCInterruptsARunningTarget() throws IOException, InterruptedException {
        target.memory[0x1000] = (byte) 0xF4; // hlt: runs until interrupted
        gdb.send("c");
        for (int i = 0; i < 100 && !target.running; i++) Thread.sleep(10);
        assertTrue(target.running);
        gdb.raw("\u0003");
        String stop = gdb.reply();
        assertTrue(stop.startsWith("T02"), stop);
        assertTrue(target.calls.contains("interrupt"));
        assertEquals("QC1", gdb.ask("qC"), "the session goes on");
    }

    @Test
    void exitIsReportedWithItsStatus() throws IOException {
        target.regs.set(I386Layout.EAX, 3);
        target.memory[0x1002] = (byte) 0xE6;
        target.memory[0x1003] = (byte) 0xF4;
        assertEquals("W03", gdb.ask("c"));
        assertEquals("W03", gdb.ask("?"));
        assertEquals("W03", gdb.ask("c"), "nothing left to run");
    }

    @Test
    void monitorOutputComesAsOPacketsThenOk() throws IOException {
        gdb.send("qRcmd," + RspClient.hex("exits"));
        String o = gdb.reply();
        assertTrue(o.startsWith("O"), o);
        assertEquals("exits: 0 instructions, 0 exits (fake target)\n", RspClient.unhex(o.substring(1)));
        assertEquals("OK", gdb.reply());
        gdb.send("qRcmd," + RspClient.hex("fail"));
        assertTrue(RspClient.unhex(gdb.reply().substring(1)).contains("monitor failed on purpose"));
        assertEquals("E01", gdb.reply());
        assertEquals("E01", gdb.ask("qRcmd,6"));
    }

    @Test
    void targetDescriptionIsServedInPiecesAndDescribesTheLayout() throws Exception {
        StringBuilder xml = new StringBuilder();
        while (true) {
            String r = gdb.ask("qXfer:features:read:target.xml:" + Integer.toHexString(xml.length()) + ",100");
            assertTrue(r.startsWith("m") || r.startsWith("l"), r);
            xml.append(r.substring(1));
            if (r.startsWith("l")) break;
        }
        assertEquals(new String(I386Layout.targetXml(), StandardCharsets.US_ASCII), xml.toString());
        assertEquals("E00", gdb.ask("qXfer:features:read:64bit-core.xml:0,100"));

        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document d = f.newDocumentBuilder().parse(new ByteArrayInputStream(xml.toString().getBytes(StandardCharsets.US_ASCII)));
        Element feature = (Element) d.getElementsByTagName("feature").item(0);
        assertEquals("org.gnu.gdb.i386.core", feature.getAttribute("name"));
        NodeList regs = d.getElementsByTagName("reg");
        assertEquals(I386Layout.COUNT, regs.getLength());
        int bits = 0;
        for (int i = 0; i < regs.getLength(); i++) bits += Integer.parseInt(((Element) regs.item(i)).getAttribute("bitsize"));
        assertEquals(8 * I386Layout.SIZE, bits);
        assertEquals("eip", ((Element) regs.item(8)).getAttribute("name"));
        assertEquals("st0", ((Element) regs.item(16)).getAttribute("name"));
        assertEquals("80", ((Element) regs.item(16)).getAttribute("bitsize"));
        assertEquals("fop", ((Element) regs.item(31)).getAttribute("name"));
    }

    @Test
    void malformedInputIsAnsweredAndTheSessionSurvives() throws IOException {
        assertEquals("E01", gdb.ask("mzz,4"));
        assertEquals("E01", gdb.ask("m1000"));
        assertEquals("E01", gdb.ask("M1000,2:zz"));
        assertEquals("E01", gdb.ask("M1000,2:00"));
        assertEquals("E01", gdb.ask("X1000,2:a"));
        assertEquals("E01", gdb.ask("G1234"));
        assertEquals("E22", gdb.ask("p20"));
        assertEquals("E22", gdb.ask("pffffffffffffffffff"));
        assertEquals("E01", gdb.ask("P8=12"));
        assertEquals("E01", gdb.ask("P8"));
        assertEquals("", gdb.ask("Z9,1000,1"));
        assertEquals("E01", gdb.ask("Z0,1000"));
        assertEquals("E01", gdb.ask("m1ffffffff,4"), "past the 32-bit linear space");
        assertEquals("E01", gdb.ask("cxyz"));
        assertEquals("E01", gdb.ask("C;1000"));
        assertEquals("E01", gdb.ask("m1000,4}"), "packet ends inside an escape");
        assertEquals("E01", gdb.ask("*!m1000,4"), "a run with nothing to repeat");
        assertEquals("", gdb.ask("\u00ff\u0001junk"));
        gdb.raw("noise between packets");
        assertEquals("QC1", gdb.ask("qC"));
        assertEquals(0x1000, target.regs.get(I386Layout.EIP));
    }

    @Test
    void randomPacketsWhileStoppedAlwaysGetOneReply() throws IOException {
        String[] prefixes = {"m", "M", "X", "g", "G", "p", "P", "Z", "z", "H", "T", "?", "q", "Q", "v", "",
            "qXfer:features:read:", "qRcmd,", "qSupported:", "qAttached:", "Hg", "Z1,", "z0,"};
        String alphabet = "0123456789abcdefABCDEF,:;=-p.xyz}* \u0000\u00ff";
        java.util.Random rnd = new java.util.Random(7);
        for (int i = 0; i < 3000; i++) {
            StringBuilder b = new StringBuilder(prefixes[rnd.nextInt(prefixes.length)]);
            for (int n = rnd.nextInt(24); n > 0; n--) b.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            String body = b.toString();
            if (!body.isEmpty() && "cCsSDk".indexOf(body.charAt(0)) >= 0 || body.startsWith("vCont;") || body.startsWith("vKill")) {
                continue; // these run or end the target: not the subject here
            }
            String r;
            try {
                r = gdb.ask(body);
            } catch (IOException e) {
                throw new AssertionError("no reply to " + body, e);
            }
            while (body.startsWith("qRcmd,") && r.startsWith("O") && !r.equals("OK")) r = gdb.reply();
        }
        assertEquals("QC1", gdb.ask("qC"));
        assertTrue(server.attached());
    }

    @Test
    void oversizedPacketIsRejectedWithoutGrowingWithoutBound() throws IOException {
        String huge = "M1000,1:" + "0".repeat(RspReader.MAX_PACKET + 10);
        assertEquals("E01", gdb.ask(huge));
        assertEquals("QC1", gdb.ask("qC"));
    }

    @Test
    void detachRemovesBreakpointsAndReleasesTheTarget() throws Exception {
        assertEquals("OK", gdb.ask("Z0,1004,1"));
        assertEquals("OK", gdb.ask("Z2,4000,4"));
        assertEquals("OK", gdb.ask("D"));
        assertEquals(-1, gdb.read(), "the stub closes the connection");
        waitFor(() -> target.calls.contains("detach"));
        waitFor(() -> !server.attached());
        assertTrue(target.software.isEmpty());
        assertTrue(target.watches.isEmpty());
        assertTrue(target.calls.indexOf("remove SOFTWARE 1004") < target.calls.indexOf("detach"));

        try (RspClient again = new RspClient(server.port())) {
            assertEquals("QC1", again.ask("qC"), "a new client can attach after the first left");
        }
    }

    @Test
    void disconnectWhileRunningStopsRemovesAndDetaches() throws Exception {
        target.memory[0x1000] = (byte) 0xF4;
        assertEquals("OK", gdb.ask("Z1,2000,1"));
        gdb.send("c");
        waitFor(() -> target.running);
        gdb.close();
        waitFor(() -> target.calls.contains("detach"));
        assertEquals(java.util.List.of("attach", "insert HARDWARE 2000", "resume", "interrupt", "remove HARDWARE 2000", "detach"),
            target.calls);
    }

    @Test
    void killEndsTheSession() throws Exception {
        gdb.send("k");
        assertEquals(-1, gdb.read());
        waitFor(() -> target.calls.contains("kill"));
        assertFalse(target.calls.contains("detach"));
    }

    @Test
    void aSecondClientIsRefusedWhileOneIsAttached() throws Exception {
        assertEquals("QC1", gdb.ask("qC"));
        try (RspClient second = new RspClient(server.port())) {
            assertEquals(-1, second.read(), "refused");
        }
        assertEquals("QC1", gdb.ask("qC"), "the first one is unaffected");
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        for (int i = 0; i < 500 && !cond.getAsBoolean(); i++) Thread.sleep(10);
        assertTrue(cond.getAsBoolean(), "condition not reached in 5 s");
    }
}
