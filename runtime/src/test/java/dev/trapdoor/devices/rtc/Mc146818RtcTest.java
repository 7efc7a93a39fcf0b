package dev.trapdoor.devices.rtc;

import static dev.trapdoor.devices.rtc.Mc146818Rtc.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.clock.VirtualClock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The RTC as Linux's mc146818-lib (mach_get_cmos_time, mc146818_set_time) and rtc-cmos use it. */
class Mc146818RtcTest {
    private static final long MS = 1_000_000L, S = 1_000_000_000L;
    private static final long START = LocalDateTime.of(2024, 2, 28, 23, 59, 58).toEpochSecond(ZoneOffset.UTC);
    private VirtualClock clock;
    private IoBus bus;
    private Mc146818Rtc rtc;
    private final List<Long> irqEdges = new ArrayList<>();
    private boolean irqLevel;

    @BeforeEach
    void setUp() {
        clock = new VirtualClock();
        bus = new IoBus();
        IrqLine irq8 = level -> {
            if (level && !irqLevel) irqEdges.add(clock.now());
            irqLevel = level;
        };
        rtc = new Mc146818Rtc(clock, irq8, START);
        bus.map("rtc", BASE, PORTS, rtc);
    }

    private int cmosRead(int reg) {
        bus.write(0x70, 1, reg);
        return bus.read(0x71, 1);
    }

    private void cmosWrite(int reg, int v) {
        bus.write(0x70, 1, reg);
        bus.write(0x71, 1, v);
    }

    private static int bcd(int v) { return (v >> 4) * 10 + (v & 15); }

    /** mc146818_get_time: check VRT's neighbour bit, retry while UIP, read, decode BCD. */
    private LocalDateTime linuxGetTime() {
        for (int tries = 0; tries < 100; tries++) {
            assertEquals(0, cmosRead(REG_D) & 0x40, "RTC_VALID bit 6 must read 0");
            int sec = cmosRead(SECONDS);
            if ((cmosRead(REG_A) & A_UIP) != 0) {
                clock.advanceBy(MS);               // mdelay(1); goto again
                continue;
            }
            int min = cmosRead(MINUTES), hour = cmosRead(HOURS), day = cmosRead(DAY_OF_MONTH);
            int mon = cmosRead(MONTH), year = cmosRead(YEAR), century = cmosRead(CENTURY);
            int ctrl = cmosRead(REG_B);
            if (cmosRead(SECONDS) != sec) continue;
            if ((ctrl & B_DM_BINARY) == 0) {
                sec = bcd(sec); min = bcd(min); hour = bcd(hour); day = bcd(day);
                mon = bcd(mon); year = bcd(year); century = bcd(century);
            }
            return LocalDateTime.of(century * 100 + year, mon, day, hour, min, sec);
        }
        throw new AssertionError("UIP never cleared");
    }

    @Test
    void linuxReadsTheStartTimeInBcdAnd24Hours() {
        assertEquals(D_VRT, cmosRead(REG_D));
        assertEquals(B_24H, cmosRead(REG_B) & (B_24H | B_DM_BINARY), "rtc-cmos needs 24-hour mode");
        assertEquals(LocalDateTime.of(2024, 2, 28, 23, 59, 58), linuxGetTime());
        assertEquals(0x04, cmosRead(DAY_OF_WEEK), "a Wednesday");
    }

    @Test
    void timeAdvancesWithTheVirtualClockThroughALeapDay() {
        clock.advanceTo(2 * S);
        assertEquals(LocalDateTime.of(2024, 2, 29, 0, 0, 0), linuxGetTime());
        clock.advanceTo(86_402 * S);
        assertEquals(LocalDateTime.of(2024, 3, 1, 0, 0, 0), linuxGetTime());
        clock.advanceTo(86_402 * S + 999 * MS);
        assertEquals(0x00, cmosRead(SECONDS), "no update before the second boundary");
    }

    @Test
    void uipIsSetForThe244MicrosecondsBeforeAnUpdate() {
        clock.advanceTo(S - 245_000);
        assertEquals(0, cmosRead(REG_A) & A_UIP);
        clock.advanceTo(S - 244_000);
        assertEquals(A_UIP, cmosRead(REG_A) & A_UIP);
        assertEquals(0x58, cmosRead(SECONDS));
        clock.advanceTo(S);
        assertEquals(0, cmosRead(REG_A) & A_UIP);
        assertEquals(0x59, cmosRead(SECONDS));
    }

