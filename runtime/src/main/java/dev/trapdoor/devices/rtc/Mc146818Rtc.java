package dev.trapdoor.devices.rtc;

import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * Motorola MC146818A real-time clock with 128 bytes of CMOS RAM, at the PC's ports 0x70 (index;
 * bit 7 masks NMI) and 0x71 (data), interrupting on IRQ 8.
 *
 * <p>The time of day is a start epoch plus virtual time: second boundaries fall at whole
 * seconds after the divider chain's origin, and the registers are computed when read (binary or
 * BCD per register B's DM bit, 12- or 24-hour per its 24/12 bit). While SET is on, or the
 * divider is held in reset, the clock stands and the time registers are plain bytes the guest
 * writes; leaving that state loads them back into the running clock (the fraction of a second
 * keeps running through SET; leaving divider reset puts the first update 500 ms later, as the
 * datasheet says). UIP is set for the 244 us before each update; the update itself takes no
 * time. Day-of-week is derived from the date; DSE is stored but no daylight saving is applied.
 *
 * <p>Interrupt flags (register C) are computed from time when read; a clock timer is kept only
 * while an enabled interrupt could newly raise IRQ 8 (the next periodic tick, or the next
 * second for update-ended and alarm interrupts).
 *
 * <p>Not thread-safe: confined to the thread that runs the machine and its clock.
 */
public final class Mc146818Rtc implements PioDevice, Stateful {
    public static final int BASE = 0x70;
    public static final int PORTS = 2;
    public static final int IRQ = 8;

    // ---- register indexes and bits (MC146818A datasheet, "Register A" to "Register D")
    public static final int SECONDS = 0x00, SECONDS_ALARM = 0x01, MINUTES = 0x02, MINUTES_ALARM = 0x03,
            HOURS = 0x04, HOURS_ALARM = 0x05, DAY_OF_WEEK = 0x06, DAY_OF_MONTH = 0x07, MONTH = 0x08, YEAR = 0x09,
            REG_A = 0x0a, REG_B = 0x0b, REG_C = 0x0c, REG_D = 0x0d, CENTURY = 0x32;
    public static final int A_UIP = 0x80, A_DV_MASK = 0x70, A_DV_32K = 0x20, A_RS_MASK = 0x0f;
    public static final int B_SET = 0x80, B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10, B_SQWE = 0x08,
            B_DM_BINARY = 0x04, B_24H = 0x02, B_DSE = 0x01;
    public static final int C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
    public static final int D_VRT = 0x80;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long UIP_NANOS = 244_141;           // 8 periods of the 32.768 kHz base
    private static final long DIVIDER_HZ = 32_768;
    private static final int ALARM_DONT_CARE = 0xc0;
    private static final int[] TIME_REGISTERS = {SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY};

    private final VirtualClock clock;
    private final IrqLine irq;
    private final VirtualClock.Timer timer;
    private final byte[] cmos = new byte[128];
    private final long[] civil = new long[3];

    private int index;
    private boolean nmiMasked = true;
    private int regA = A_DV_32K | 0x06;
    private int regB = B_24H;
    private int flags;                  // register C's PF, AF, UF
    private boolean irqLevel;

    /** Second boundaries are at origin + k seconds; the clock reads baseSeconds + k between them. */
    private long originNanos;
    private long baseSeconds;
    private boolean standing;           // SET or divider reset: time registers are plain bytes
    private long lastSecondIndex;       // the last update whose flags are accounted for
    private long lastPeriodicIndex;

    public Mc146818Rtc(VirtualClock clock, IrqLine irq, long startEpochSeconds) {
        this.clock = clock;
        this.irq = irq;
        this.timer = clock.newTimer((t, deadline) -> onTimer(deadline));
        this.originNanos = clock.now();
        this.baseSeconds = startEpochSeconds;
        this.lastSecondIndex = 0;
        this.lastPeriodicIndex = 0;
    }

    // ---- port access

