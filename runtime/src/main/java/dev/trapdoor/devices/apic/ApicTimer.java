package dev.trapdoor.devices.apic;

import dev.trapdoor.devices.clock.VirtualClock;

import java.util.function.LongSupplier;

/**
 * The local APIC timer's counter (SDM Vol. 3A, 11.5.4): a 32-bit down-counter clocked by the bus
 * clock through the divide configuration register, in one-shot or periodic mode. It is computed
 * from virtual time, not ticked: the count was {@code initial} at {@code start}, the current
 * count follows from the time since, and one clock timer sits at the next time it reaches zero.
 *
 * <p>A periodic timer that expires while the owner of the clock is far past it (a long exit,
 * virtual time skipped while halted) expires once and resumes on its period grid: the IRR holds
 * one request per vector, so the missed expiries could not be told apart anyway.
 */
final class ApicTimer {
    /** The bus clock the divider divides: 1 GHz, one tick per virtual nanosecond. */
    static final long BUS_HZ = 1_000_000_000L;

    private final VirtualClock clock;
    private final LongSupplier now;
    private final Runnable deadlineMoved;
    private final Runnable expired;
    private final VirtualClock.Timer timer;

    private int divideConfig;
    private int divisor = 2;
    private long initial;
    private long start;
    private boolean periodic;

    /**
     * @param now the current virtual time; may be finer than clock.now() while the vCPU runs
     * @param deadlineMoved told after the next expiry was scheduled while the vCPU may be running,
     *     so it can come back in time for it
     * @param expired run at each expiry (the LAPIC raises the LVT timer's interrupt)
     */
    ApicTimer(VirtualClock clock, LongSupplier now, Runnable deadlineMoved, Runnable expired) {
        this.clock = clock;
        this.now = now;
        this.deadlineMoved = deadlineMoved;
        this.expired = expired;
        this.timer = clock.newTimer((t, deadline) -> fire(deadline));
    }

    /** Divide configuration register: bits 0, 1 and 3 select 2, 4, ..., 128 or 1 (SDM Figure 11-10). */
    void setDivideConfig(int value) {
        long t = now.getAsLong();
        long count = currentCount(t);
        divideConfig = value & 0xb;
        int code = (divideConfig & 3) | ((divideConfig >>> 1) & 4);
        divisor = code == 7 ? 1 : 2 << code;
        // The count carries on from where it is, at the new rate.
        if (initial != 0 && count != 0) restartAt(t, count);
    }

    int divideConfig() {
        return divideConfig;
    }

    /** Writing the initial count starts counting from it; 0 stops the timer (SDM 11.5.4). */
    void setInitialCount(int value) {
        initial = value & 0xffffffffL;
        timer.cancel();
        if (initial == 0) return;
        restartAt(now.getAsLong(), initial);
    }

    int initialCount() {
        return (int) initial;
    }

    void setPeriodic(boolean on) {
        if (on == periodic) return;
        long t = now.getAsLong();
        long count = currentCount(t);
        periodic = on;
        if (initial == 0) return;
        if (count != 0) restartAt(t, count);
        else if (periodic) restartAt(t, initial); // a one-shot that had run out starts over
    }

    int currentCount() {
        return (int) currentCount(now.getAsLong());
    }

    private long currentCount(long t) {
        if (initial == 0) return 0;
        long ticks = Math.max(0, t - start) / divisor;
        if (periodic) return initial - ticks % initial;
        return ticks >= initial ? 0 : initial - ticks;
    }

    /** Counting so that the count is {@code count} at time t. */
    private void restartAt(long t, long count) {
        start = t - (initial - count) * divisor;
        timer.schedule(start + initial * divisor);
        deadlineMoved.run();
    }

    private void fire(long deadline) {
        if (initial == 0) return;
        if (periodic) {
            long period = initial * divisor;
            long late = Math.max(0, clock.now() - deadline);
            start = deadline + late / period * period;
            timer.schedule(start + period);
        }
        expired.run();
    }

    void reset() {
        timer.cancel();
        initial = 0;
        divideConfig = 0;
        divisor = 2;
        periodic = false;
    }

    void saveState(dev.trapdoor.snapshot.StateWriter out) {
        out.i32(divideConfig).i32(divisor).i64(initial).i64(start).bool(periodic);
        timer.saveState(out);
    }

    /** The count as saved; the expiry re-armed at its saved deadline. */
    void loadState(dev.trapdoor.snapshot.StateReader in) {
        divideConfig = in.range(0, 0xb, "timer divide configuration");
        divisor = in.range(1, 128, "timer divisor");
        initial = in.i64();
        start = in.i64();
        periodic = in.bool();
        timer.loadState(in);
    }

    boolean isRunning() {
        return timer.isPending();
    }
}
