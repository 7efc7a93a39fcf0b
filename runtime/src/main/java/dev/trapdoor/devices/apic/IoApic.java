package dev.trapdoor.devices.apic;

import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.memory.MmioDevice;

/**
 * An Intel 82093AA I/O APIC: 24 interrupt input pins, each with a 64-bit redirection entry
 * (vector, delivery mode, destination mode, polarity, trigger mode, remote IRR, mask,
 * destination) that turns the pin's signal into an interrupt message for the local APIC. The
 * registers are reached indirectly: IOREGSEL at base+0x00 selects, IOWIN at base+0x10 reads and
 * writes (datasheet section 3).
 *
 * <p>Edge-triggered pins send a message on each assertion (rising edge of the signal as the
 * polarity bit reads it); level-triggered pins send one while asserted and set remote IRR, which
 * the local APIC's EOI of that vector clears (then a still-asserted pin sends again). One local
 * APIC listens; a message whose destination does not name it is lost, as with no such CPU.
 *
 * <p>Synchronized: devices on other threads may drive pins. It calls into the local APIC with
 * its lock held; the local APIC never calls back in while holding its own.
 */
public final class IoApic implements MmioDevice, dev.trapdoor.snapshot.Stateful {
    public static final long DEFAULT_BASE = 0xfec00000L;
    public static final int PINS = 24;
    /** IOAPICVER: version 0x11, maximum redirection entry 23 (datasheet 3.2.2). */
    public static final int VERSION = 0x11 | ((PINS - 1) << 16);

    static final int IOREGSEL = 0x00, IOWIN = 0x10;
    static final int REG_ID = 0x00, REG_VERSION = 0x01, REG_ARBITRATION = 0x02, REG_TABLE = 0x10;

    // Redirection entry fields (datasheet 3.2.4).
    static final long MASKED = 1L << 16, LEVEL = 1L << 15, REMOTE_IRR = 1L << 14, ACTIVE_LOW = 1L << 13,
            DELIVERY_STATUS = 1L << 12, LOGICAL = 1L << 11;
    /** Bits software can write: all but delivery status and remote IRR, and the reserved 17-55. */
    private static final long WRITABLE = 0xff000000_0001afffL;

    private final LocalApic lapic;
    private final long[] table = new long[PINS];
    private final boolean[] wire = new boolean[PINS];
    private final boolean[] extInt = new boolean[PINS];
    private final IrqLine[] pins = new IrqLine[PINS];
    private int select;
    private int id;
    private long messages;

    public IoApic(int id, LocalApic lapic) {
        this.lapic = lapic;
        for (int n = 0; n < PINS; n++) {
            final int pin = n;
            pins[n] = level -> setPin(pin, level);
        }
        this.id = (id & 0xf) << 24;
        reset();
    }

    /** Every entry masked (datasheet: "the mask bit is set on reset"); the rest zero. */
    public synchronized void reset() {
        for (int n = 0; n < PINS; n++) {
            table[n] = MASKED;
            refreshExtInt(n);
        }
        select = 0;
    }

    /** The wire into pin n (0-23), driven high (true) or low by the device. */
    public IrqLine pin(int n) {
        if (n < 0 || n >= PINS) throw new IllegalArgumentException("IO-APIC pin " + n + " is not 0-" + (PINS - 1));
        return pins[n];
    }

    // ---- the pins

    private synchronized void setPin(int n, boolean level) {
        boolean before = asserted(n);
        wire[n] = level;
        boolean now = asserted(n);
        refreshExtInt(n);
        long e = table[n];
        if ((e & MASKED) != 0 || !now) return;
        if ((e & LEVEL) != 0) {
            if ((e & REMOTE_IRR) == 0) send(n);
        } else if (!before) {
            send(n);
        }
    }

    /** The pin's signal as its polarity bit reads it. */
    private boolean asserted(int n) {
        return wire[n] ^ ((table[n] & ACTIVE_LOW) != 0);
    }

    private void send(int n) {
        long e = table[n];
        int mode = (int) (e >>> 8) & 7;
        if (mode == LocalApic.MODE_EXTINT) return; // a level the local APIC passes to the 8259 (refreshExtInt)
        boolean level = (e & LEVEL) != 0;
        messages++;
        if (!lapic.accepts((int) (e >>> 56), (e & LOGICAL) != 0)) return;
        if (level) table[n] |= REMOTE_IRR;
        lapic.deliver((int) e & 0xff, mode, level);
    }

