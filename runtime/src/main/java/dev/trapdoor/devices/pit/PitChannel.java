package dev.trapdoor.devices.pit;

import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * One 8254 counter, computed from virtual time rather than ticked: the count register (CR) is
 * transferred to the counting element (CE) at a known input-clock tick, and CE and OUT at any
 * later tick follow from the mode's formula. A channel whose OUT drives an interrupt line keeps
 * one timer on the clock, set for the next OUT transition only.
 *
 * <p>Ticks count input-clock pulses since time 0. "e" is the number of pulses since the load
 * pulse (e = 0 on the pulse that loads N into CE, datasheet "Operation Common to All Modes":
 * the count is loaded on the first CLK pulse after it is written, and that pulse does not
 * decrement).
 *
 * <p>One simplification: a count written while mode 3 runs takes effect at the end of the
 * current period (as in mode 2); the datasheet has it at the end of the current half-cycle.
 * Count 1 in modes 2 and 3 (illegal per the datasheet) behaves as 2.
 */
final class PitChannel implements Stateful {
    private enum State { IDLE, AWAITING_TRIGGER, RUNNING }

    private final VirtualClock clock;
    private final IrqLine outLine;
    private final VirtualClock.Timer timer;

    // ---- control word
    private int modeBits;          // M2-M0 as written (6 and 7 read back as written)
    private int mode;              // the effective mode, 0-5
    private int access = 3;        // RW1-RW0: 1 LSB, 2 MSB, 3 LSB then MSB
    private boolean bcd;

    // ---- count register and its write flip-flop
    private int countRegister;
    private int lsbWritten;
    private boolean writeMsbNext;
    private long transferTick = Long.MAX_VALUE; // when the last written count reaches CE (null count until then)

    // ---- counting element
    private State state = State.IDLE;
    private int n;                 // the count in CE's cycle: 1..65536 (binary) or 1..10000 (BCD)
    private long loadTick;
    private boolean gate;
    private boolean frozen;        // gate low in a mode where that stops counting
    private long frozenElapsed;
    private int heldCe;            // CE before the first load
    private boolean pendingReload; // modes 2/3: a new count waits for the end of the cycle
    private int pendingN;
    private boolean outLevel;      // the level last driven on outLine

    // ---- read side
    private boolean statusLatched;
    private int latchedStatus;
    private int latchedBytes;      // latched count bytes still to read
    private int latchedCount;
    private boolean readMsbNext;

    PitChannel(VirtualClock clock, IrqLine outLine, boolean gate, boolean scheduleOutput) {
        this.clock = clock;
        this.outLine = outLine;
        this.gate = gate;
        this.timer = scheduleOutput ? clock.newTimer((t, deadline) -> onOutputEvent(deadline)) : null;
    }

    private long tickNow() {
        return VirtualClock.ticksAt(clock.now(), I8254Pit.INPUT_HZ);
    }

    // ---- programming

    void controlWord(int value) {
        long t = tickNow();
        sync(t);
        access = (value >>> 4) & 3;
        modeBits = (value >>> 1) & 7;
        mode = modeBits > 5 ? modeBits - 4 : modeBits;
        bcd = (value & 1) != 0;
        // "When a Control Word is written to a Counter, all Control Logic is immediately reset
        // and OUT goes to a known initial state" (low in mode 0, high otherwise).
        heldCe = ceAt(t);
        state = State.IDLE;
        frozen = false;
        pendingReload = false;
        writeMsbNext = false;
        readMsbNext = false;
        latchedBytes = 0;
        statusLatched = false;
        transferTick = Long.MAX_VALUE;
        updateOutput(t);
    }

    void writeCount(int value) {
        long t = tickNow();
        sync(t);
        switch (access) {
            case 1 -> countWritten(t, value);
            case 2 -> countWritten(t, value << 8);
            default -> {
                if (!writeMsbNext) {
                    lsbWritten = value;
                    writeMsbNext = true;
                    if (!pendingReload) transferTick = Long.MAX_VALUE; // null count until loaded
                    if (mode == 0) {
                        // Mode 0: writing the first byte stops counting and sets OUT low.
                        heldCe = ceAt(t);
                        state = State.IDLE;
                        updateOutput(t);
                    }
                } else {
                    writeMsbNext = false;
                    countWritten(t, lsbWritten | (value << 8));
                }
            }
        }
    }

    private void countWritten(long t, int cr) {
        countRegister = cr & 0xffff;
        int count = cycleLength(countRegister);
        switch (mode) {
            case 0, 4 -> start(t, count);
            case 1, 5 -> {
                if (state == State.IDLE) state = State.AWAITING_TRIGGER;
                transferTick = Long.MAX_VALUE;           // waits for a gate edge
            }
            default -> {
                if (state == State.RUNNING && !frozen) {
                    // Modes 2/3: the new count takes effect at the end of the current cycle.
                    long e = t - loadTick;
                    pendingN = count;
                    pendingReload = true;
                    transferTick = e < 0 ? loadTick : loadTick + (e / n + 1) * n;
                } else {
                    start(t, count);
                }
            }
        }
        updateOutput(t);
    }

