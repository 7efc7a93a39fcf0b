package dev.trapdoor.snapshot;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable little-endian byte buffer that parts write their state into. */
public final class StateWriter {
    private byte[] buf = new byte[256];
    private int size;

    private void room(int n) {
        if (size + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
    }

    public StateWriter u8(int v) {
        room(1);
        buf[size++] = (byte) v;
        return this;
    }

    public StateWriter bool(boolean v) {
        return u8(v ? 1 : 0);
    }

    public StateWriter i32(int v) {
        room(4);
        for (int i = 0; i < 4; i++) buf[size++] = (byte) (v >>> (8 * i));
        return this;
    }

    public StateWriter i64(long v) {
        room(8);
        for (int i = 0; i < 8; i++) buf[size++] = (byte) (v >>> (8 * i));
        return this;
    }

    /** A length-prefixed byte array. */
    public StateWriter bytes(byte[] b) {
        return bytes(b, 0, b.length);
    }

    public StateWriter bytes(byte[] b, int off, int len) {
        i32(len);
        room(len);
        System.arraycopy(b, off, buf, size, len);
        size += len;
        return this;
    }

    public StateWriter ints(int[] a) {
        i32(a.length);
        for (int v : a) i32(v);
        return this;
    }

    public StateWriter longs(long[] a) {
        i32(a.length);
        for (long v : a) i64(v);
        return this;
    }

    public StateWriter string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A nested part: its bytes, length-prefixed, so a reader can hand them to the part whole. */
    public StateWriter part(Stateful p) {
        StateWriter w = new StateWriter();
        p.saveState(w);
        return bytes(w.buf, 0, w.size);
    }

    public int size() {
        return size;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, size);
    }
}
