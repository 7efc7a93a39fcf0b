package dev.trapdoor.debug.gdb;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The packets answered while the target is stopped that neither run it nor end the session:
 * registers (g G p P), memory (m M X), breakpoints (Z z), thread queries and qXfer. Each
 * reply is one packet; bad arguments get E packets (E01 malformed, E14 bad address, E22 bad
 * value) and never an exception.
 */
final class GdbCommands {
    static final String E_MALFORMED = "E01", E_FAULT = "E14", E_INVALID = "E22";
    /** Largest m/M/X transfer in one packet: any write that fits in PacketSize fits here; longer reads come back short, which gdb continues. */
    static final int MAX_MEMORY = RspReader.MAX_PACKET;
    static final String SUPPORTED = "PacketSize=" + Integer.toHexString(RspReader.MAX_PACKET)
        + ";qXfer:features:read+;swbreak+;hwbreak+;vContSupported+;QStartNoAckMode+";

    /** Returned by a handler that has sent its reply itself (a binary qXfer reply). */
    @SuppressWarnings("StringOperationCanBeSimplified")
    private static final String SENT = new String("sent");

    private record Placed(BreakpointType type, long address, int length) {}

    private final GdbTarget target;
    private final I386Registers regs = new I386Registers();
    private final byte[] mem = new byte[MAX_MEMORY];
    private final Set<Placed> placed = new LinkedHashSet<>();

    GdbCommands(GdbTarget target) {
        this.target = target;
    }

    /** Answers a packet and returns true, or returns false for a packet this class does not handle. */
    boolean handle(String p, RspWriter w) throws IOException {
        String reply = switch (p.isEmpty() ? ' ' : p.charAt(0)) {
            case 'g' -> p.length() == 1 ? readAll() : E_MALFORMED;
            case 'G' -> writeAll(p);
            case 'p' -> readOne(p);
            case 'P' -> writeOne(p);
            case 'm' -> readMemory(p);
            case 'M' -> writeMemory(p, false);
            case 'X' -> writeMemory(p, true);
            case 'Z', 'z' -> breakpoint(p);
            case 'H' -> p.length() >= 2 && threadOk(p.substring(2)) ? "OK" : E_MALFORMED;
            case 'T' -> threadOk(p.substring(1)) ? "OK" : E_MALFORMED;
            case 'q' -> query(p, w);
            default -> null;
        };
        if (reply == null) return false;
        if (reply != SENT) w.send(reply);
        return true;
    }

    /** Removes every breakpoint and watchpoint the client placed (before detach or on disconnect). */
    void removeAllBreakpoints() {
        for (Placed b : placed) {
            try {
                target.removeBreakpoint(b.type(), b.address(), b.length());
            } catch (RuntimeException e) {
                GdbServer.LOG.log(System.Logger.Level.WARNING, "removing " + b + " failed", e);
            }
        }
        placed.clear();
    }

    /** The thread ids we accept: the one thread 1, all (-1), any (0), and the multiprocess p1.x forms. */
    static boolean threadOk(String id) {
        if (id.startsWith("p")) {
            int dot = id.indexOf('.');
            String pid = dot < 0 ? id.substring(1) : id.substring(1, dot);
            if (!(pid.equals("1") || pid.equals("-1"))) return false;
            if (dot < 0) return true;
            id = id.substring(dot + 1);
        }
        return id.equals("-1") || Hex.parse(id) == 0 || Hex.parse(id) == 1;
    }

    private String readAll() {
        target.readRegisters(regs);
        return Hex.encode(regs.bytes(), 0, I386Layout.SIZE);
    }

    private String writeAll(String p) {
        if (p.length() != 1 + 2 * I386Layout.SIZE) return E_MALFORMED;
        byte[] b = new byte[I386Layout.SIZE];
        if (!Hex.decode(p, 1, b, b.length)) return E_MALFORMED;
        System.arraycopy(b, 0, regs.bytes(), 0, b.length);
        target.writeRegisters(regs);
        return "OK";
    }

    private String readOne(String p) {
        long n = Hex.parse(p, 1, p.length());
        if (n < 0 || n >= I386Layout.COUNT) return E_INVALID;
        target.readRegisters(regs);
        return Hex.encode(regs.bytes(), I386Layout.offset((int) n), I386Layout.size((int) n));
    }

    private String writeOne(String p) {
        int eq = p.indexOf('=');
        if (eq < 0) return E_MALFORMED;
        long n = Hex.parse(p, 1, eq);
        if (n < 0 || n >= I386Layout.COUNT) return E_INVALID;
        int size = I386Layout.size((int) n);
        byte[] v = new byte[size];
        if (p.length() - eq - 1 != 2 * size || !Hex.decode(p, eq + 1, v, size)) return E_MALFORMED;
        target.readRegisters(regs);
        System.arraycopy(v, 0, regs.bytes(), I386Layout.offset((int) n), size);
        target.writeRegisters(regs);
        return "OK";
    }

