package dev.trapdoor.devices.serial;

import static dev.trapdoor.devices.serial.UartRegisters.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.BufferCharBackend;
import dev.trapdoor.devices.PioDevice;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Plays the port accesses of Linux's 8250 driver (drivers/tty/serial/8250/8250_port.c:
 * autoconfig, autoconfig_16550a with the full variant probe, size_fifo, serial8250_do_startup,
 * set_termios, serial8250_handle_irq) against the device, step by step in the driver's order.
 */
class Uart16550LinuxDriverTest {
    private static final int UART_IER_UUE = 0x40;
    private static final int UART_FCR7_64BYTE = 0x20;
    private static final int UART_IIR_64BYTE_FIFO = 0x20;

    private BufferCharBackend cable;
    private RecordingIrq irq;
    private Uart16550 uart;
    private PioDevice dev;     // what the driver's port accesses reach
    private int ier;           // the driver's copy of IER (up->ier)

    @BeforeEach
    void setUp() {
        cable = new BufferCharBackend();
        irq = new RecordingIrq();
        uart = new Uart16550(cable, irq);
        dev = uart;
    }

    private int in(int reg) {
        return dev.read(reg, 1);
    }

    private void out(int reg, int v) {
        dev.write(reg, 1, v);
    }

    // ---- autoconfig

    /** autoconfig(): returns the port type name Linux would print, or why the probe failed. */
    private String autoconfig(boolean loopbackTest) {
        int scratch = in(IER);
        out(IER, 0);
        int scratch2 = in(IER) & 0x0f;
        out(IER, 0x0f);
        int scratch3 = in(IER) & 0x0f;
        out(IER, scratch);
        if (scratch2 != 0 || scratch3 != 0x0f) return "IER test failed";

        int saveMcr = in(MCR);
        int saveLcr = in(LCR);
        if (loopbackTest) {
            out(MCR, MCR_LOOP | MCR_OUT2 | MCR_RTS);
            int status1 = in(MSR) & 0xf0;
            out(MCR, saveMcr);
            if (status1 != (MSR_DCD | MSR_CTS)) return "LOOP test failed";
        }

        out(LCR, 0xbf);                 // UART_LCR_CONF_MODE_B
        out(2, 0);                      // UART_EFR (FCR on a 16550)
        out(LCR, 0);
        out(FCR, FCR_ENABLE);
        String type = switch (in(IIR) & 0xc0) {
            case 0x00 -> autoconfig8250();
            case 0x40 -> "16550";
            case 0xc0 -> autoconfig16550a();
            default -> "unknown";
        };
        out(LCR, saveLcr);
        out(MCR, saveMcr);
        clearFifos();
        in(RBR);
        out(IER, 0);
        return type;
    }

    private String autoconfig8250() {
        int scratch = in(SCR);
        out(SCR, 0xa5);
        int s1 = in(SCR);
        out(SCR, 0x5a);
        int s2 = in(SCR);
        out(SCR, scratch);
        return s1 == 0xa5 && s2 == 0x5a ? "16450" : "8250";
    }

    private String autoconfig16550a() {
        out(LCR, 0x80);                 // UART_LCR_CONF_MODE_A: EFR v1 only reads 0 here
        if (in(2) == 0) return "16650 or FSL64 (EFR at DLAB)";
        out(LCR, 0xbf);
        if (in(2) == 0 && !brokenEfr()) return "16650V2/16850/16C950 (EFR)";

        out(LCR, 0);
        int status1 = in(MCR);
        out(LCR, 0xe0);
        int status2 = in(2);            // EXCR1 on a National SuperIO
        if (((status2 ^ status1) & MCR_LOOP) == 0) {
            out(LCR, 0);
            out(MCR, status1 ^ MCR_LOOP);
            out(LCR, 0xe0);
            status2 = in(2);
            out(LCR, 0);
            out(MCR, status1);
            if (((status2 ^ status1) & MCR_LOOP) != 0) return "NS16550A";
        }

        out(LCR, 0);
        out(FCR, FCR_ENABLE | UART_FCR7_64BYTE);
        status1 = in(IIR) & (UART_IIR_64BYTE_FIFO | 0xc0);
        out(FCR, FCR_ENABLE);
        out(LCR, 0x80);
        out(FCR, FCR_ENABLE | UART_FCR7_64BYTE);
        status2 = in(IIR) & (UART_IIR_64BYTE_FIFO | 0xc0);
        out(FCR, FCR_ENABLE);
        out(LCR, 0);
        if (status1 == 0xc0 && status2 == (UART_IIR_64BYTE_FIFO | 0xc0)) return "16750";

        int iersave = in(IER);
        out(IER, iersave & ~UART_IER_UUE);
        if ((in(IER) & UART_IER_UUE) == 0) {
            out(IER, iersave | UART_IER_UUE);
            if ((in(IER) & UART_IER_UUE) != 0) return "XScale";
        }
        out(IER, iersave);
        if (sizeFifo() == 64) return "U6_16550A";
        return "16550A";
    }