    // An 8-bit ISA device: a wider access is a byte access to each port in turn (so a word
    // write to 0x70 sets the index and writes the register, as some systems do).
    @Override
    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= (offset + i == 0 ? 0xff : readRegister(index)) << (8 * i);
        return v;                               // the index register is write-only
    }

    @Override
    public void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) {
            int b = (value >>> (8 * i)) & 0xff;
            if (offset + i == 0) {
                index = b & 0x7f;
                nmiMasked = (b & 0x80) != 0;
            } else {
                writeRegister(index, b);
            }
        }
    }

    /** A register as the guest reads it (also usable by a BIOS model or a script). */
    public int readRegister(int reg) {
        long now = clock.now();
        sync(now);
        return switch (reg) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY ->
                    standing ? cmos[reg] & 0xff : timeRegister(reg, secondsAt(now));
            case REG_A -> regA | (updateInProgress(now) ? A_UIP : 0);
            case REG_B -> regB;
            case REG_C -> readAndClearFlags();
            case REG_D -> D_VRT;
            default -> cmos[reg & 0x7f] & 0xff;
        };
    }

    public void writeRegister(int reg, int value) {
        long now = clock.now();
        sync(now);
        switch (reg) {
            case SECONDS, MINUTES, HOURS, DAY_OF_WEEK, DAY_OF_MONTH, MONTH, YEAR, CENTURY -> {
                if (standing) {
                    cmos[reg] = (byte) value;
                } else {
                    // A write while running sets that field of the running clock.
                    storeTime(secondsAt(now));
                    cmos[reg] = (byte) value;
                    rebase(now, loadTime());
                }
            }
            case REG_A -> writeRegA(now, value);
            case REG_B -> writeRegB(now, value);
            case REG_C, REG_D -> { }               // read-only
            default -> cmos[reg & 0x7f] = (byte) value;
        }
        updateIrq();
        scheduleTimer(now);
    }

    private void writeRegA(long now, int value) {
        boolean wasRunning = dividerRunning();
        regA = value & 0x7f;
        if (wasRunning && !dividerRunning()) {
            if (!standing) stand(now);
        } else if (!wasRunning && dividerRunning()) {
            // Out of divider reset: the first update comes 500 ms later.
            originNanos = now + NANOS_PER_SECOND / 2 - NANOS_PER_SECOND;
            lastSecondIndex = secondIndex(now);
            lastPeriodicIndex = periodicIndex(now);
            if ((regB & B_SET) == 0) resume(now);
        }
    }

    private void writeRegB(long now, int value) {
        boolean setWas = (regB & B_SET) != 0;
        boolean setNow = (value & B_SET) != 0;
        if (setNow) value &= ~B_UIE;             // setting SET clears UIE
        if (!setWas && setNow && !standing) stand(now);
        regB = value;
        if (setWas && !setNow && dividerRunning()) resume(now);
    }

    /** Stops the clock: the time registers become bytes holding the current time. */
    private void stand(long now) {
        storeTime(secondsAt(now));
        standing = true;
    }

    /** Starts the clock from the time registers, keeping the phase of the divider chain. */
    private void resume(long now) {
        standing = false;
        rebase(now, loadTime());
        lastSecondIndex = secondIndex(now);
    }

    private void rebase(long now, long seconds) {
        baseSeconds = seconds - secondIndex(now);
    }

    private int readAndClearFlags() {
        int c = flags;
        if (irqFlag()) c |= C_IRQF;
        flags = 0;
        updateIrq();
        scheduleTimer(clock.now());
        return c;
    }

    // ---- time

    private boolean dividerRunning() {
        return (regA & A_DV_MASK) == A_DV_32K;
    }

    private long secondIndex(long now) {
        return Math.floorDiv(now - originNanos, NANOS_PER_SECOND);
    }

    private long secondsAt(long now) {
        return baseSeconds + secondIndex(now);
    }

    private boolean updateInProgress(long now) {
        if (standing) return false;
        return Math.floorMod(now - originNanos, NANOS_PER_SECOND) >= NANOS_PER_SECOND - UIP_NANOS;
    }

    /** Periodic interrupt period in 32.768 kHz cycles for RS3-RS0, or 0 for none. */
    private long periodicCycles() {
        int rs = regA & A_RS_MASK;
        if (rs == 0) return 0;
        return rs <= 2 ? 1L << (rs + 6) : 1L << (rs - 1);
    }

    private long periodicIndex(long now) {
        long p = periodicCycles();
        if (p == 0) return 0;
        return Math.floorDiv(VirtualClock.ticksAt(now - originNanos, DIVIDER_HZ), p);
    }

    /** Accounts updates, alarms and periodic ticks up to now. */
    private void sync(long now) {
        long k = secondIndex(now);
        if (k > lastSecondIndex) {
            if (!standing) {
                flags |= C_UF;
                // Only the last day of missed updates can matter to a daily alarm.
                long from = Math.max(lastSecondIndex + 1, k - 86_400);
                for (long j = from; j <= k && (flags & C_AF) == 0; j++) {
                    if (alarmMatches(baseSeconds + j)) flags |= C_AF;
                }
            }
            lastSecondIndex = k;
        }
        if (dividerRunning() && periodicCycles() != 0) {
            long p = periodicIndex(now);
            if (p > lastPeriodicIndex) flags |= C_PF;
            lastPeriodicIndex = p;
        }
    }

    private boolean alarmMatches(long seconds) {
        return alarmField(SECONDS_ALARM, timeRegister(SECONDS, seconds))
                && alarmField(MINUTES_ALARM, timeRegister(MINUTES, seconds))
                && alarmField(HOURS_ALARM, timeRegister(HOURS, seconds));
    }

    private boolean alarmField(int reg, int current) {
        int alarm = cmos[reg] & 0xff;
        return (alarm & ALARM_DONT_CARE) == ALARM_DONT_CARE || alarm == current;
    }

    // ---- interrupts

    private boolean irqFlag() {
        return ((flags & C_PF) != 0 && (regB & B_PIE) != 0)
                || ((flags & C_AF) != 0 && (regB & B_AIE) != 0)
                || ((flags & C_UF) != 0 && (regB & B_UIE) != 0);
    }

    private void updateIrq() {
        boolean level = irqFlag();
        if (level != irqLevel) {
            irqLevel = level;
            irq.set(level);
        }
    }

    /** Puts a timer on the clock only for an interrupt that could newly be raised. */
    private void scheduleTimer(long now) {
        long next = Long.MAX_VALUE;
        if (!irqLevel) {
            long p = periodicCycles();
            if ((regB & B_PIE) != 0 && p != 0 && dividerRunning()) {
                long nextTick = (periodicIndex(now) + 1) * p;
                next = originNanos + VirtualClock.nanosOfTick(nextTick, DIVIDER_HZ);
            }
            if ((regB & (B_UIE | B_AIE)) != 0 && !standing) {
                next = Math.min(next, originNanos + (secondIndex(now) + 1) * NANOS_PER_SECOND);
            }
        }
        if (next == Long.MAX_VALUE) timer.cancel();
        else timer.schedule(next);
    }

    private void onTimer(long deadline) {
        sync(deadline);
        updateIrq();
        scheduleTimer(deadline);
    }

    // ---- register encoding

    private int timeRegister(int reg, long seconds) {
        long days = Math.floorDiv(seconds, 86_400L);
        int secOfDay = (int) Math.floorMod(seconds, 86_400L);
        int v;
        switch (reg) {
            case SECONDS -> v = secOfDay % 60;
            case MINUTES -> v = secOfDay / 60 % 60;
            case HOURS -> {
                int h = secOfDay / 3600;
                if ((regB & B_24H) != 0) return encode(h);
                int h12 = h % 12 == 0 ? 12 : h % 12;
                return encode(h12) | (h >= 12 ? 0x80 : 0);
            }
            case DAY_OF_WEEK -> v = Calendar.dayOfWeek(days);
            default -> {
                Calendar.civilFromDays(days, civil);
                v = switch (reg) {
                    case DAY_OF_MONTH -> (int) civil[2];
                    case MONTH -> (int) civil[1];
                    case YEAR -> (int) Math.floorMod(civil[0], 100L);
                    default -> (int) Math.floorMod(Math.floorDiv(civil[0], 100L), 100L); // century
                };
            }
        }
        return encode(v);
    }

    private void storeTime(long seconds) {
        for (int reg : TIME_REGISTERS) cmos[reg] = (byte) timeRegister(reg, seconds);
    }

    /** The time the registers hold; out-of-range fields are clamped, never rejected. */
    private long loadTime() {
        int sec = clamp(decode(cmos[SECONDS]), 0, 59);
        int min = clamp(decode(cmos[MINUTES]), 0, 59);
        int rawHour = cmos[HOURS] & 0xff;
        int hour;
        if ((regB & B_24H) != 0) {
            hour = clamp(decode(rawHour), 0, 23);
        } else {
            hour = clamp(decode(rawHour & 0x7f), 1, 12) % 12 + ((rawHour & 0x80) != 0 ? 12 : 0);
        }
        int day = clamp(decode(cmos[DAY_OF_MONTH]), 1, 31);
        int month = clamp(decode(cmos[MONTH]), 1, 12);
        int year = clamp(decode(cmos[CENTURY]), 0, 99) * 100 + clamp(decode(cmos[YEAR]), 0, 99);
        return Calendar.daysFromCivil(year, month, day) * 86_400L + hour * 3600L + min * 60L + sec;
    }

    private int encode(int v) {
        return (regB & B_DM_BINARY) != 0 ? v : (v / 10) << 4 | v % 10;
    }

    private int decode(int raw) {
        raw &= 0xff;
        return (regB & B_DM_BINARY) != 0 ? raw : (raw >>> 4) * 10 + (raw & 0xf);
    }

    private static int clamp(int v, int lo, int hi) {
        return Math.max(lo, Math.min(hi, v));
    }

    // ---- board setup

    /**
     * Stores the RAM size the way a PC BIOS leaves it in CMOS: 0x15-0x16 base memory (640 KiB),
     * 0x17-0x18 and 0x30-0x31 KiB above 1 MiB (at most 0xffff), 0x34-0x35 64 KiB units above
     * 16 MiB (at most 0xffff); then the standard checksum over 0x10-0x2d at 0x2e-0x2f.
     */
    public void setMemorySize(long ramBytes) {
        setWord(0x15, 640);
        long ext = Math.max(0, Math.min(0xffff, (ramBytes - (1L << 20)) >> 10));
        setWord(0x17, (int) ext);
        setWord(0x30, (int) ext);
        long high = Math.max(0, Math.min(0xffff, (ramBytes - (16L << 20)) >> 16));
        setWord(0x34, (int) high);
        int sum = 0;
        for (int i = 0x10; i <= 0x2d; i++) sum += cmos[i] & 0xff;
        cmos[0x2e] = (byte) (sum >> 8);
        cmos[0x2f] = (byte) sum;
    }

    private void setWord(int reg, int v) {
        cmos[reg] = (byte) v;
        cmos[reg + 1] = (byte) (v >> 8);
    }

    /** Raw CMOS RAM (not the clock registers): for a board to fill before the guest runs. */
    public void setCmosByte(int reg, int value) {
        if (reg < 0x0e || reg > 0x7f) throw new IllegalArgumentException("CMOS byte " + reg + " is not RAM");
        cmos[reg] = (byte) value;
    }

    public boolean nmiMasked() {
        return nmiMasked;
    }

    /** The clock's current time in epoch seconds (what the registers hold while standing). */
    public long epochSeconds() {
        long now = clock.now();
        return standing ? loadTime() : secondsAt(now);
    }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        out.bytes(cmos).i32(index).bool(nmiMasked).i32(regA).i32(regB).i32(flags).bool(irqLevel)
                .i64(originNanos).i64(baseSeconds).bool(standing).i64(lastSecondIndex).i64(lastPeriodicIndex);
        timer.saveState(out);
    }

    /** CMOS, registers and the update/periodic/alarm bookkeeping; the next event re-armed as saved. */
    @Override
    public void loadState(StateReader in) {
        in.bytesInto(cmos);
        index = in.range(0, 0x7f, "index");
        nmiMasked = in.bool();
        regA = in.range(0, 0xff, "register A");
        regB = in.range(0, 0xff, "register B");
        flags = in.range(0, 0xff, "register C flags");
        irqLevel = in.bool();
        originNanos = in.i64();
        baseSeconds = in.i64();
        standing = in.bool();
        lastSecondIndex = in.i64();
        lastPeriodicIndex = in.i64();
        timer.loadState(in);
        irq.set(irqLevel);
    }
}