    @Test
    void binaryAndTwelveHourFormats() {
        cmosWrite(REG_B, B_DM_BINARY);             // binary, 12-hour
        assertEquals(0x80 | 11, cmosRead(HOURS), "11 PM");
        assertEquals(58, cmosRead(SECONDS));
        assertEquals(24, cmosRead(YEAR));
        assertEquals(20, cmosRead(CENTURY));
        clock.advanceTo(2 * S);
        assertEquals(12, cmosRead(HOURS), "midnight is 12 AM");
    }

    @Test
    void linuxSetTimeSequenceLoadsTheNewTime() {
        // mc146818_set_time: SET in B, divider reset in A, write BCD fields, restore A and B.
        clock.advanceTo(300 * MS);
        int saveControl = cmosRead(REG_B);
        cmosWrite(REG_B, saveControl | B_SET);
        int saveFreq = cmosRead(REG_A);
        cmosWrite(REG_A, saveFreq | 0x70);         // RTC_DIV_RESET2
        clock.advanceTo(5 * S);                    // the clock stands meanwhile
        cmosWrite(YEAR, 0x30);
        cmosWrite(CENTURY, 0x20);
        cmosWrite(MONTH, 0x07);
        cmosWrite(DAY_OF_MONTH, 0x14);
        cmosWrite(HOURS, 0x12);
        cmosWrite(MINUTES, 0x34);
        cmosWrite(SECONDS, 0x56);
        assertEquals(0x56, cmosRead(SECONDS));
        cmosWrite(REG_B, saveControl);
        cmosWrite(REG_A, saveFreq);
        assertEquals(LocalDateTime.of(2030, 7, 14, 12, 34, 56), linuxGetTime());
        clock.advanceTo(5 * S + 499 * MS);
        assertEquals(0x56, cmosRead(SECONDS));
        clock.advanceTo(5 * S + 500 * MS);
        assertEquals(0x57, cmosRead(SECONDS), "first update 500 ms after leaving divider reset");
    }

    @Test
    void writingAFieldWhileRunningKeepsTheOthers() {
        cmosWrite(MINUTES, 0x10);
        assertEquals(LocalDateTime.of(2024, 2, 28, 23, 10, 58), linuxGetTime());
    }

    @Test
    void periodicInterruptAt1024HzNeedsRegisterCReads() {
        // rtc-cmos: A = 32 kHz | 1024 Hz, then PIE; its handler reads C to acknowledge.
        cmosWrite(REG_A, A_DV_32K | 0x06);
        cmosWrite(REG_B, cmosRead(REG_B) | B_PIE);
        long end = 100 * MS;
        while (clock.nextDeadline() <= end) {
            clock.advanceAndRun(clock.nextDeadline());
            if (irqLevel) {
                int c = cmosRead(REG_C);
                assertEquals(C_IRQF | C_PF, c & (C_IRQF | C_PF));
                assertFalse(irqLevel);
            }
        }
        assertEquals(102, irqEdges.size(), "1024 Hz for 100 ms");
        assertEquals(VirtualClock.nanosOfTick(32, 32_768), irqEdges.get(0));
        // Unacknowledged, the line stays up and no more timers are needed.
        clock.advanceAndRun(200 * MS);
        assertTrue(irqLevel);
        assertEquals(Long.MAX_VALUE, clock.nextDeadline());
    }

    @Test
    void updateEndedInterruptOncePerSecond() {
        cmosWrite(REG_B, cmosRead(REG_B) | B_UIE);
        for (int s = 1; s <= 3; s++) {
            clock.advanceAndRun(s * S);
            assertTrue(irqLevel);
            // PF is set too (1024 Hz without PIE), but only UF raises the line.
            assertEquals(C_IRQF | C_UF | C_PF, cmosRead(REG_C) & ~C_AF);
        }
        assertEquals(List.of(S, 2 * S, 3 * S), irqEdges);
    }

    @Test
    void alarmInterruptAtTheMatchingSecondWithDontCareFields() {
        cmosWrite(SECONDS_ALARM, 0x05);
        cmosWrite(MINUTES_ALARM, 0xc0);            // any minute
        cmosWrite(HOURS_ALARM, 0xff);              // any hour
        cmosWrite(REG_B, cmosRead(REG_B) | B_AIE);
        clock.advanceAndRun(60 * S);
        assertEquals(List.of(7 * S), irqEdges);    // 23:59:58 + 7 s = 00:00:05
        assertEquals(C_IRQF | C_AF | C_UF | C_PF, cmosRead(REG_C));
    }

