package dev.trapdoor.devices.pit;

import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The Intel 8254 programmable interval timer as wired in a PC (ports 0x40-0x43): three counters
 * on a 1.193182 MHz input clock; counter 0's OUT is IRQ 0, counter 1 (DRAM refresh) goes
 * nowhere, counter 2's gate and OUT are reached through port 0x61 ({@link SystemControlPortB}).
 * Gates 0 and 1 are tied high.
 *
 * <p>Time comes from the {@link VirtualClock}; the counters are computed, not ticked. Only
 * counter 0 puts a timer on the clock, at its next OUT transition (two per period in modes 2 and
 * 3, one or two per shot in modes 0, 1, 4, 5), so the owner of the clock must run due timers
 * before letting the guest go past {@link VirtualClock#nextDeadline()}.
 *
 * <p>Not thread-safe: confined to the thread that runs the machine and its clock.
 */
public final class I8254Pit implements PioDevice, Stateful {
    public static final int BASE = 0x40;
    public static final int PORTS = 4;
    public static final int IRQ = 0;
    /** The PC's PIT input clock: 14.31818 MHz / 12. */
    public static final long INPUT_HZ = 1_193_182;

    private final PitChannel[] channels = new PitChannel[3];

    public I8254Pit(VirtualClock clock, IrqLine irq0) {
        channels[0] = new PitChannel(clock, irq0, true, true);
        channels[1] = new PitChannel(clock, IrqLine.NONE, true, false);
        channels[2] = new PitChannel(clock, IrqLine.NONE, false, false);
        reset();
    }

    // ---- port access

    // An 8-bit ISA device: a wider access is a byte access to each port in turn.
    @Override
    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= readByte(offset + i) << (8 * i);
        return v;
    }

    @Override
    public void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) writeByte(offset + i, (value >>> (8 * i)) & 0xff);
    }

    private int readByte(int offset) {
        if (offset >= 0 && offset < 3) return channels[offset].read();
        return 0xff;                                // the control word register cannot be read
    }

    private void writeByte(int offset, int value) {
        if (offset >= 0 && offset < 3) {
            channels[offset].writeCount(value);
        } else if (offset == 3) {
            controlWord(value);
        }
    }

    /** Control word (8254 datasheet, "Control Word Format"): SC1-SC0, RW1-RW0, M2-M0, BCD. */
    private void controlWord(int value) {
        int select = value >>> 6;
        if (select == 3) {
            // Read-back command: bit 5 clear latches the counts, bit 4 clear the statuses, of
            // the counters selected by bits 3-1.
            for (int c = 0; c < 3; c++) {
                if ((value & (2 << c)) == 0) continue;
                if ((value & 0x20) == 0) channels[c].latchCount();
                if ((value & 0x10) == 0) channels[c].latchStatus();
            }
            return;
        }
        if ((value & 0x30) == 0) channels[select].latchCount();   // counter latch command
        else channels[select].controlWord(value);
    }

    // ---- wiring for port 0x61 and inspection

    /** Drives a counter's gate input (on a PC only counter 2's is not tied high). */
    public void setGate(int channel, boolean level) {
        channels[channel].setGate(level);
    }

    public boolean gate(int channel) {
        return channels[channel].gate();
    }

    /** A counter's OUT at the clock's current time. */
    public boolean out(int channel) {
        return channels[channel].out();
    }

    /** The counting element as a read would see it (binary or BCD per the control word). */
    public int counter(int channel) {
        return channels[channel].counterValue();
    }

    /**
     * Power-on state. The datasheet leaves mode, count and OUT undefined; without a BIOS to
     * program them we start every counter in mode 0 with no count, OUT low and nothing counting.
     */
    public void reset() {
        for (PitChannel c : channels) c.reset();
    }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        for (PitChannel c : channels) out.part(c);
    }

    @Override
    public void loadState(StateReader in) {
        for (int i = 0; i < channels.length; i++) in.part(channels[i], "channel" + i);
    }
}
