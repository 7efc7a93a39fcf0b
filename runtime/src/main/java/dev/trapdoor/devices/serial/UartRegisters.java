package dev.trapdoor.devices.serial;

/**
 * The PC16550D register map: offsets from the base port and bit names, as in the National
 * Semiconductor PC16550D datasheet (Table II, "Summary of Registers") and Linux's serial_reg.h.
 */
public final class UartRegisters {
    private UartRegisters() { }

    // Offsets. 0 and 1 are the divisor latch while LCR.DLAB is set.
    public static final int RBR = 0, THR = 0, DLL = 0;
    public static final int IER = 1, DLM = 1;
    public static final int IIR = 2, FCR = 2;
    public static final int LCR = 3;
    public static final int MCR = 4;
    public static final int LSR = 5;
    public static final int MSR = 6;
    public static final int SCR = 7;

    // IER: bits 4-7 are always 0 on a 16550 (Linux's autoconfig checks that).
    public static final int IER_ERBFI = 0x01;   // received data available (and FIFO timeout)
    public static final int IER_ETBEI = 0x02;   // transmitter holding register empty
    public static final int IER_ELSI = 0x04;    // receiver line status
    public static final int IER_EDSSI = 0x08;   // modem status
    public static final int IER_MASK = 0x0f;

    // IIR: bit 0 = 0 when an interrupt is pending; bits 3:1 name it; bits 7:6 = 11 in FIFO mode.
    public static final int IIR_NO_INT = 0x01;
    public static final int IIR_MSI = 0x00;
    public static final int IIR_THRI = 0x02;
    public static final int IIR_RDI = 0x04;
    public static final int IIR_RLSI = 0x06;
    public static final int IIR_TIMEOUT = 0x0c;
    public static final int IIR_ID_MASK = 0x0f;
    public static final int IIR_FIFOS_ENABLED = 0xc0;

    // FCR (write only).
    public static final int FCR_ENABLE = 0x01;
    public static final int FCR_CLEAR_RCVR = 0x02;
    public static final int FCR_CLEAR_XMIT = 0x04;
    public static final int FCR_DMA_MODE = 0x08;
    public static final int FCR_TRIGGER_MASK = 0xc0;
    public static final int FCR_TRIGGER_1 = 0x00, FCR_TRIGGER_4 = 0x40, FCR_TRIGGER_8 = 0x80, FCR_TRIGGER_14 = 0xc0;

    // LCR.
    public static final int LCR_WLS_MASK = 0x03;  // word length 5 + n
    public static final int LCR_STB = 0x04;       // 2 stop bits (1.5 with 5-bit words)
    public static final int LCR_PEN = 0x08;
    public static final int LCR_EPS = 0x10;
    public static final int LCR_STICK = 0x20;
    public static final int LCR_SBC = 0x40;       // set break
    public static final int LCR_DLAB = 0x80;

    // MCR: bits 5-7 are always 0.
    public static final int MCR_DTR = 0x01;
    public static final int MCR_RTS = 0x02;
    public static final int MCR_OUT1 = 0x04;
    public static final int MCR_OUT2 = 0x08;      // on a PC: enables the IRQ driver
    public static final int MCR_LOOP = 0x10;
    public static final int MCR_MASK = 0x1f;

    // LSR.
    public static final int LSR_DR = 0x01;
    public static final int LSR_OE = 0x02;
    public static final int LSR_PE = 0x04;
    public static final int LSR_FE = 0x08;
    public static final int LSR_BI = 0x10;
    public static final int LSR_THRE = 0x20;
    public static final int LSR_TEMT = 0x40;
    public static final int LSR_FIFO_ERROR = 0x80;
    /** The per-character error bits a received character carries through the FIFO. */
    public static final int LSR_CHAR_ERRORS = LSR_PE | LSR_FE | LSR_BI;
    /** The bits whose presence is a receiver line status interrupt; reading LSR clears them. */
    public static final int LSR_LINE_ERRORS = LSR_OE | LSR_CHAR_ERRORS;

    // MSR: deltas in bits 0-3, the input lines in bits 4-7.
    public static final int MSR_DCTS = 0x01;
    public static final int MSR_DDSR = 0x02;
    public static final int MSR_TERI = 0x04;      // RI went from on to off
    public static final int MSR_DDCD = 0x08;
    public static final int MSR_CTS = 0x10;
    public static final int MSR_DSR = 0x20;
    public static final int MSR_RI = 0x40;
    public static final int MSR_DCD = 0x80;
    public static final int MSR_DELTAS = 0x0f;
    public static final int MSR_INPUTS = 0xf0;

    /** The 16550's baud generator input clock on a PC: 1.8432 MHz. */
    public static final long CLOCK_HZ = 1_843_200;
    public static final int FIFO_SIZE = 16;
}