    /** The count goes into CE on the next input pulse; counting waits for the gate if it is low. */
    private void start(long t, int count) {
        n = count;
        loadTick = t + 1;
        transferTick = loadTick;
        state = State.RUNNING;
        pendingReload = false;
        // With the gate low the count is still loaded, but counting waits for the gate.
        frozen = !gate && mode != 1 && mode != 5;
        frozenElapsed = 0;
        if (frozen) heldCe = count % modulus();
    }

    void setGate(boolean level) {
        long t = tickNow();
        sync(t);
        boolean rising = level && !gate;
        boolean falling = !level && gate;
        gate = level;
        if (rising) {
            switch (mode) {
                case 1, 5 -> {
                    if (state != State.IDLE) {
                        start(t, cycleLength(countRegister));
                    }
                }
                case 2, 3 -> {
                    if (state == State.RUNNING) {
                        // The gate's rising edge reloads the initial count on the next pulse.
                        frozen = false;
                        int count = pendingReload ? pendingN : n;
                        start(t, count);
                    }
                }
                default -> {
                    if (state == State.RUNNING && frozen) {
                        frozen = false;
                        loadTick = t - frozenElapsed;
                    }
                }
            }
        } else if (falling && state == State.RUNNING && mode != 1 && mode != 5) {
            frozenElapsed = loadTick > t ? -1 : t - loadTick;
            if (mode == 2 || mode == 3) heldCe = ceAt(t);
            frozen = true;
        }
        updateOutput(t);
    }

    // ---- reading

    void latchCount() {
        if (latchedBytes != 0) return;             // a second latch before reading is ignored
        long t = tickNow();
        sync(t);
        latchedCount = encode(ceAt(t));
        latchedBytes = access == 3 ? 2 : 1;
        readMsbNext = access == 2;
    }

    void latchStatus() {
        if (statusLatched) return;
        long t = tickNow();
        sync(t);
        latchedStatus = status(t);
        statusLatched = true;
    }

    int read() {
        if (statusLatched) {
            statusLatched = false;
            return latchedStatus;
        }
        int value;
        if (latchedBytes > 0) {
            value = latchedCount;
            latchedBytes--;
        } else {
            long t = tickNow();
            sync(t);
            value = encode(ceAt(t));
        }
        int b;
        switch (access) {
            case 1 -> b = value & 0xff;
            case 2 -> b = (value >>> 8) & 0xff;
            default -> {
                b = readMsbNext ? (value >>> 8) & 0xff : value & 0xff;
                readMsbNext = !readMsbNext;
            }
        }
        return b;
    }

    int status(long t) {
        int s = (access << 4) | (modeBits << 1) | (bcd ? 1 : 0);
        if (outAt(t)) s |= 0x80;
        if (t < transferTick) s |= 0x40;           // null count
        return s;
    }

    boolean out() {
        long t = tickNow();
        sync(t);
        return outAt(t);
    }

    int counterValue() {
        long t = tickNow();
        sync(t);
        return encode(ceAt(t));
    }

    boolean gate() {
        return gate;
    }

    // ---- the counter as a function of time

    private void sync(long t) {
        if (pendingReload && t >= transferTick) {
            pendingReload = false;
            n = pendingN;
            loadTick = transferTick;
        }
    }

    private long elapsed(long t) {
        return frozen ? frozenElapsed : t - loadTick;
    }

    private int modulus() {
        return bcd ? 10000 : 0x10000;
    }

    /** N for a count register value: 0 is the largest count (2^16, or 10^4 in BCD). */
    private int cycleLength(int cr) {
        int v = bcd ? fromBcd(cr) : cr;
        if (v == 0) v = modulus();
        if ((mode == 2 || mode == 3) && v < 2) v = 2; // count 1 is illegal in these modes
        return v;
    }

    private int ceAt(long t) {
        if (state != State.RUNNING) return heldCe;
        long e = elapsed(t);
        if (e < 0 || (frozen && (mode == 2 || mode == 3))) return heldCe;
        switch (mode) {
            case 2 -> {
                return (int) (n - e % n) % modulus();
            }
            case 3 -> {
                long p = e % n;
                long high = (n + 1) / 2;
                if ((n & 1) == 0) return (int) ((n - 2 * (p < high ? p : p - high)) % modulus());
                return (int) (n - 1 - 2 * (p < high ? p : p - high));
            }
            default -> {
                return (int) Math.floorMod(n - e, (long) modulus());
            }
        }
    }

