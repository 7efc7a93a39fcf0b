package dev.trapdoor.devices;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * QEMU's isa-debug-exit device: a write of value v anywhere in its window stops the machine with
 * exit status (v << 1) | 1, so a guest can never make a run look like a clean exit 0. Reads
 * return 0 (QEMU's read handler returns 0; it is also the only way a guest can probe for it).
 * The usual placement is iobase 0xf4 with iosize 1, 2 or 4.
 */
public final class DebugExit implements PioDevice, Stateful {
    public static final int DEFAULT_BASE = 0xf4;

    private final int size;
    private final MachineControl machine;
    private long writes;
    private int lastStatus = -1;

    public DebugExit(int iosize, MachineControl machine) {
        if (iosize != 1 && iosize != 2 && iosize != 4)
            throw new IllegalArgumentException("isa-debug-exit iosize must be 1, 2 or 4, not " + iosize);
        this.size = iosize;
        this.machine = machine;
    }

    public DebugExit(MachineControl machine) {
        this(1, machine);
    }

    // ---- access

    @Override
    public int read(int offset, int size) {
        return 0;
    }

    @Override
    public void write(int offset, int size, int value) {
        int status = (value << 1) | 1;
        writes++;
        lastStatus = status;
        machine.requestShutdown(status, String.format("isa-debug-exit: guest wrote 0x%x (%d byte%s)",
                value, size, size == 1 ? "" : "s"));
    }

    // ---- state

    /** The window size in ports, for mapping on the bus. */
    public int iosize() {
        return size;
    }

    public long writes() {
        return writes;
    }

    /** The status of the last exit request, or -1 if the guest never asked. */
    public int lastStatus() {
        return lastStatus;
    }

    public void reset() {
        writes = 0;
        lastStatus = -1;
    }

    @Override
    public void saveState(StateWriter out) {
        out.i64(writes).i32(lastStatus);
    }

    @Override
    public void loadState(StateReader in) {
        writes = in.i64();
        lastStatus = in.i32();
    }
}
