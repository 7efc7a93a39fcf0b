package dev.trapdoor.devices.pit;

import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * Port 0x61, the PC/AT system control port B: bit 0 gates PIT counter 2, bit 1 enables the
 * speaker data, bits 2-3 are the parity and I/O channel check enables (read back as written);
 * read-only bit 4 toggles with each DRAM refresh request (every 18 PIT input clocks, 15.09 us,
 * on virtual time), bit 5 is counter 2's OUT, bits 6-7 (channel check, parity error) read 0:
 * nothing raises an NMI.
 */
public final class SystemControlPortB implements PioDevice, Stateful {
    public static final int PORT = 0x61;
    private static final long REFRESH_PERIOD_TICKS = 18;

    private final I8254Pit pit;
    private final VirtualClock clock;
    private int control;

    public SystemControlPortB(I8254Pit pit, VirtualClock clock) {
        this.pit = pit;
        this.clock = clock;
        pit.setGate(2, false);
    }

    @Override
    public int read(int offset, int size) {
        if (offset != 0) return 0xff;
        int v = control & 0x0f;
        long ticks = VirtualClock.ticksAt(clock.now(), I8254Pit.INPUT_HZ);
        if (((ticks / REFRESH_PERIOD_TICKS) & 1) != 0) v |= 0x10;
        if (pit.out(2)) v |= 0x20;
        return v;
    }

    @Override
    public void write(int offset, int size, int value) {
        if (offset != 0) return;
        control = value & 0x0f;
        pit.setGate(2, (control & 0x01) != 0);
    }

    /** Whether the speaker sounds: its data enable and counter 2's OUT. */
    public boolean speakerOn() {
        return (control & 0x02) != 0 && pit.out(2);
    }

    public void reset() {
        write(0, 1, 0);
    }

    @Override
    public void saveState(StateWriter out) {
        out.i32(control);
    }

    @Override
    public void loadState(StateReader in) {
        control = in.range(0, 0x0f, "control bits");
    }
}
