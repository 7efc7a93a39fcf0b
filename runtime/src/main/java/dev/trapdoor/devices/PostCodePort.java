package dev.trapdoor.devices;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The POST diagnostic port (0x80): a latch that firmware writes progress codes to and Linux
 * writes as an I/O delay (outb_p). Reads return the last byte written, as on the boards whose
 * port-80 card latches it; the write count is what exit benchmarks read.
 */
public final class PostCodePort implements PioDevice, Stateful {
    public static final int DEFAULT_PORT = 0x80;

    private int last;
    private long writes;

    @Override
    public int read(int offset, int size) {
        return last;
    }

    @Override
    public void write(int offset, int size, int value) {
        last = value & 0xff;
        writes++;
    }

    /** The last code written (0 after reset). */
    public int lastValue() {
        return last;
    }

    public long writes() {
        return writes;
    }

    public void reset() {
        last = 0;
        writes = 0;
    }

    @Override
    public void saveState(StateWriter out) {
        out.i32(last).i64(writes);
    }

    @Override
    public void loadState(StateReader in) {
        last = in.range(0, 0xff, "POST code");
        writes = in.i64();
    }
}
