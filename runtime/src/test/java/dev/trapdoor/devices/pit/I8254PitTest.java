package dev.trapdoor.devices.pit;

import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.clock.VirtualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The 8254 driven the way Linux's i8253 clockevent/clocksource and TSC calibration drive it. */
class I8254PitTest {
    private static final long HZ = I8254Pit.INPUT_HZ;
    private VirtualClock clock;
    private IoBus bus;
    private I8254Pit pit;
    private final List<Long> risingEdges = new ArrayList<>();
    private boolean irqLevel;

    @BeforeEach
    void setUp() {
        clock = new VirtualClock();
        bus = new IoBus();
        IrqLine irq0 = level -> {
            if (level && !irqLevel) risingEdges.add(clock.now());
            irqLevel = level;
        };
        pit = new I8254Pit(clock, irq0);
        bus.map("pit", I8254Pit.BASE, I8254Pit.PORTS, pit);
        bus.map("port61", SystemControlPortB.PORT, 1, new SystemControlPortB(pit, clock));
    }

    /**
     * Reset leaves counter 0 in mode 0 with OUT low; a control word for mode 2, 3 or 4 sets OUT
     * high at once, which an edge-triggered IRQ 0 sees as one request (as on a board without a
     * BIOS that programmed the PIT first).
     */
    private void edgeFromControlWord() {
        assertEquals(List.of(0L), risingEdges);
        risingEdges.clear();
    }

    private void out(int port, int v) { bus.write(port, 1, v); }

    private int in(int port) { return bus.read(port, 1); }

    private static long tick(long n) { return VirtualClock.nanosOfTick(n, HZ); }

    private long ticksNow() { return VirtualClock.ticksAt(clock.now(), HZ); }

    @Test
    void linuxPitCalibrateTscSeesOut2RiseAfterLatchPlusOneClocks() {
        // arch/x86/kernel/tsc.c pit_calibrate_tsc(latch, ms = 10, loopmin = 1000).
        int latch = (int) (HZ / (1000 / 10));
        out(0x61, (in(0x61) & ~0x02) | 0x01);      // gate high, speaker off
        out(0x43, 0xb0);                           // counter 2, LSB/MSB, mode 0, binary
        out(0x42, latch & 0xff);
        out(0x42, latch >> 8);
        long start = ticksNow();
        int pitcnt = 0;
        while ((in(0x61) & 0x20) == 0) {
            clock.advanceBy(1000);                 // each loop iteration takes 1 us of guest time
            pitcnt++;
            assertTrue(pitcnt < 100_000, "OUT2 never rose");
        }
        assertTrue(pitcnt >= 1000, "loopmin");
        long elapsed = ticksNow() - start;
        assertTrue(elapsed >= latch + 1 && elapsed <= latch + 2, "OUT2 rose after " + elapsed + " ticks");
        // OUT stays high; the counter wraps on and keeps counting down.
        clock.advanceBy(10_000);
        assertEquals(0x20, in(0x61) & 0x20);
    }

    @Test
    void linuxQuickPitCalibrateSeesTheMsbStepEvery256Clocks() {
        // quick_pit_calibrate: mode 0 on counter 2 from 0xffff, then read LSB, MSB live.
        out(0x61, (in(0x61) & ~0x02) | 0x01);
        out(0x43, 0xb0);
        out(0x42, 0xff);
        out(0x42, 0xff);
        clock.advanceBy(1000);
        int lastMsb = -1;
        int steps = 0, readsAtThisMsb = 0;
        for (int i = 0; i < 20000 && steps < 20; i++) {
            in(0x42);
            int msb = in(0x42);
            if (msb != lastMsb) {
                if (lastMsb >= 0) {
                    assertEquals(lastMsb - 1, msb, "the MSB falls one step at a time");
                    assertTrue(readsAtThisMsb > 5, "pit_expect_msb needs more than 5 reads per value");
                    steps++;
                }
                lastMsb = msb;
                readsAtThisMsb = 0;
            }
            readsAtThisMsb++;
            clock.advanceBy(2000);
        }
        assertEquals(20, steps);
    }