    private boolean outAt(long t) {
        if (state == State.IDLE) return mode != 0;
        if (state == State.AWAITING_TRIGGER) return true;
        if ((mode == 2 || mode == 3) && frozen) return true; // gate low forces OUT high
        long e = elapsed(t);
        if (e < 0) return mode != 0;
        return switch (mode) {
            case 0, 1 -> e >= n;
            case 2 -> e % n != n - 1;
            case 3 -> e % n < (n + 1) / 2;
            default -> e != n;                     // modes 4, 5: one low pulse at terminal count
        };
    }

    /** The next tick after t at which OUT changes, or Long.MAX_VALUE. */
    private long nextOutChange(long t) {
        if (state != State.RUNNING || frozen) return Long.MAX_VALUE;
        long e = t - loadTick;
        long next = switch (mode) {
            case 0 -> e < n ? loadTick + n : Long.MAX_VALUE;
            case 1 -> e < 0 ? loadTick : e < n ? loadTick + n : Long.MAX_VALUE;
            case 2 -> {
                if (e < 0) yield loadTick + n - 1;
                long p = e % n;
                yield p < n - 1 ? t + (n - 1 - p) : t + 1;
            }
            case 3 -> {
                long high = (n + 1) / 2;
                if (e < 0) yield loadTick + high;
                long p = e % n;
                yield p < high ? t + (high - p) : t + (n - p);
            }
            default -> e < n ? loadTick + n : e == n ? t + 1 : Long.MAX_VALUE;
        };
        if (pendingReload && next > transferTick) next = transferTick;
        return next;
    }

    // ---- the output line

    private void updateOutput(long t) {
        boolean level = outAt(t);
        if (level != outLevel) {
            outLevel = level;
            outLine.set(level);
        }
        if (timer == null) return;
        long next = nextOutChange(t);
        if (next == Long.MAX_VALUE) timer.cancel();
        else timer.schedule(VirtualClock.nanosOfTick(next, I8254Pit.INPUT_HZ));
    }

    private void onOutputEvent(long deadlineNanos) {
        long t = VirtualClock.ticksAt(deadlineNanos, I8254Pit.INPUT_HZ);
        sync(t);
        updateOutput(t);
    }

    void reset() {
        modeBits = mode = 0;
        access = 3;
        bcd = false;
        countRegister = 0;
        writeMsbNext = readMsbNext = false;
        transferTick = Long.MAX_VALUE;
        state = State.IDLE;
        frozen = pendingReload = statusLatched = false;
        latchedBytes = 0;
        heldCe = 0;
        updateOutput(tickNow());
    }

    // ---- BCD

    private int encode(int ce) {
        if (!bcd) return ce & 0xffff;
        ce %= 10000;
        return (ce / 1000) << 12 | (ce / 100 % 10) << 8 | (ce / 10 % 10) << 4 | ce % 10;
    }

    private static int fromBcd(int v) {
        return ((v >>> 12) & 0xf) * 1000 + ((v >>> 8) & 0xf) * 100 + ((v >>> 4) & 0xf) * 10 + (v & 0xf);
    }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        out.i32(modeBits).i32(mode).i32(access).bool(bcd).i32(countRegister).i32(lsbWritten).bool(writeMsbNext)
                .i64(transferTick).i32(state.ordinal()).i32(n).i64(loadTick).bool(gate).bool(frozen).i64(frozenElapsed)
                .i32(heldCe).bool(pendingReload).i32(pendingN).bool(outLevel).bool(statusLatched).i32(latchedStatus)
                .i32(latchedBytes).i32(latchedCount).bool(readMsbNext);
        out.bool(timer != null);
        if (timer != null) timer.saveState(out);
    }

    /** The counter as saved; its output timer re-armed at the saved deadline. */
    @Override
    public void loadState(StateReader in) {
        modeBits = in.range(0, 7, "mode bits");
        mode = in.range(0, 5, "mode");
        access = in.range(0, 3, "access mode");
        bcd = in.bool();
        countRegister = in.range(0, 0xffff, "count register");
        lsbWritten = in.range(0, 0xff, "LSB written");
        writeMsbNext = in.bool();
        transferTick = in.i64();
        state = State.values()[in.range(0, State.values().length - 1, "counter state")];
        n = in.range(0, 0x10000, "cycle count");
        loadTick = in.i64();
        gate = in.bool();
        frozen = in.bool();
        frozenElapsed = in.i64();
        heldCe = in.i32();
        pendingReload = in.bool();
        pendingN = in.range(0, 0x10000, "pending count");
        outLevel = in.bool();
        statusLatched = in.bool();
        latchedStatus = in.range(0, 0xff, "latched status");
        latchedBytes = in.range(0, 2, "latched bytes");
        latchedCount = in.i32();
        readMsbNext = in.bool();
        boolean hasTimer = in.bool();
        if (hasTimer != (timer != null)) throw in.fail("was saved from a channel " + (hasTimer ? "with" : "without") + " an output timer");
        if (timer != null) timer.loadState(in);
    }
}