    @Test
    void flagsSetWithoutEnablesButNoInterrupt() {
        clock.advanceAndRun(3 * S);
        assertTrue(irqEdges.isEmpty());
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "no timers without enabled interrupts");
        // Update, 1024 Hz periodic and alarm: the alarm registers hold 00:00:00 and the clock
        // passed midnight.
        assertEquals(C_UF | C_PF | C_AF, cmosRead(REG_C));
        assertEquals(0, cmosRead(REG_C), "cleared on read");
        cmosWrite(REG_C, 0xff);
        cmosWrite(REG_D, 0x00);
        assertEquals(0, cmosRead(REG_C));
        assertEquals(D_VRT, cmosRead(REG_D));
    }

    @Test
    void setClearsUieAndStopsUpdates() {
        cmosWrite(REG_B, B_24H | B_UIE);
        cmosWrite(REG_B, B_24H | B_UIE | B_SET);
        assertEquals(B_24H | B_SET, cmosRead(REG_B));
        clock.advanceAndRun(5 * S);
        assertEquals(0x58, cmosRead(SECONDS));
        assertEquals(0, cmosRead(REG_C) & C_UF);
    }

    @Test
    void indexPortMasksNmiAndRamHoldsBytes() {
        bus.write(0x70, 1, 0x80 | 0x40);
        assertTrue(rtc.nmiMasked());
        bus.write(0x71, 1, 0xa5);
        bus.write(0x70, 1, 0x40);
        assertFalse(rtc.nmiMasked());
        assertEquals(0xa5, bus.read(0x71, 1));
        assertEquals(0xff, bus.read(0x70, 1));
    }

    @Test
    void wordWriteToTheIndexPortSetsIndexThenData() {
        bus.write(0x70, 2, 0x5a << 8 | 0x40);
        bus.write(0x70, 1, 0x40);
        assertEquals(0x5a, bus.read(0x71, 1));
    }

    @Test
    void memorySizeBytes() {
        rtc.setMemorySize(256L << 20);
        assertEquals(640, cmosRead(0x15) | cmosRead(0x16) << 8);
        assertEquals(0xffff, cmosRead(0x17) | cmosRead(0x18) << 8, "255 MiB of KiB saturates");
        assertEquals(0xffff, cmosRead(0x30) | cmosRead(0x31) << 8);
        assertEquals((256 - 16) * 16, cmosRead(0x34) | cmosRead(0x35) << 8);
        rtc.setMemorySize(8L << 20);
        assertEquals(7 * 1024, cmosRead(0x17) | cmosRead(0x18) << 8);
        assertEquals(0, cmosRead(0x34) | cmosRead(0x35) << 8);
    }

    @Test
    void garbageTimeWritesAreClampedNotThrown() {
        cmosWrite(REG_B, B_24H | B_SET);
        for (int reg : new int[] {SECONDS, MINUTES, HOURS, DAY_OF_MONTH, MONTH, YEAR, CENTURY}) cmosWrite(reg, 0xff);
        cmosWrite(REG_B, B_24H);
        assertEquals(LocalDateTime.of(9999, 12, 31, 23, 59, 59), linuxGetTime());
    }

    @Test
    void sameClockStepsGiveTheSameInterrupts() {
        assertEquals(runScript(), runScript());
    }

    private List<Long> runScript() {
        VirtualClock c = new VirtualClock();
        List<Long> edges = new ArrayList<>();
        boolean[] lvl = {false};
        Mc146818Rtc r = new Mc146818Rtc(c, l -> {
            if (l && !lvl[0]) edges.add(c.now());
            lvl[0] = l;
        }, START);
        r.writeRegister(REG_A, A_DV_32K | 0x0a);
        r.writeRegister(REG_B, B_24H | B_PIE | B_UIE);
        long t = 0;
        for (int i = 0; i < 3000; i++) {
            t += 1 + (i * 104729L) % 3_000_000;
            c.advanceAndRun(t);
            if (lvl[0]) r.readRegister(REG_C);
        }
        assertFalse(edges.isEmpty());
        return edges;
    }
}
