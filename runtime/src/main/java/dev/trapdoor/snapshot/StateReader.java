package dev.trapdoor.snapshot;

import java.nio.charset.StandardCharsets;

/**
 * Reads what a {@link StateWriter} wrote. Every read is bounds-checked: running off the end, or
 * a length or value out of range, is a {@link SnapshotException} naming the part.
 */
public final class StateReader {
    private final String part;
    private final byte[] buf;
    private int pos;
    private final int end;

    public StateReader(String part, byte[] buf) {
        this(part, buf, 0, buf.length);
    }

    private StateReader(String part, byte[] buf, int off, int len) {
        this.part = part;
        this.buf = buf;
        this.pos = off;
        this.end = off + len;
    }

    public String part() {
        return part;
    }

    private void need(int n) {
        if (n < 0 || end - pos < n) throw fail("is truncated");
    }

    public SnapshotException fail(String what) {
        return new SnapshotException("the saved state of " + part + " " + what);
    }

    public int u8() {
        need(1);
        return buf[pos++] & 0xff;
    }

    public boolean bool() {
        int v = u8();
        if (v > 1) throw fail("has " + v + " where a boolean belongs");
        return v == 1;
    }

    public int i32() {
        need(4);
        int v = 0;
        for (int i = 0; i < 4; i++) v |= (buf[pos++] & 0xff) << (8 * i);
        return v;
    }

    public long i64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v |= (buf[pos++] & 0xffL) << (8 * i);
        return v;
    }

    /** An int that must lie in [min, max]. */
    public int range(int min, int max, String what) {
        int v = i32();
        if (v < min || v > max) throw fail("has " + what + " " + v + " (expected " + min + ".." + max + ")");
        return v;
    }

    public byte[] bytes() {
        int n = i32();
        need(n);
        byte[] b = new byte[n];
        System.arraycopy(buf, pos, b, 0, n);
        pos += n;
        return b;
    }

    /** A length-prefixed array that must have exactly length bytes, copied into dst. */
    public void bytesInto(byte[] dst) {
        int n = i32();
        if (n != dst.length) throw fail("has " + n + " bytes where " + dst.length + " belong");
        need(n);
        System.arraycopy(buf, pos, dst, 0, n);
        pos += n;
    }

    public void intsInto(int[] dst) {
        int n = i32();
        if (n != dst.length) throw fail("has " + n + " values where " + dst.length + " belong");
        for (int i = 0; i < n; i++) dst[i] = i32();
    }

    public void longsInto(long[] dst) {
        int n = i32();
        if (n != dst.length) throw fail("has " + n + " values where " + dst.length + " belong");
        for (int i = 0; i < n; i++) dst[i] = i64();
    }

    public String string() {
        return new String(bytes(), StandardCharsets.UTF_8);
    }

    /** Hands a nested part's bytes to it. */
    public void part(Stateful p, String name) {
        int n = i32();
        need(n);
        StateReader r = new StateReader(part + "/" + name, buf, pos, n);
        pos += n;
        p.loadState(r);
        r.done();
    }

    /** Checks that the part read everything it was given (a size mismatch means a format mismatch). */
    public void done() {
        if (pos != end) throw fail("has " + (end - pos) + " bytes left over");
    }
}
