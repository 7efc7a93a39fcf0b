package dev.trapdoor.devices.serial;

import static dev.trapdoor.devices.serial.UartRegisters.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.BufferCharBackend;
import dev.trapdoor.devices.IoBus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Uart16550Test {
    private BufferCharBackend cable;
    private RecordingIrq irq;
    private Uart16550 uart;

    @BeforeEach
    void setUp() {
        cable = new BufferCharBackend();
        irq = new RecordingIrq();
        uart = new Uart16550(cable, irq);
    }

    private int in(int reg) {
        return uart.read(reg, 1);
    }

    private void out(int reg, int v) {
        uart.write(reg, 1, v);
    }

    @Test
    void resetValuesMatchTheDatasheet() {
        assertEquals(0x00, in(IER));
        assertEquals(0x01, in(IIR));
        assertEquals(0x00, in(LCR));
        assertEquals(0x00, in(MCR));
        assertEquals(LSR_THRE | LSR_TEMT, in(LSR));
        assertEquals(MSR_CTS | MSR_DSR | MSR_DCD, in(MSR));
        assertFalse(irq.level);
    }

    @Test
    void reservedBitsReadZero() {
        out(IER, 0xff);
        assertEquals(0x0f, in(IER));
        out(MCR, 0xff & ~MCR_LOOP);
        assertEquals(0x0f, in(MCR));
    }

    @Test
    void scratchRegisterHoldsAnyByte() {
        for (int v : new int[] {0x00, 0x55, 0xaa, 0xff}) {
            out(SCR, v);
            assertEquals(v, in(SCR));
        }
    }

    @Test
    void dlabSwitchesOffsetsZeroAndOneToTheDivisorLatch() {
        out(IER, IER_ERBFI);
        out(LCR, LCR_DLAB | 0x03);
        out(DLL, 0x01);
        out(DLM, 0x02);
        assertEquals(0x01, in(DLL));
        assertEquals(0x02, in(DLM));
        assertEquals(0x0201, uart.divisor());
        assertEquals("", cable.output(), "a DLL write is not a transmission");
        out(LCR, 0x03);
        assertEquals(IER_ERBFI, in(IER), "IER kept while the latch was visible");
        out(THR, 'x');
        assertEquals("x", cable.output());
    }

    @Test
    void wordAccessSplitsIntoBytes() {
        out(LCR, LCR_DLAB);
        uart.write(DLL, 2, 0x0306);
        assertEquals(0x0306, uart.divisor());
        assertEquals(0x0306, uart.read(DLL, 2));
    }

    @Test
    void characterTimeFollowsDivisorAndFrame() {
        out(LCR, LCR_DLAB | 0x03);
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);                                   // 8N1: 10 bits at 115200 baud
        assertEquals(10L * 16 * 1_000_000_000L / CLOCK_HZ, uart.characterNanos());
        out(LCR, 0x03 | LCR_PEN | LCR_STB);               // 8E2: 12 bits
        assertEquals(12L * 16 * 1_000_000_000L / CLOCK_HZ, uart.characterNanos());
        out(LCR, LCR_STB);                                // 5N1.5: 7.5 bits
        assertEquals(15L * 16 * 1_000_000_000L / (2 * CLOCK_HZ), uart.characterNanos());
    }

    @Test
    void transmitGoesToTheBackendAtOnce() {
        out(LCR, 0x03);
        for (char c : "hi\n".toCharArray()) {
            assertEquals(LSR_THRE | LSR_TEMT, in(LSR) & (LSR_THRE | LSR_TEMT));
            out(THR, c);
        }
        assertEquals("hi\n", cable.takeOutput());
        assertEquals(3, uart.txBytes());
    }

    @Test
    void theHostGetsWholeBytesWhileLoopbackKeepsOnlyTheWordLength() {
        out(LCR, 0x00);                                   // 5-bit words (the reset value)
        out(THR, 0x41);
        out(LCR, 0x02);                                   // 7-bit words
        out(THR, 0xc1);
        assertArrayEquals(new byte[] {0x41, (byte) 0xc1}, cable.outputBytes());
        out(MCR, MCR_LOOP);
        out(THR, 0xc1);
        assertEquals(0x41, in(RBR), "the looped-back receiver sees 7 bits");
    }

    @Test
    void threInterruptIsClearedByReadingIirAndRearmedByThrWrite() {
        out(MCR, MCR_OUT2);
        out(IER, IER_ETBEI);
        assertTrue(irq.level, "ETBEI with THR empty raises THRE");
        assertEquals(IIR_THRI, in(IIR));
        assertFalse(irq.level, "reading IIR that reports THRE clears it");
        assertEquals(IIR_NO_INT, in(IIR));

        int edges = irq.risingEdges;
        out(THR, 'a');
        assertTrue(irq.level);
        assertEquals(edges + 1, irq.risingEdges, "a THR write makes a new edge for an edge-triggered PIC");

        out(IER, 0);
        assertFalse(irq.level);
        assertEquals(IIR_NO_INT, in(IIR), "pending but not enabled");
    }

    @Test
    void enablingEtbeiAgainRearmsThre() {
        out(MCR, MCR_OUT2);
        out(IER, IER_ETBEI);
        in(IIR);                                          // consumes THRE
        assertEquals(IIR_NO_INT, in(IIR));
        out(IER, IER_ETBEI);                              // still set: no new interrupt
        assertEquals(IIR_NO_INT, in(IIR));
        out(IER, 0);
        out(IER, IER_ETBEI);
        assertEquals(IIR_THRI, in(IIR));
    }

    @Test
    void out2GatesTheIrqOutput() {
        uart.receive('a');
        out(IER, IER_ERBFI);
        assertEquals(IIR_RDI, in(IIR), "pending inside the chip");
        assertFalse(irq.level, "but OUT2 is off");
        out(MCR, MCR_OUT2);
        assertTrue(irq.level);
        out(MCR, MCR_OUT2 | MCR_LOOP);
        assertFalse(irq.level, "loopback forces OUT2 inactive");
        out(MCR, 0);
        assertFalse(irq.level);

        Uart16550 ungated = new Uart16550(cable, irq, false);
        ungated.receive('a');
        ungated.write(IER, 1, IER_ERBFI);
        assertTrue(irq.level, "a board without the PC gate");
    }

    @Test
    void loopbackEchoesTransmitAndKeepsTheCableOut() {
        out(LCR, 0x03);
        out(MCR, MCR_LOOP);
        out(THR, 'x');
        assertEquals("", cable.output());
        assertEquals(LSR_DR, in(LSR) & LSR_DR);
        assertEquals('x', in(RBR));
        assertEquals(0, in(LSR) & LSR_DR);

        assertFalse(uart.receive('y'), "the serial input is disconnected in loopback");
        cable.input("z");
        uart.pollInput();
        assertEquals(0, in(LSR) & LSR_DR, "backend input waits until loopback ends");
        out(MCR, 0);
        assertEquals(LSR_DR, in(LSR) & LSR_DR);
        assertEquals('z', in(RBR));
    }

    @Test
    void loopbackRoutesModemOutputsToInputsWithDeltas() {
        in(MSR);
        out(MCR, MCR_LOOP);
        int msr = in(MSR);
        assertEquals(0, msr & MSR_INPUTS);
        assertEquals(MSR_DCTS | MSR_DDSR | MSR_DDCD, msr & MSR_DELTAS, "cable CTS/DSR/DCD dropped");
        assertEquals(0, in(MSR) & MSR_DELTAS, "reading MSR clears the deltas");

        out(MCR, MCR_LOOP | MCR_RTS);
        assertEquals(MSR_CTS | MSR_DCTS, in(MSR));
        out(MCR, MCR_LOOP | MCR_DTR);
        assertEquals(MSR_DSR | MSR_DDSR | MSR_DCTS, in(MSR));
        out(MCR, MCR_LOOP | MCR_OUT1);
        assertEquals(MSR_RI | MSR_DDSR, in(MSR), "RI rising is no TERI");
        out(MCR, MCR_LOOP | MCR_OUT2);
        assertEquals(MSR_DCD | MSR_TERI | MSR_DDCD, in(MSR), "RI falling sets TERI");
    }

    @Test
    void modemStatusInterrupt() {
        out(MCR, MCR_OUT2);
        in(MSR);
        out(IER, IER_EDSSI);
        assertFalse(irq.level);
        uart.setModemInputs(false, true, false, true);
        assertTrue(irq.level);
        assertEquals(IIR_MSI, in(IIR));
        assertEquals(MSR_DSR | MSR_DCD | MSR_DCTS, in(MSR));
        assertFalse(irq.level);
        assertEquals(IIR_NO_INT, in(IIR));
    }

    @Test
    void fifoTriggerLevels() {
        int[][] levels = {{FCR_TRIGGER_1, 1}, {FCR_TRIGGER_4, 4}, {FCR_TRIGGER_8, 8}, {FCR_TRIGGER_14, 14}};
        for (int[] level : levels) {
            out(FCR, FCR_ENABLE | FCR_CLEAR_RCVR | level[0]);
            out(IER, IER_ERBFI);
            out(MCR, MCR_OUT2);
            for (int i = 0; i < level[1] - 1; i++) assertTrue(uart.receive('0' + i));
            assertEquals(IIR_FIFOS_ENABLED | IIR_NO_INT, in(IIR), "below trigger " + level[1]);
            assertFalse(irq.level);
            uart.receive('!');
            assertEquals(IIR_FIFOS_ENABLED | IIR_RDI, in(IIR), "at trigger " + level[1]);
            assertTrue(irq.level);
            assertEquals(level[1] == 1 ? '!' : '0', in(RBR));
            if (level[1] > 1) assertFalse(irq.level, "one below trigger again");
        }
    }

    @Test
    void theCharacterTimeoutIsADeadlineOnTheVirtualClock() {
        dev.trapdoor.devices.clock.VirtualClock clock = new dev.trapdoor.devices.clock.VirtualClock();
        uart.useTimeoutTimer(clock);
        out(FCR, FCR_ENABLE | FCR_TRIGGER_8);
        out(IER, IER_ERBFI);
        out(MCR, MCR_OUT2);
        long four = 4 * uart.characterNanos();
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "nothing received: no deadline");
        cable.input("ab");
        clock.advanceTo(1000);
        uart.tick(clock.now());
        assertEquals(1000 + four, clock.nextDeadline(), "a halted guest's clock skips to the timeout");
        clock.advanceAndRun(1000 + four);
        assertTrue(irq.level);
        assertEquals(IIR_FIFOS_ENABLED | IIR_TIMEOUT, in(IIR));
        assertEquals(Long.MAX_VALUE, clock.nextDeadline(), "reported: the timer is off");
    }

    @Test
    void characterTimeoutReportsDataBelowTheTrigger() {
        out(FCR, FCR_ENABLE | FCR_TRIGGER_8);
        out(IER, IER_ERBFI);
        out(MCR, MCR_OUT2);
        long four = 4 * uart.characterNanos();
        uart.tick(1000);
        uart.receive('a');
        uart.receive('b');
        assertEquals(1000 + four, uart.nextDeadlineNanos());
        uart.tick(1000 + four - 1);
        assertEquals(IIR_NO_INT, in(IIR) & IIR_ID_MASK);
        uart.tick(1000 + four);
        assertTrue(irq.level);
        assertEquals(IIR_FIFOS_ENABLED | IIR_TIMEOUT, in(IIR));
        assertEquals(Long.MAX_VALUE, uart.nextDeadlineNanos());
        assertEquals('a', in(RBR));
        assertFalse(irq.level, "reading one character clears the timeout");
        assertEquals(1000 + 2 * four, uart.nextDeadlineNanos(), "and restarts the timer");
        uart.tick(1000 + 2 * four);
        assertEquals(IIR_TIMEOUT, in(IIR) & IIR_ID_MASK);
        assertEquals('b', in(RBR));
        assertEquals(Long.MAX_VALUE, uart.nextDeadlineNanos(), "empty FIFO: no timeout");
        uart.tick(1000 + 10 * four);
        assertEquals(IIR_NO_INT, in(IIR) & IIR_ID_MASK);
    }

    @Test
    void timeoutNeedsFifoMode() {
        out(IER, IER_ERBFI);
        uart.receive('a');
        assertEquals(IIR_RDI, in(IIR), "16450 mode: one character is data available");
        assertEquals(Long.MAX_VALUE, uart.nextDeadlineNanos());
    }

    @Test
    void fifoOverrunKeepsTheFifoAndDropsTheNewCharacter() {
        out(FCR, FCR_ENABLE);
        out(IER, IER_ELSI | IER_ERBFI);
        for (int i = 0; i < FIFO_SIZE; i++) assertTrue(uart.receive('a' + i));
        assertFalse(uart.receive('Z'));
        assertEquals(1, uart.overruns());
        assertEquals(IIR_FIFOS_ENABLED | IIR_RLSI, in(IIR), "line status outranks data");
        int lsr = in(LSR);
        assertEquals(LSR_OE | LSR_DR, lsr & (LSR_OE | LSR_DR));
        assertEquals(0, in(LSR) & LSR_OE, "reading LSR clears OE");
        assertEquals(IIR_FIFOS_ENABLED | IIR_RDI, in(IIR));
        StringBuilder got = new StringBuilder();
        while ((in(LSR) & LSR_DR) != 0) got.append((char) in(RBR));
        assertEquals("abcdefghijklmnop", got.toString());
    }

    @Test
    void nonFifoOverrunOverwritesTheReceiverBuffer() {
        assertTrue(uart.receive('a'));
        assertFalse(uart.receive('b'));
        assertEquals(LSR_OE | LSR_DR, in(LSR) & (LSR_OE | LSR_DR));
        assertEquals('b', in(RBR));
        assertEquals(0, in(LSR) & LSR_DR);
    }

    @Test
    void characterErrorsShowWhenTheirCharacterReachesTheTop() {
        out(FCR, FCR_ENABLE);
        uart.receive('a');
        uart.receive('b', LSR_FE);
        uart.receive('c');
        int lsr = in(LSR);
        assertEquals(0, lsr & LSR_FE, "the framing error belongs to 'b', not the top");
        assertEquals(LSR_FIFO_ERROR, lsr & LSR_FIFO_ERROR);
        assertEquals('a', in(RBR));
        lsr = in(LSR);
        assertEquals(LSR_FE | LSR_FIFO_ERROR, lsr & (LSR_FE | LSR_FIFO_ERROR));
        lsr = in(LSR);
        assertEquals(0, lsr & (LSR_FE | LSR_FIFO_ERROR), "cleared by the read, no later errors");
        assertEquals('b', in(RBR));
        assertEquals('c', in(RBR));
    }

    @Test
    void breakLoadsOneZeroCharacter() {
        out(IER, IER_ELSI);
        assertTrue(uart.receiveBreak());
        assertEquals(IIR_RLSI, in(IIR));
        assertEquals(LSR_BI | LSR_DR, in(LSR) & (LSR_BI | LSR_DR));
        assertEquals(0, in(RBR));
    }

    @Test
    void fifoControlBits() {
        out(FCR, FCR_ENABLE);
        assertEquals(IIR_FIFOS_ENABLED | IIR_NO_INT, in(IIR));
        uart.receive('a');
        uart.receive('b');
        out(FCR, FCR_ENABLE | FCR_CLEAR_RCVR);
        assertEquals(0, in(LSR) & LSR_DR, "clear receiver FIFO");
        uart.receive('c');
        out(FCR, FCR_ENABLE | FCR_CLEAR_XMIT);
        assertEquals(LSR_DR, in(LSR) & LSR_DR, "clearing XMIT leaves the receiver alone");
        out(FCR, 0);
        assertEquals(IIR_NO_INT, in(IIR), "16450 mode: IIR bits 7:6 are 0");
        assertEquals(0, in(LSR) & LSR_DR, "leaving FIFO mode clears the FIFOs");
        uart.receive('d');
        out(FCR, FCR_ENABLE);
        assertEquals(0, in(LSR) & LSR_DR, "entering FIFO mode clears them too");
        out(FCR, FCR_TRIGGER_14);
        assertEquals(IIR_NO_INT, in(IIR), "bits are only programmed with FCR0 set");
    }

    @Test
    void interruptPriorityOrder() {
        out(MCR, MCR_OUT2);
        in(MSR);
        uart.setModemInputs(false, true, false, true);    // modem status pending
        uart.receive('a', LSR_PE);                         // line status + data pending
        out(IER, IER_ERBFI | IER_ETBEI | IER_ELSI | IER_EDSSI);
        assertEquals(IIR_RLSI, in(IIR));
        in(LSR);
        assertEquals(IIR_RDI, in(IIR));
        in(RBR);
        assertEquals(IIR_THRI, in(IIR));
        assertEquals(IIR_MSI, in(IIR), "the IIR read consumed THRE");
        in(MSR);
        assertEquals(IIR_NO_INT, in(IIR));
        assertFalse(irq.level);
    }

    @Test
    void backendInputIsTakenOnlyAsFarAsTheReceiverHasRoom() {
        cable.input("0123456789abcdefXYZW");
        assertEquals(LSR_DR, in(LSR) & (LSR_DR | LSR_OE), "16450 mode takes one");
        assertEquals(19, cable.pendingInput());
        out(FCR, FCR_ENABLE);                              // clears the one taken
        uart.pollInput();
        assertEquals(3, cable.pendingInput());
        assertEquals(0, uart.overruns());
        StringBuilder got = new StringBuilder();
        while ((in(LSR) & LSR_DR) != 0) got.append((char) in(RBR));
        assertEquals("123456789abcdefXYZW", got.toString(), "reads pull the rest in order");
    }

    @Test
    void tickPullsInputForTheTimeout() {
        out(FCR, FCR_ENABLE | FCR_TRIGGER_14);
        out(IER, IER_ERBFI);
        out(MCR, MCR_OUT2);
        cable.input("k");
        uart.tick(5_000);
        assertFalse(irq.level);
        uart.tick(uart.nextDeadlineNanos());
        assertTrue(irq.level);
        assertEquals('k', in(RBR));
    }

    @Test
    void masterResetKeepsDivisorAndScratch() {
        out(LCR, LCR_DLAB);
        out(DLL, 3);
        out(LCR, 0x1b);
        out(SCR, 0x5a);
        out(FCR, FCR_ENABLE);
        out(MCR, MCR_OUT2);
        out(IER, IER_ETBEI);
        uart.receive('q');
        assertTrue(irq.level);
        uart.reset();
        assertFalse(irq.level);
        assertEquals(0, in(IER));
        assertEquals(IIR_NO_INT, in(IIR));
        assertEquals(0, in(LCR));
        assertEquals(0, in(MCR));
        assertEquals(LSR_THRE | LSR_TEMT, in(LSR));
        assertEquals(0x5a, in(SCR));
        assertEquals(3, uart.divisor());
    }

    @Test
    void snapshotRestoresRegistersFifoAndLine() {
        out(LCR, LCR_DLAB);
        out(DLL, 6);
        out(LCR, 0x03);
        out(FCR, FCR_ENABLE | FCR_TRIGGER_4);
        out(MCR, MCR_OUT2 | MCR_RTS);
        out(SCR, 0x77);
        out(IER, IER_ERBFI | IER_ELSI);
        uart.tick(123);
        uart.receive('x');
        uart.receive('y', LSR_PE);
        byte[] snap = uart.snapshot();
        assertEquals(1, snap[0], "version byte");

        RecordingIrq irq2 = new RecordingIrq();
        Uart16550 copy = new Uart16550(new BufferCharBackend(), irq2);
        copy.restore(snap);
        for (int reg = IER; reg <= SCR; reg++) {
            if (reg == IIR || reg == LSR || reg == MSR) continue;
            assertEquals(in(reg), copy.read(reg, 1), "register " + reg);
        }
        assertEquals(uart.nextDeadlineNanos(), copy.nextDeadlineNanos());
        assertEquals(6, copy.divisor());
        copy.receive('z');
        copy.receive('w');
        assertEquals(IIR_FIFOS_ENABLED | IIR_RDI, copy.read(IIR, 1), "trigger 4 reached");
        assertTrue(irq2.level);
        assertEquals('x', copy.read(RBR, 1));
        assertEquals(LSR_PE, copy.read(LSR, 1) & LSR_PE);
        assertArrayEquals(snap, uart.snapshot(), "taking a snapshot changes nothing");
    }

    @Test
    void snapshotRejectsOtherVersionsAndTruncation() {
        byte[] snap = uart.snapshot();
        byte[] wrong = snap.clone();
        wrong[0] = 9;
        assertThrows(IllegalArgumentException.class, () -> uart.restore(wrong));
        assertThrows(IllegalArgumentException.class, () -> uart.restore(java.util.Arrays.copyOf(snap, 10)));
        assertEquals(0x01, in(IIR), "a rejected snapshot changes nothing");
    }

    @Test
    void mappedOnTheBusAtCom1() {
        IoBus bus = new IoBus();
        bus.map("com1", Uart16550.COM1_BASE, Uart16550.PORTS, uart);
        bus.write(0x3fb, 1, 0x03);
        bus.write(0x3f8, 1, 'k');
        assertEquals("k", cable.output());
        assertEquals(LSR_THRE | LSR_TEMT, bus.read(0x3fd, 1));
    }
}