    @Test
    void periodicModeTwoGivesHzInterruptsPerSecond() {
        // pit_set_periodic: 0x34, LATCH = (PIT_TICK_RATE + HZ/2) / HZ, LSB then MSB (HZ = 250).
        int latch = (int) ((HZ + 125) / 250);
        out(0x43, 0x34);
        out(0x40, latch & 0xff);
        out(0x40, latch >> 8);
        edgeFromControlWord();
        clock.advanceAndRun(1_000_000_000L);
        // LATCH rounds 1193182 / 250 up, so one second holds 249 whole periods after the load.
        assertEquals((HZ - 1) / latch, risingEdges.size());
        // Edges fall exactly on the cycle boundaries: load pulse + k * LATCH.
        long load = 1;
        for (int k = 0; k < risingEdges.size(); k++)
            assertEquals(tick(load + (long) (k + 1) * latch), risingEdges.get(k));
        assertTrue(clock.firedCount() <= 2L * 250 + 2, "no per-tick events: " + clock.firedCount());
    }

    @Test
    void oneShotModeFourInterruptsOnceAfterTheCount() {
        // pit_set_oneshot writes 0x38; pit_next_event writes the delta LSB, MSB.
        out(0x43, 0x38);
        edgeFromControlWord();
        clock.advanceTo(5_000);
        long written = ticksNow();
        out(0x40, 100);
        out(0x40, 0);
        clock.advanceAndRun(1_000_000);
        // Load on the next pulse, terminal count 100 pulses later, OUT low for one pulse.
        assertEquals(List.of(tick(written + 1 + 100 + 1)), risingEdges);
        clock.advanceAndRun(100_000_000);
        assertEquals(1, risingEdges.size());
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "nothing left on the clock");
    }

    @Test
    void pitShutdownSequenceLeavesOneTerminalCount() {
        // pit_shutdown: 0x30, 0, 0 (mode 0, count 65536).
        out(0x43, 0x30);
        out(0x40, 0);
        out(0x40, 0);
        clock.advanceAndRun(tick(65538));
        assertEquals(1, risingEdges.size());
        assertEquals(tick(1 + 65536), risingEdges.get(0));
    }

    @Test
    void counterLatchFreezesTheReadValue() {
        // pit_read (i8253 clocksource): latch with 0x00, then read LSB and MSB.
        out(0x43, 0x34);
        out(0x40, 0x00);
        out(0x40, 0x10);                         // count 0x1000
        clock.advanceTo(tick(1 + 0x100));
        out(0x43, 0x00);
        clock.advanceTo(tick(1 + 0x800));        // time passes between latch and read
        int count = in(0x40) | in(0x40) << 8;
        assertEquals(0x1000 - 0x100, count);
        int live = in(0x40) | in(0x40) << 8;
        assertEquals(0x1000 - 0x800, live);
    }

    @Test
    void readBackReturnsStatusThenCount() {
        out(0x61, 0x01);                         // gate 2 high
        out(0x43, 0xb4);                         // counter 2, LSB/MSB, mode 2
        assertEquals(0x40 | 0x34 | 0x80, readBackStatus(2), "null count, OUT high in mode 2");
        out(0x42, 0x34);
        out(0x42, 0x12);
        assertEquals(0x40, readBackStatus(2) & 0x40, "count not loaded before the next pulse");
        clock.advanceTo(tick(11));
        assertEquals(0x00, readBackStatus(2) & 0x40);
        out(0x43, 0xc8);                         // read-back: count and status of counter 2
        assertEquals(0xb4, in(0x42));
        assertEquals(0x1234 - 10, in(0x42) | in(0x42) << 8);
    }

    private int readBackStatus(int channel) {
        out(0x43, 0xe0 | (2 << channel));
        return in(0x40 + channel);
    }

    @Test
    void modeThreeIsASquareWaveCountingByTwos() {
        out(0x43, 0x36);                         // counter 0, mode 3
        out(0x40, 10);
        out(0x40, 0);
        clock.advanceTo(tick(1));
        assertTrue(pit.out(0));
        assertEquals(10, pit.counter(0));
        clock.advanceTo(tick(3));
        assertEquals(6, pit.counter(0));
        clock.advanceTo(tick(6));                // half the period: OUT low, count reloaded
        assertFalse(pit.out(0));
        assertEquals(10, pit.counter(0));
        clock.advanceTo(tick(11));
        assertTrue(pit.out(0));
        // Odd count: high for (N+1)/2, low for (N-1)/2.
        out(0x43, 0x36);
        out(0x40, 7);
        out(0x40, 0);
        long load = ticksNow() + 1;
        clock.advanceTo(tick(load + 3));
        assertTrue(pit.out(0));
        clock.advanceTo(tick(load + 4));
        assertFalse(pit.out(0));
        clock.advanceTo(tick(load + 7));
        assertTrue(pit.out(0));
    }

    @Test
    void gateLowInModeTwoHoldsOutHighAndTheRisingEdgeReloads() {
        out(0x43, 0xb4);                         // counter 2, mode 2
        out(0x42, 100);
        out(0x42, 0);
        assertEquals(0, in(0x61) & 0x01);
        clock.advanceTo(tick(500));
        assertEquals(100, pit.counter(2), "gate low: the count is loaded but does not count");
        out(0x61, 0x01);
        clock.advanceTo(tick(500 + 1 + 30));
        assertEquals(70, pit.counter(2));
        out(0x61, 0x00);
        clock.advanceTo(tick(800));
        assertEquals(70, pit.counter(2));
        assertTrue(pit.out(2));
        out(0x61, 0x01);
        clock.advanceTo(tick(800 + 1));
        assertEquals(100, pit.counter(2), "rising gate reloads the initial count");
    }

    @Test
    void modeZeroFirstByteStopsCountingAndDropsOut() {
        out(0x43, 0x30);
        out(0x40, 5);
        out(0x40, 0);
        clock.advanceAndRun(tick(20));
        assertEquals(1, risingEdges.size());
        assertTrue(irqLevel);
        out(0x40, 50);                           // first byte of a new count
        assertFalse(irqLevel);
        clock.advanceAndRun(tick(200));
        assertEquals(1, risingEdges.size(), "no count until the second byte");
        out(0x40, 0);
        clock.advanceAndRun(tick(200 + 52));
        assertEquals(2, risingEdges.size());
    }

    @Test
    void bcdCountsInDecimalDecades() {
        out(0x43, 0x31);                         // counter 0, LSB/MSB, mode 0, BCD
        out(0x40, 0x00);
        out(0x40, 0x10);                         // 1000 decimal
        clock.advanceTo(tick(1 + 1));
        assertEquals(0x0999, pit.counter(0));
        clock.advanceTo(tick(1 + 1000));
        assertTrue(pit.out(0));
        clock.advanceTo(tick(1 + 1001));
        assertEquals(0x9999, pit.counter(0), "wraps to 9999, not ffff");
    }

    @Test
    void lsbOnlyAndMsbOnlyAccess() {
        out(0x43, 0x54);                         // counter 1, LSB only, mode 2
        out(0x41, 18);                           // the BIOS's refresh count
        clock.advanceTo(tick(1 + 4));
        assertEquals(14, in(0x41));
        out(0x43, 0x64);                         // counter 1, MSB only
        out(0x41, 0x01);
        long load = ticksNow() + 1;
        clock.advanceTo(tick(load + 0x10));
        assertEquals(0x00, in(0x41), "MSB of 0x00f0");
    }

    @Test
    void wordAccessesAreByteAccessesToConsecutivePorts() {
        out(0x43, 0x74);                         // counter 1, LSB/MSB, mode 2
        bus.write(0x40, 2, 0x34 << 8 | 0x00);    // 0x40 gets 0x00 (counter 0, idle), 0x41 gets 0x34
        out(0x41, 0x12);
        clock.advanceTo(tick(1));
        assertEquals(0x34, in(0x41));
        assertEquals(0x12, in(0x41));
        assertEquals(0xff, bus.read(0x43, 1));
    }

    @Test
    void refreshBitTogglesOverVirtualTimeOnly() {
        int a = in(0x61) & 0x10;
        assertEquals(a, in(0x61) & 0x10, "no time, no toggle");
        clock.advanceTo(tick(18));
        assertNotEquals(a, in(0x61) & 0x10);
        clock.advanceTo(tick(36));
        assertEquals(a, in(0x61) & 0x10);
    }

    @Test
    void sameClockStepsGiveTheSameInterruptTimes() {
        assertEquals(runScript(), runScript());
    }

    private List<Long> runScript() {
        VirtualClock c = new VirtualClock();
        List<Long> edges = new ArrayList<>();
        boolean[] level = {false};
        I8254Pit p = new I8254Pit(c, l -> {
            if (l && !level[0]) edges.add(c.now());
            level[0] = l;
        });
        p.write(3, 1, 0x34);
        p.write(0, 1, 0x9b);
        p.write(0, 1, 0x2e);
        long t = 0;
        for (int i = 0; i < 5000; i++) {
            t += 1 + (i * 7919L) % 40_000;
            c.advanceAndRun(t);
            if (i == 2500) {
                p.write(3, 1, 0x38);
                p.write(0, 1, 0x10);
                p.write(0, 1, 0x02);
            }
        }
        assertFalse(edges.isEmpty());
        return edges;
    }
}
