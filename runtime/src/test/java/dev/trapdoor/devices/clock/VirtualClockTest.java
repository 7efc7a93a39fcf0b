package dev.trapdoor.devices.clock;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class VirtualClockTest {
    @Test
    void timeMovesOnlyForwardAndOnlyWhenTold() {
        VirtualClock c = new VirtualClock(100);
        assertEquals(100, c.now());
        c.advanceTo(50);
        assertEquals(100, c.now());
        c.advanceBy(25);
        assertEquals(125, c.now());
        c.advanceBy(-10);
        assertEquals(125, c.now());
    }

    @Test
    void firesInDeadlineOrderAndTiesInSchedulingOrder() {
        VirtualClock c = new VirtualClock();
        List<String> log = new ArrayList<>();
        c.schedule(30, (t, d) -> log.add("c@" + d));
        c.schedule(10, (t, d) -> log.add("a@" + d));
        c.schedule(20, (t, d) -> log.add("b1@" + d));
        c.schedule(20, (t, d) -> log.add("b2@" + d));
        assertEquals(10, c.nextDeadline());
        c.advanceTo(25);
        assertEquals(3, c.runDue());
        assertEquals(List.of("a@10", "b1@20", "b2@20"), log);
        assertEquals(30, c.nextDeadline());
        c.advanceTo(30);
        c.runDue();
        assertEquals("c@30", log.get(3));
        assertEquals(Long.MAX_VALUE, c.nextDeadline());
    }

    @Test
    void rescheduleMovesATimerAndTakesANewTiePosition() {
        VirtualClock c = new VirtualClock();
        List<String> log = new ArrayList<>();
        VirtualClock.Timer a = c.schedule(10, (t, d) -> log.add("a"));
        c.schedule(10, (t, d) -> log.add("b"));
        a.schedule(10);
        c.advanceTo(10);
        c.runDue();
        assertEquals(List.of("b", "a"), log);
    }

    @Test
    void cancelledTimersDoNotFire() {
        VirtualClock c = new VirtualClock();
        int[] n = {0};
        VirtualClock.Timer t = c.schedule(5, (x, d) -> n[0]++);
        assertTrue(t.isPending());
        t.cancel();
        assertFalse(t.isPending());
        t.cancel();
        c.advanceTo(10);
        assertEquals(0, c.runDue());
        assertEquals(0, n[0]);
    }

    @Test
    void advanceAndRunShowsEachCallbackItsOwnDeadlineAsNow() {
        VirtualClock c = new VirtualClock();
        List<Long> seen = new ArrayList<>();
        // A periodic timer that reschedules itself: 4 firings in [0, 40].
        c.schedule(10, (t, d) -> {
            seen.add(c.now());
            t.schedule(d + 10);
        });
        assertEquals(4, c.advanceAndRun(45));
        assertEquals(List.of(10L, 20L, 30L, 40L), seen);
        assertEquals(45, c.now());
        assertEquals(50, c.nextDeadline());
    }

    @Test
    void heapStaysOrderedUnderRandomScheduleAndCancel() {
        VirtualClock c = new VirtualClock();
        Random r = new Random(42);
        List<long[]> fired = new ArrayList<>();
        VirtualClock.Timer[] ts = new VirtualClock.Timer[200];
        for (int i = 0; i < ts.length; i++) {
            final int id = i;
            ts[i] = c.newTimer((t, d) -> fired.add(new long[] {d, id}));
        }
        for (int round = 0; round < 2000; round++) {
            VirtualClock.Timer t = ts[r.nextInt(ts.length)];
            if (r.nextInt(4) == 0) t.cancel();
            else t.schedule(r.nextInt(1000));
        }
        int pending = c.pendingTimers();
        c.advanceTo(1000);
        assertEquals(pending, c.runDue());
        for (int i = 1; i < fired.size(); i++) assertTrue(fired.get(i - 1)[0] <= fired.get(i)[0]);
    }

    @Test
    void tickArithmeticIsExactAndInvertible() {
        long hz = 1_193_182;
        for (long n : new long[] {0, 1, 2, 1193181, 1193182, 1193183, 123456789012L, 10_000_000_000_000L}) {
            long t = VirtualClock.nanosOfTick(n, hz);
            assertEquals(n, VirtualClock.ticksAt(t, hz), "tick " + n);
            if (t > 0) assertEquals(n - 1, VirtualClock.ticksAt(t - 1, hz), "just before tick " + n);
        }
        // Past the point where nanos * hz overflows a long (about two hours).
        long t = 10L * 24 * 3600 * 1_000_000_000L;
        assertEquals(10L * 24 * 3600 * hz, VirtualClock.ticksAt(t, hz));
    }
}