    /** "m addr,length": as many bytes as are readable from addr; E14 when none is. */
    private String readMemory(String p) {
        long[] al = addressLength(p, 1, p.length());
        if (al == null) return E_MALFORMED;
        int len = (int) Math.min(al[1], MAX_MEMORY);
        if (len == 0) return "";
        int got = target.readMemory(al[0], mem, 0, len);
        if (got <= 0) return E_FAULT;
        return Hex.encode(mem, 0, Math.min(got, len));
    }

    /** "M addr,length:hex" and "X addr,length:binary". */
    private String writeMemory(String p, boolean binary) {
        int colon = p.indexOf(':');
        if (colon < 0) return E_MALFORMED;
        long[] al = addressLength(p, 1, colon);
        if (al == null || al[1] > MAX_MEMORY) return E_MALFORMED;
        int len = (int) al[1];
        if (binary) {
            if (p.length() - colon - 1 != len) return E_MALFORMED;
            for (int i = 0; i < len; i++) mem[i] = (byte) p.charAt(colon + 1 + i);
        } else if (p.length() - colon - 1 != 2 * len || !Hex.decode(p, colon + 1, mem, len)) {
            return E_MALFORMED;
        }
        if (len == 0) return "OK"; // gdb probes X support with an empty write
        return target.writeMemory(al[0], mem, 0, len) == len ? "OK" : E_FAULT;
    }

    /** "Z type,addr,kind[;cond...]" and "z type,addr,kind". */
    private String breakpoint(String p) {
        int c1 = p.indexOf(',');
        if (c1 < 0) return E_MALFORMED;
        long t = Hex.parse(p, 1, c1);
        BreakpointType type = BreakpointType.ofNumber((int) Math.min(t, Integer.MAX_VALUE));
        if (type == null) return ""; // an unknown type is an unsupported packet
        int end = p.indexOf(';');
        long[] al = addressLength(p, c1 + 1, end < 0 ? p.length() : end);
        if (al == null || al[1] == 0 || al[1] > 0x1000) return E_MALFORMED;
        if (!target.supports(type)) return "";
        Placed b = new Placed(type, al[0], (int) al[1]);
        if (p.charAt(0) == 'Z') {
            if (placed.contains(b)) return "OK"; // gdb may re-insert; placing twice would need two removes
            if (!target.insertBreakpoint(type, b.address(), b.length())) return E_INVALID;
            placed.add(b);
        } else {
            if (!placed.remove(b)) return "OK"; // removing one we never placed: nothing to do
            if (!target.removeBreakpoint(type, b.address(), b.length())) return E_INVALID;
        }
        return "OK";
    }

    private String query(String p, RspWriter w) throws IOException {
        if (p.startsWith("qSupported")) return SUPPORTED;
        if (p.equals("qAttached") || p.startsWith("qAttached:")) return "1";
        if (p.equals("qC")) return "QC1";
        if (p.equals("qfThreadInfo")) return "m1";
        if (p.equals("qsThreadInfo")) return "l";
        if (p.startsWith("qXfer:features:read:")) {
            features(p.substring("qXfer:features:read:".length()), w);
            return SENT;
        }
        return null;
    }

    /** "qXfer:features:read:annex:offset,length": 'm' with more to come, 'l' with the last part. */
    private void features(String args, RspWriter w) throws IOException {
        int colon = args.lastIndexOf(':');
        if (colon < 0) {
            w.send(E_MALFORMED);
            return;
        }
        if (!args.substring(0, colon).equals("target.xml")) {
            w.send("E00"); // no such annex
            return;
        }
        long[] al = addressLength(args, colon + 1, args.length());
        if (al == null) {
            w.send(E_MALFORMED);
            return;
        }
        byte[] xml = I386Layout.targetXmlShared();
        if (al[0] >= xml.length) {
            w.send("l");
            return;
        }
        int len = (int) Math.min(Math.min(al[1], xml.length - al[0]), RspReader.MAX_PACKET / 2);
        boolean last = al[0] + len >= xml.length;
        w.sendBinary(last ? "l" : "m", xml, (int) al[0], len);
    }

    /** "addr,length" in s[from..to) as two unsigned hex numbers, or null. Addresses must fit in 32 bits plus a carry. */
    static long[] addressLength(String s, int from, int to) {
        int comma = s.indexOf(',', from);
        if (comma < 0 || comma >= to) return null;
        long a = Hex.parse(s, from, comma), l = Hex.parse(s, comma + 1, to);
        if (a < 0 || l < 0 || a > 0xFFFF_FFFFL || l > Integer.MAX_VALUE) return null;
        return new long[] {a, l};
    }
}
