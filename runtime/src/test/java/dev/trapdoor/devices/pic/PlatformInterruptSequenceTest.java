package dev.trapdoor.devices.pic;

import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.clock.VirtualClock;
import dev.trapdoor.devices.pit.I8254Pit;
import dev.trapdoor.devices.rtc.Mc146818Rtc;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PIT and RTC interrupts through the PIC pair on one virtual clock, with a stand-in for the
 * vCPU loop: run until the next deadline, fire what is due, take interrupts, acknowledge them
 * the way Linux's handlers do.
 */
class PlatformInterruptSequenceTest {
    private static final long SECOND = 1_000_000_000L;

    private record Delivery(long time, int vector) { }

    @Test
    void pitAndRtcInterruptsArriveAtTheirRatesInADeterministicOrder() {
        List<Delivery> a = run(SECOND, 7_919);
        List<Delivery> b = run(SECOND, 7_919);
        assertEquals(a, b);
        long irq0 = a.stream().filter(d -> d.vector == 0x30).count();
        long irq8 = a.stream().filter(d -> d.vector == 0x38).count();
        assertEquals(249, irq0, "HZ=250 on the PIT");
        assertEquals(64, irq8, "RTC periodic rate 0x0a");
        for (int i = 1; i < a.size(); i++) assertTrue(a.get(i - 1).time <= a.get(i).time);
    }

    @Test
    void runningToEachDeadlineDeliversAtTheDeadline() {
        List<Delivery> exact = run(SECOND / 10, Long.MAX_VALUE);
        long firstPitEdge = VirtualClock.nanosOfTick(1 + 4773, I8254Pit.INPUT_HZ);
        assertEquals(new Delivery(firstPitEdge, 0x30), exact.get(0));
    }

    /** One machine run; the vCPU runs at most maxSlice nanoseconds between clock checks. */
    private static List<Delivery> run(long duration, long maxSlice) {
        VirtualClock clock = new VirtualClock();
        IoBus io = new IoBus();
        DualPic pic = new DualPic();
        pic.mapOn(io);
        I8254Pit pit = new I8254Pit(clock, pic.irq(0));
        io.map("pit", I8254Pit.BASE, I8254Pit.PORTS, pit);
        Mc146818Rtc rtc = new Mc146818Rtc(clock, pic.irq(8), 1_700_000_000L);
        io.map("rtc", Mc146818Rtc.BASE, Mc146818Rtc.PORTS, rtc);

        // init_8259A, then unmask IRQ 0, the cascade and IRQ 8.
        int[][] init = {{0x21, 0xff}, {0xa1, 0xff}, {0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01},
                {0xa0, 0x11}, {0xa1, 0x38}, {0xa1, 0x02}, {0xa1, 0x01}, {0x21, 0xfa}, {0xa1, 0xfe}};
        for (int[] w : init) io.write(w[0], 1, w[1]);
        // pit_set_periodic at HZ = 250.
        io.write(0x43, 1, 0x34);
        io.write(0x40, 1, 4773 & 0xff);
        io.write(0x40, 1, 4773 >> 8);
        // RTC periodic interrupt at 64 Hz.
        io.write(0x70, 1, 0x0a);
        io.write(0x71, 1, 0x2a);
        io.write(0x70, 1, 0x0b);
        io.write(0x71, 1, 0x42);
        // The control word's rising OUT0 latched IRQ 0 at time 0; a real boot would have it
        // masked then. Drop it so the count below is of timer periods only.
        if (pic.hasInterrupt()) {
            pic.acknowledge();
            io.write(0x20, 1, 0x20);
        }

        List<Delivery> log = new ArrayList<>();
        while (clock.now() < duration) {
            long next = Math.min(clock.nextDeadline(), duration);
            long slice = Math.min(next - clock.now(), maxSlice);
            clock.advanceAndRun(clock.now() + Math.max(slice, 1));
            while (pic.hasInterrupt()) {
                int vector = pic.acknowledge();
                log.add(new Delivery(clock.now(), vector));
                if (vector == 0x38) {
                    io.write(0x70, 1, 0x0c);
                    io.read(0x71, 1);               // rtc-cmos: reading C acknowledges
                    io.write(0xa0, 1, 0x60);        // specific EOI IRQ 8 on the slave
                    io.write(0x20, 1, 0x62);        // and the cascade on the master
                } else {
                    io.write(0x20, 1, 0x60 | (vector & 7));
                }
            }
        }
        return log;
    }
}