    /** Keeps the local APIC's count of asserted unmasked ExtINT pins right after any change to pin n. */
    private void refreshExtInt(int n) {
        long e = table[n];
        boolean on = (e & MASKED) == 0 && ((e >>> 8) & 7) == LocalApic.MODE_EXTINT && asserted(n);
        if (on != extInt[n]) {
            extInt[n] = on;
            lapic.ioapicExtInt(on);
        }
    }

    /** The local APIC's EOI broadcast for a level-triggered vector: remote IRR clears and asserted pins send again. */
    public synchronized void eoi(int vector) {
        for (int n = 0; n < PINS; n++) {
            long e = table[n];
            if ((e & REMOTE_IRR) == 0 || (e & 0xff) != vector) continue;
            table[n] = e & ~REMOTE_IRR;
            if ((e & MASKED) == 0 && (e & LEVEL) != 0 && asserted(n)) send(n);
        }
    }

    // ---- registers

    @Override
    public synchronized long read(long offset, int size) {
        long v;
        if (offset >= IOREGSEL && offset < IOREGSEL + 4) v = (select & 0xffL) >>> (8 * (offset - IOREGSEL));
        else if (offset >= IOWIN && offset < IOWIN + 4) v = (readRegister(select) & 0xffffffffL) >>> (8 * (offset - IOWIN));
        else v = 0;
        return size >= 8 ? v : v & ((1L << (8 * size)) - 1);
    }

    @Override
    public synchronized void write(long offset, int size, long value) {
        if (offset == IOREGSEL) select = (int) value & 0xff;
        else if (offset == IOWIN && size >= 4) writeRegister(select, (int) value);
        // The datasheet asks for 32-bit accesses to IOWIN; narrower stores there are dropped.
    }

    /** An indirect register by its index (what IOWIN reads after IOREGSEL = index). */
    public synchronized int readRegister(int index) {
        if (index == REG_ID || index == REG_ARBITRATION) return id; // arbitration ID loads from the ID
        if (index == REG_VERSION) return VERSION;
        if (index >= REG_TABLE && index < REG_TABLE + 2 * PINS) {
            long e = table[(index - REG_TABLE) >>> 1];
            return (index & 1) == 0 ? (int) e : (int) (e >>> 32);
        }
        return 0;
    }

    public synchronized void writeRegister(int index, int value) {
        if (index == REG_ID) {
            id = value & 0x0f000000;
            return;
        }
        if (index < REG_TABLE || index >= REG_TABLE + 2 * PINS) return; // version and arbitration are read-only
        int n = (index - REG_TABLE) >>> 1;
        long old = table[n];
        long half = (index & 1) == 0 ? value & 0xffffffffL : (long) value << 32;
        long keepMask = (index & 1) == 0 ? 0xffffffff_00000000L : 0x00000000_ffffffffL;
        long e = ((old & keepMask) | (half & ~keepMask & WRITABLE)) | (old & (REMOTE_IRR | DELIVERY_STATUS) & ~keepMask);
        if ((e & LEVEL) == 0) e &= ~REMOTE_IRR; // remote IRR is "undefined for edge-triggered": keep it clear
        table[n] = e;
        refreshExtInt(n);
        // An asserted level-triggered pin that becomes unmasked sends its message now.
        if ((old & MASKED) != 0 && (e & MASKED) == 0 && (e & LEVEL) != 0 && (e & REMOTE_IRR) == 0 && asserted(n)) send(n);
    }

    // ---- inspection

    public synchronized long entry(int n) { return table[n]; }
    public synchronized int id() { return id >>> 24 & 0xf; }
    public synchronized long messages() { return messages; }

    @Override
    public synchronized String toString() {
        StringBuilder b = new StringBuilder("IO-APIC " + id() + ":");
        for (int n = 0; n < PINS; n++) {
            if ((table[n] & MASKED) == 0) b.append(String.format(" pin %d->vector %d", n, table[n] & 0xff));
        }
        return b.toString();
    }

    // ---- snapshot

    @Override
    public synchronized void saveState(dev.trapdoor.snapshot.StateWriter out) {
        out.i32(select).i32(id).i64(messages).longs(table);
        for (int n = 0; n < PINS; n++) out.bool(wire[n]).bool(extInt[n]);
    }

    /** The redirection table, the select register and the input levels as saved (the local APIC loads after it). */
    @Override
    public synchronized void loadState(dev.trapdoor.snapshot.StateReader in) {
        select = in.range(0, 0xff, "IOREGSEL");
        id = in.i32();
        messages = in.i64();
        in.longsInto(table);
        for (int n = 0; n < PINS; n++) {
            wire[n] = in.bool();
            extInt[n] = in.bool();
        }
    }

    /** After the devices that drive its pins, before the local APIC. */
    @Override
    public int loadOrder() {
        return 1;
    }
}
