package dev.trapdoor.devices.clock;

import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

import java.util.Arrays;

/**
 * Deterministic virtual time in nanoseconds. Time moves only when the owner says so
 * ({@link #advanceTo}, {@link #advanceBy}): the interpreter from its instruction count, KVM from
 * host time. Devices schedule {@link Timer}s; the owner asks {@link #nextDeadline()} how long
 * the vCPU may run and calls {@link #runDue()} (or {@link #advanceAndRun}) to fire what is due.
 *
 * <p>Timers fire in deadline order, ties in the order they were scheduled, so the same sequence
 * of clock steps gives the same sequence of callbacks. Timers are reusable handles: a periodic
 * device keeps one and reschedules it, and the queue (a binary heap that remembers each timer's
 * slot) allocates nothing once it has grown to the number of timers in use.
 *
 * <p>Confined to the thread that runs the machine.
 */
public final class VirtualClock implements Stateful {
    /** A reusable timer handle. Scheduling a pending timer moves it. */
    public final class Timer {
        private final TimerCallback callback;
        private long deadline;
        private long sequence;
        private int slot = -1;

        private Timer(TimerCallback callback) {
            this.callback = callback;
        }

        /** Sets (or moves) the deadline; a deadline in the past fires on the next {@link #runDue()}. */
        public Timer schedule(long deadlineNanos) {
            if (slot >= 0) remove(this);
            deadline = deadlineNanos;
            sequence = nextSequence++;
            insert(this);
            return this;
        }

        public Timer scheduleAfter(long delayNanos) {
            return schedule(saturatingAdd(now, delayNanos));
        }

        public void cancel() {
            if (slot >= 0) remove(this);
        }

        public boolean isPending() {
            return slot >= 0;
        }

        /** The deadline last scheduled (meaningful while pending). */
        public long deadline() {
            return deadline;
        }

        /** Pending flag, deadline and tie-break sequence, for the owning device's saved state. */
        public void saveState(StateWriter out) {
            out.bool(isPending()).i64(deadline).i64(sequence);
        }

        /** Re-arms (or leaves cancelled) as saved, with the saved tie-break order among equal deadlines. */
        public void loadState(StateReader in) {
            boolean pending = in.bool();
            long d = in.i64(), seq = in.i64();
            if (slot >= 0) remove(this);
            deadline = d;
            sequence = seq;
            if (pending) insert(this);
        }
    }

    private long now;
    private long nextSequence;
    private Timer[] heap = new Timer[16];
    private int size;
    private long fired;

    public VirtualClock() {
        this(0);
    }

    public VirtualClock(long startNanos) {
        now = startNanos;
    }

    public long now() {
        return now;
    }

    /** Moves time forward to t (never back: an earlier t is ignored). Fires nothing. */
    public void advanceTo(long t) {
        if (t > now) now = t;
    }

    public void advanceBy(long nanos) {
        if (nanos > 0) now = saturatingAdd(now, nanos);
    }

    /** A new, unscheduled timer. Devices create theirs once, at wiring time. */
    public Timer newTimer(TimerCallback callback) {
        if (callback == null) throw new NullPointerException("callback");
        return new Timer(callback);
    }

    /** A new timer, already scheduled at deadlineNanos. */
    public Timer schedule(long deadlineNanos, TimerCallback callback) {
        return newTimer(callback).schedule(deadlineNanos);
    }

    /** The earliest pending deadline, or Long.MAX_VALUE when nothing is scheduled. */
    public long nextDeadline() {
        return size == 0 ? Long.MAX_VALUE : heap[0].deadline;
    }

    /** Fires every timer whose deadline is at or before now, earliest first. */
    public int runDue() {
        int n = 0;
        while (size > 0 && heap[0].deadline <= now) {
            Timer t = heap[0];
            remove(t);
            n++;
            fired++;
            t.callback.fire(t, t.deadline);
        }
        return n;
    }

    /**
     * Moves time to t in steps: to each due deadline in turn (so a callback sees now() equal to
     * its deadline), then to t. Returns the number of callbacks run.
     */
    public int advanceAndRun(long t) {
        int n = 0;
        while (size > 0 && heap[0].deadline <= t) {
            Timer next = heap[0];
            if (next.deadline > now) now = next.deadline;
            remove(next);
            n++;
            fired++;
            next.callback.fire(next, next.deadline);
        }
        advanceTo(t);
        return n;
    }

    public int pendingTimers() {
        return size;
    }

    /** Callbacks run since creation. */
    public long firedCount() {
        return fired;
    }

    // ---- snapshot

    /**
     * Time, the scheduling sequence and the fired count. Loading cancels every pending timer: the
     * devices that own them re-arm theirs from their own saved state as they load.
     */
    @Override
    public void saveState(StateWriter out) {
        out.i64(now).i64(nextSequence).i64(fired);
    }

    @Override
    public void loadState(StateReader in) {
        long n = in.i64(), seq = in.i64(), f = in.i64();
        while (size > 0) remove(heap[size - 1]);
        now = n;
        nextSequence = seq;
        fired = f;
    }

    @Override
    public int loadOrder() {
        return -1;
    }

    // ---- tick arithmetic for devices with their own input clocks

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** The number of whole periods of an hz clock in nanos (floor), without overflow. */
    public static long ticksAt(long nanos, long hz) {
        return Math.floorDiv(nanos, NANOS_PER_SECOND) * hz
                + Math.floorMod(nanos, NANOS_PER_SECOND) * hz / NANOS_PER_SECOND;
    }

    /** The first instant at which {@link #ticksAt} reaches ticks: its exact inverse. */
    public static long nanosOfTick(long ticks, long hz) {
        long whole = Math.floorDiv(ticks, hz);
        long part = Math.floorMod(ticks, hz);
        return saturatingAdd(saturatingMultiply(whole, NANOS_PER_SECOND), (part * NANOS_PER_SECOND + hz - 1) / hz);
    }

    private static long saturatingAdd(long a, long b) {
        long r = a + b;
        if (((a ^ r) & (b ^ r)) < 0) return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        return r;
    }

    private static long saturatingMultiply(long a, long b) {
        long hi = Math.multiplyHigh(a, b);
        long lo = a * b;
        if ((hi == 0 && lo >= 0) || (hi == -1 && lo < 0)) return lo;
        return (a < 0) == (b < 0) ? Long.MAX_VALUE : Long.MIN_VALUE;
    }

    // ---- the heap, ordered by (deadline, sequence)

    private static boolean before(Timer a, Timer b) {
        return a.deadline < b.deadline || (a.deadline == b.deadline && a.sequence < b.sequence);
    }

    private void insert(Timer t) {
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        heap[size] = t;
        t.slot = size;
        size++;
        siftUp(t.slot);
    }

    private void remove(Timer t) {
        int i = t.slot;
        size--;
        Timer last = heap[size];
        heap[size] = null;
        t.slot = -1;
        if (i == size) return;
        heap[i] = last;
        last.slot = i;
        siftDown(i);
        siftUp(last.slot);
    }

    private void siftUp(int i) {
        Timer t = heap[i];
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (!before(t, heap[p])) break;
            heap[i] = heap[p];
            heap[i].slot = i;
            i = p;
        }
        heap[i] = t;
        t.slot = i;
    }

    private void siftDown(int i) {
        Timer t = heap[i];
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) break;
            if (c + 1 < size && before(heap[c + 1], heap[c])) c++;
            if (!before(heap[c], t)) break;
            heap[i] = heap[c];
            heap[i].slot = i;
            i = c;
        }
        heap[i] = t;
        t.slot = i;
    }
}