    private boolean brokenEfr() {
        return readDivisorId() == 0x0201 && sizeFifo() == 16;
    }

    private int readDivisorId() {
        int oldLcr = in(LCR);
        out(LCR, 0x80);
        int oldDl = in(DLL) | in(DLM) << 8;
        out(DLL, 0);
        out(DLM, 0);
        int id = in(DLL) | in(DLM) << 8;
        out(DLL, oldDl & 0xff);
        out(DLM, oldDl >> 8);
        out(LCR, oldLcr);
        return id;
    }

    /** size_fifo(): loop 256 bytes back at divisor 1 and count what the receiver kept. */
    private int sizeFifo() {
        int oldLcr = in(LCR);
        out(LCR, 0);
        int oldFcr = in(FCR);           // reads IIR: Linux does the same
        int oldMcr = in(MCR);
        out(FCR, FCR_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
        out(MCR, MCR_LOOP);
        out(LCR, 0x80);
        int oldDl = in(DLL) | in(DLM) << 8;
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        for (int i = 0; i < 256; i++) out(THR, i);
        int count = 0;
        while ((in(LSR) & LSR_DR) != 0 && count < 256) {
            in(RBR);
            count++;
        }
        out(FCR, oldFcr);
        out(MCR, oldMcr);
        out(LCR, 0x80);
        out(DLL, oldDl & 0xff);
        out(DLM, oldDl >> 8);
        out(LCR, oldLcr);
        return count;
    }

    private void clearFifos() {
        out(FCR, FCR_ENABLE);
        out(FCR, FCR_ENABLE | FCR_CLEAR_RCVR | FCR_CLEAR_XMIT);
        out(FCR, 0);
    }

    @Test
    void autoconfigFindsA16550A() {
        assertEquals("16550A", autoconfig(true));
        assertEquals("", cable.output(), "nothing of the probe reaches the cable");
        assertEquals(0, in(IER));
        assertEquals(IIR_NO_INT, in(IIR), "FIFOs left off");
        assertFalse(irq.level);
    }

    @Test
    void sizeFifoCountsSixteen() {
        assertEquals(16, sizeFifo());
        assertEquals(0, in(MCR) & MCR_LOOP);
        assertEquals(12, uart.divisor(), "divisor restored");
    }

    @Test
    void autoconfigFailsOnAnEmptyPort() {
        dev = new PioDevice() {                              // a floating ISA bus: reads all ones
            @Override
            public int read(int offset, int size) { return 0xff; }

            @Override
            public void write(int offset, int size, int value) { }
        };
        assertEquals("IER test failed", autoconfig(true));
    }

    // ---- startup and running

    /** serial8250_do_startup + set_termios(115200 8N1) as for a console with an IRQ. */
    private void startup() {
        clearFifos();
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        assertNotEquals(0xff, in(LSR));

        // THRE re-assert test.
        out(IER, IER_ETBEI);
        int iir1 = in(IIR);
        out(IER, 0);
        out(IER, IER_ETBEI);
        int iir = in(IIR);
        out(IER, 0);
        assertFalse((iir1 & IIR_NO_INT) == 0 && (iir & IIR_NO_INT) != 0, "UART_BUG_THRE");

        out(LCR, 0x03);
        out(MCR, MCR_DTR | MCR_RTS | MCR_OUT2);

        // TXEN test.
        out(IER, IER_ETBEI);
        int lsr = in(LSR);
        iir = in(IIR);
        out(IER, 0);
        assertFalse((lsr & LSR_TEMT) != 0 && (iir & IIR_NO_INT) != 0, "UART_BUG_TXEN");

        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        ier = IER_ELSI | IER_ERBFI;
        out(IER, ier);

        // set_termios: divisor 1, 8N1, FIFO with the 8-byte trigger (uart_config[PORT_16550A].fcr).
        out(LCR, 0x83);
        out(DLL, 1);
        out(DLM, 0);
        out(LCR, 0x03);
        out(FCR, FCR_ENABLE | FCR_TRIGGER_8);
    }

    private byte[] txData;
    private int txPos;
    private final StringBuilder rxData = new StringBuilder();
    private int serviced;

    /** serial8250_handle_irq: one pass; true if the port had an interrupt. */
    private boolean handleIrq() {
        int iir = in(IIR);
        if ((iir & IIR_NO_INT) != 0) return false;
        int lsr = in(LSR);
        if ((lsr & (LSR_DR | LSR_BI)) != 0) {
            for (int max = 256; max > 0 && (lsr & (LSR_DR | LSR_BI)) != 0; max--) {
                rxData.append((char) in(RBR));
                lsr = in(LSR);
            }
        }
        in(MSR);
        if ((lsr & LSR_THRE) != 0 && (ier & IER_ETBEI) != 0) {
            for (int n = 0; n < 16 && txPos < txData.length; n++) out(THR, txData[txPos++]);
            if (txPos == txData.length) {
                ier &= ~IER_ETBEI;
                out(IER, ier);
            }
        }
        return true;
    }

    /** An edge-triggered 8259: one handler call per rising edge; the 8250 ISR loops until idle. */
    private void deliverInterrupts() {
        while (serviced < irq.risingEdges) {
            serviced++;
            while (handleIrq()) { }
        }
    }

    @Test
    void consoleTransmitsByThreInterrupts() {
        assertEquals("16550A", autoconfig(false));
        startup();
        txData = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox...\n"
                .getBytes(StandardCharsets.US_ASCII);
        ier |= IER_ETBEI;                                   // __start_tx
        out(IER, ier);
        deliverInterrupts();
        assertEquals(new String(txData, StandardCharsets.US_ASCII), cable.takeOutput());
        assertFalse(irq.level);
        assertEquals(0, in(IER) & IER_ETBEI);
    }

    @Test
    void consoleReceivesByTriggerAndTimeout() {
        assertEquals("16550A", autoconfig(false));
        startup();
        String typed = "ls -l /proc/interrupts\n";       // 23 bytes: two trigger-level bursts and a tail
        long probeOverruns = uart.overruns();              // size_fifo overran on purpose
        cable.input(typed);
        long t = 0;
        for (int step = 0; step < 100 && rxData.length() < typed.length(); step++) {
            t += 50_000;                                    // the runtime ticks every 50 us of virtual time
            uart.tick(t);
            deliverInterrupts();
        }
        assertEquals(typed, rxData.toString());
        assertEquals(probeOverruns, uart.overruns());
        assertFalse(irq.level);
    }

    @Test
    void aShortLineArrivesByTheCharacterTimeout() {
        assertEquals("16550A", autoconfig(false));
        startup();
        cable.input("y\n");                               // below the 8-byte trigger
        long fourCharacters = 4 * uart.characterNanos();  // 115200 8N1: 4 x 86.8 us
        long t = 0, deliveredAt = -1;
        for (int step = 0; step < 100 && deliveredAt < 0; step++) {
            t += 50_000;
            uart.tick(t);
            deliverInterrupts();
            if (rxData.length() > 0) deliveredAt = t;
        }
        assertEquals("y\n", rxData.toString());
        assertTrue(deliveredAt >= 50_000 + fourCharacters, "not before the timeout: " + deliveredAt);
        assertTrue(deliveredAt < 100_000 + fourCharacters, "at the first tick after it: " + deliveredAt);
    }

    @Test
    void autoIrqProbeSeesTheLine() {
        // autoconfig_irq: with OUT2 and all interrupts enabled, writing THR must raise the line.
        out(MCR, MCR_OUT1 | MCR_OUT2);
        out(MCR, 0);
        out(MCR, MCR_DTR | MCR_RTS | MCR_OUT2);
        out(IER, 0x0f);
        in(LSR);
        in(RBR);
        in(IIR);
        in(MSR);
        out(THR, 0xff);
        assertTrue(irq.level);
        out(MCR, 0);
        out(IER, 0);
        assertFalse(irq.level);
    }
}
