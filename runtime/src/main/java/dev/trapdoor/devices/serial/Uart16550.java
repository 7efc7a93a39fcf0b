package dev.trapdoor.devices.serial;

import static dev.trapdoor.devices.serial.UartRegisters.*;

import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PioDevice;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * A National Semiconductor PC16550D UART (8 ports; COM1 is 0x3f8, IRQ 4), as Linux's 8250 driver
 * probes and drives it.
 *
 * <p>Transmission is instantaneous: a byte written to THR goes to the {@link CharBackend} at
 * once, so THR is always empty again by the next access (THRE and TEMT stay set) and the
 * transmitter FIFO never holds anything. Reception goes through the 16-byte receiver FIFO with
 * its trigger levels, per-character error bits and character timeout. Input comes from the
 * backend ({@link #pollInput()}, also done on every LSR and RBR read, only as far as the FIFO has
 * room, so nothing from the backend is lost) or is pushed by {@link #receive(int)}, where a full
 * FIFO is an overrun.
 *
 * <p>Time is virtual: the device never reads a clock. The runtime calls {@link #tick(long)}
 * with its virtual time; {@link #nextDeadlineNanos()} says when the character timeout would
 * fire. The interrupt output is the INTR pin gated, as on a PC, by the OUT2 output: the line is
 * asserted while an enabled interrupt is pending, MCR.OUT2 is set and loopback is off (loopback
 * forces the OUT pins inactive, datasheet 8.6).
 *
 * <p>Confined to the thread that runs the vCPU; other threads feed input through the backend.
 */
public final class Uart16550 implements PioDevice, Stateful {
    public static final int PORTS = 8;
    public static final int COM1_BASE = 0x3f8;
    public static final int COM1_IRQ = 4;

    private static final int SNAPSHOT_VERSION = 1;
    /** Modem inputs of a connected cable: CTS, DSR and DCD on, RI off. */
    private static final int CABLE_DEFAULT = MSR_CTS | MSR_DSR | MSR_DCD;
    /** No divisor programmed yet: the datasheet leaves it undefined; 12 is 9600 baud. */
    private static final int DIVISOR_DEFAULT = 12;

    private final CharBackend backend;
    private final IrqLine irq;
    private final boolean out2GatesIrq;

    // ---- registers
    private int ier;
    private int lcr;
    private int mcr;
    private int scr;
    private int divisor = DIVISOR_DEFAULT;
    private int fcr;                 // the stored bits: ENABLE, DMA_MODE, trigger
    private int lineErrors;          // LSR OE/PE/FE/BI, latched until LSR is read
    private boolean fifoError;       // LSR bit 7
    private int msrDeltas;
    private int msrInputs;           // bits 7:4 as the UART sees them (cable or loopback)
    private int cableInputs = CABLE_DEFAULT;
    private int rbr;                 // the last character read, returned again on an empty read
    private final RxFifo rx = new RxFifo();

    // ---- interrupt sources that are events, not levels
    private boolean thrInterrupt;    // THR became empty and IIR has not reported it since
    private boolean timeoutInterrupt;

    // ---- virtual time
    private long now;
    private long lastRxActivity;     // last character received or read: the timeout timer

    // ---- output line and counters
    private boolean irqLevel;
    private long txBytes, rxBytes, overruns, irqRaises;

    public Uart16550(CharBackend backend, IrqLine irq) {
        this(backend, irq, true);
    }

    /** @param out2GatesIrq whether MCR.OUT2 enables the IRQ output, as on a PC */
    public Uart16550(CharBackend backend, IrqLine irq, boolean out2GatesIrq) {
        this.backend = backend;
        this.irq = irq;
        this.out2GatesIrq = out2GatesIrq;
        msrInputs = cableInputs;
    }

    // ---- port access

    @Override
    public int read(int offset, int size) {
        int v = 0;
        for (int i = 0; i < size; i++) v |= readRegister(offset + i) << (8 * i);
        return v;
    }

    @Override
    public void write(int offset, int size, int value) {
        for (int i = 0; i < size; i++) writeRegister(offset + i, (value >>> (8 * i)) & 0xff);
    }

    private int readRegister(int reg) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        return switch (reg) {
            case RBR -> dlab ? divisor & 0xff : readRbr();
            case IER -> dlab ? divisor >>> 8 : ier;
            case IIR -> readIir();
            case LCR -> lcr;
            case MCR -> mcr;
            case LSR -> readLsr();
            case MSR -> readMsr();
            case SCR -> scr;
            default -> 0xff;
        };
    }

    private void writeRegister(int reg, int v) {
        boolean dlab = (lcr & LCR_DLAB) != 0;
        switch (reg) {
            case THR -> {
                if (dlab) divisor = (divisor & 0xff00) | v;
                else writeThr(v);
            }
            case IER -> {
                if (dlab) divisor = (divisor & 0x00ff) | (v << 8);
                else writeIer(v);
            }
            case FCR -> writeFcr(v);
            case LCR -> lcr = v;
            case MCR -> writeMcr(v);
            case SCR -> scr = v;
            default -> { }  // LSR and MSR: writes are for factory test only (datasheet 8.4, 8.7)
        }
    }

    private int readRbr() {
        if (!rx.isEmpty()) {
            rbr = rx.pop();
            lineErrors |= rx.topErrors();  // the next character's errors show when it reaches the top
        }
        // Reading the FIFO resets the timeout timer and clears a timeout interrupt (8.6.3).
        lastRxActivity = now;
        timeoutInterrupt = false;
        pollInput();
        updateIrq();
        return rbr;
    }

    private int readIir() {
        int id = interruptId();
        if (id == IIR_THRI) {
            thrInterrupt = false;
            updateIrq();
        }
        return id | (fifoEnabled() ? IIR_FIFOS_ENABLED : 0);
    }

    private int readLsr() {
        pollInput();
        int v = lsr();
        lineErrors = 0;
        fifoError = fifoEnabled() && rx.errorsBehindTop();
        updateIrq();
        return v;
    }

    private int readMsr() {
        int v = msrInputs | msrDeltas;
        msrDeltas = 0;
        updateIrq();
        return v;
    }

    private void writeThr(int v) {
        txBytes++;
        thrInterrupt = false;
        updateIrq();  // the line drops here, so the next THRE interrupt is a new edge
        // The host end of the cable has no line settings: it gets the whole byte, as QEMU's
        // serial does, so a guest that never programs LCR (reset value: 5-bit words) still
        // prints text. Only the looped-back receiver sees the word length.
        if (loopback()) receiveChar(v & ((1 << (5 + (lcr & LCR_WLS_MASK))) - 1), 0);
        else backend.write(v & 0xff);
        thrInterrupt = true;
        updateIrq();
    }

    private void writeIer(int v) {
        int old = ier;
        ier = v & IER_MASK;
        // Enabling ETBEI while THR is empty raises the THRE interrupt (Linux's startup test
        // toggles IER to see it re-asserted).
        if ((ier & IER_ETBEI) != 0 && (old & IER_ETBEI) == 0) thrInterrupt = true;
        updateIrq();
    }

    private void writeFcr(int v) {
        boolean wasEnabled = fifoEnabled();
        if ((v & FCR_ENABLE) == 0) {
            // Other bits are only programmed with FCR0 set (8.5); leaving FIFO mode clears the FIFOs.
            fcr = 0;
            if (wasEnabled) clearRx();
        } else {
            fcr = v & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER_MASK);
            if (!wasEnabled || (v & FCR_CLEAR_RCVR) != 0) clearRx();
            // FCR_CLEAR_XMIT: the transmitter FIFO is always empty here.
        }
        updateIrq();
    }

    private void writeMcr(int v) {
        mcr = v & MCR_MASK;
        setMsrInputs(loopback() ? loopbackInputs() : cableInputs);
        updateIrq();
    }

    // ---- status and interrupts

    private int lsr() {
        int v = LSR_THRE | LSR_TEMT | lineErrors;
        if (!rx.isEmpty()) v |= LSR_DR;
        if (fifoError) v |= LSR_FIFO_ERROR;
        return v;
    }

    /** The IIR identification bits (3:0) of the highest-priority enabled pending interrupt. */
    private int interruptId() {
        if ((ier & IER_ELSI) != 0 && lineErrors != 0) return IIR_RLSI;
        if ((ier & IER_ERBFI) != 0) {
            if (rx.count() >= triggerLevel()) return IIR_RDI;
            if (timeoutInterrupt) return IIR_TIMEOUT;
        }
        if ((ier & IER_ETBEI) != 0 && thrInterrupt) return IIR_THRI;
        if ((ier & IER_EDSSI) != 0 && msrDeltas != 0) return IIR_MSI;
        return IIR_NO_INT;
    }

    private void updateIrq() {
        boolean level = out2GateOpen() && interruptId() != IIR_NO_INT;
        if (level == irqLevel) return;
        irqLevel = level;
        if (level) irqRaises++;
        irq.set(level);
    }

    private int triggerLevel() {
        if (!fifoEnabled()) return 1;
        return switch (fcr & FCR_TRIGGER_MASK) {
            case FCR_TRIGGER_1 -> 1;
            case FCR_TRIGGER_4 -> 4;
            case FCR_TRIGGER_8 -> 8;
            default -> 14;
        };
    }

    private boolean fifoEnabled() {
        return (fcr & FCR_ENABLE) != 0;
    }

    private boolean loopback() {
        return (mcr & MCR_LOOP) != 0;
    }

    /** On a PC the OUT2 pin enables the IRQ driver; loopback forces the pin inactive. */
    private boolean out2GateOpen() {
        return !out2GatesIrq || ((mcr & MCR_OUT2) != 0 && !loopback());
    }

    /** In loopback the outputs drive the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
    private int loopbackInputs() {
        int v = 0;
        if ((mcr & MCR_RTS) != 0) v |= MSR_CTS;
        if ((mcr & MCR_DTR) != 0) v |= MSR_DSR;
        if ((mcr & MCR_OUT1) != 0) v |= MSR_RI;
        if ((mcr & MCR_OUT2) != 0) v |= MSR_DCD;
        return v;
    }

    private void setMsrInputs(int inputs) {
        int changed = msrInputs ^ inputs;
        if ((changed & MSR_CTS) != 0) msrDeltas |= MSR_DCTS;
        if ((changed & MSR_DSR) != 0) msrDeltas |= MSR_DDSR;
        if ((changed & MSR_DCD) != 0) msrDeltas |= MSR_DDCD;
        if ((msrInputs & MSR_RI) != 0 && (inputs & MSR_RI) == 0) msrDeltas |= MSR_TERI;
        msrInputs = inputs;
    }

    // ---- receiver

    private void receiveChar(int ch, int errorBits) {
        int capacity = fifoEnabled() ? FIFO_SIZE : 1;
        if (rx.count() == capacity) {
            lineErrors |= LSR_OE;
            overruns++;
            if (!fifoEnabled()) {
                // 16450 mode: the new character overwrites the receiver buffer (LSR bit 1, 8.4).
                rx.replaceNewest(ch, errorBits);
                lineErrors |= errorBits;
                rxBytes++;
            }
            // FIFO mode: the character in the shift register is lost, the FIFO kept.
            updateIrq();
            return;
        }
        boolean wasEmpty = rx.isEmpty();
        rx.push(ch, errorBits);
        rxBytes++;
        if (wasEmpty) lineErrors |= errorBits;
        if (errorBits != 0 && fifoEnabled()) fifoError = true;
        if (!timeoutInterrupt) lastRxActivity = now;
        updateIrq();
    }

    private void clearRx() {
        rx.clear();
        timeoutInterrupt = false;
        fifoError = false;
    }

    private void checkTimeout() {
        if (fifoEnabled() && !rx.isEmpty() && !timeoutInterrupt
                && now - lastRxActivity >= timeoutNanos()) {
            timeoutInterrupt = true;
        }
    }

    /** Four character times at the programmed divisor and frame format (8.6.3). */
    private long timeoutNanos() {
        return 4 * characterNanos();
    }

    // ---- the host side

    /** Where received characters come from instead of the backend (record/replay puts itself here). */
    @FunctionalInterface
    public interface InputSource {
        /** The next character, or -1 for none now. */
        int poll();
    }

    private InputSource input;

    /** Takes input from source instead of the backend; null goes back to the backend. */
    public void setInputSource(InputSource source) {
        input = source;
    }

    /** The host side this UART writes to and, without an input source, reads from. */
    public CharBackend backend() {
        return backend;
    }

    /**
     * Takes input from the backend while the receiver has room. Loopback disconnects the serial
     * input, so nothing is taken then.
     */
    public void pollInput() {
        if (loopback()) return;
        int capacity = fifoEnabled() ? FIFO_SIZE : 1;
        while (rx.count() < capacity) {
            int b = input != null ? input.poll() : backend.poll();
            if (b < 0) break;
            receiveChar(b & 0xff, 0);
        }
    }

    /**
     * A character arrives on the serial input. Returns false if it was lost: to an overrun (LSR.OE
     * is set) or because loopback disconnects the input.
     */
    public boolean receive(int b) {
        return receive(b, 0);
    }

    /** A character arrives with receive errors (any of LSR_PE, LSR_FE, LSR_BI). */
    public boolean receive(int b, int errorBits) {
        if (loopback()) return false;
        long before = overruns;
        receiveChar(b & 0xff, errorBits & LSR_CHAR_ERRORS);
        return overruns == before;
    }

    /** A break on the line: one zero character with BI set (LSR bit 4). */
    public boolean receiveBreak() {
        return receive(0, LSR_BI);
    }

    /**
     * Advances the device's virtual time (nanoseconds, never backwards; earlier values are
     * ignored), takes waiting input and fires the character timeout when it is due.
     */
    public void tick(long nowNanos) {
        if (nowNanos > now) now = nowNanos;
        pollInput();
        checkTimeout();
        updateIrq();
        armTimeout();
    }

    /**
     * A clock timer for the character timeout, so that a guest that halts with fewer characters
     * in the FIFO than its trigger level is woken by the timeout interrupt (8.6.3) instead of
     * sleeping forever. The board sets it; the UART keeps it at {@link #nextDeadlineNanos()}.
     */
    private dev.trapdoor.devices.clock.VirtualClock.Timer timeoutTimer;

    public void useTimeoutTimer(dev.trapdoor.devices.clock.VirtualClock clock) {
        timeoutTimer = clock.newTimer((t, deadline) -> tick(deadline));
        armTimeout();
    }

    private void armTimeout() {
        if (timeoutTimer == null) return;
        long d = nextDeadlineNanos();
        if (d == Long.MAX_VALUE) timeoutTimer.cancel();
        else if (!timeoutTimer.isPending() || timeoutTimer.deadline() != d) timeoutTimer.schedule(d);
    }

    /** When the character timeout would fire (virtual nanoseconds), or Long.MAX_VALUE. */
    public long nextDeadlineNanos() {
        if (!fifoEnabled() || rx.isEmpty() || timeoutInterrupt) return Long.MAX_VALUE;
        return lastRxActivity + timeoutNanos();
    }

    /** One character on the wire (start, data, parity, stop bits) at the programmed rate. */
    public long characterNanos() {
        int halfBits = 2 * (1 + 5 + (lcr & LCR_WLS_MASK) + ((lcr & LCR_PEN) != 0 ? 1 : 0));
        if ((lcr & LCR_STB) == 0) halfBits += 2;
        else halfBits += (lcr & LCR_WLS_MASK) == 0 ? 3 : 4;  // 1.5 stop bits with 5-bit words
        long div = divisor == 0 ? 0x10000 : divisor;     // the 16-bit counter wraps at 0
        return halfBits * div * 16 * 1_000_000_000L / (2 * CLOCK_HZ);
    }

    /** Sets the modem input lines of the cable (seen in MSR unless in loopback). */
    public void setModemInputs(boolean cts, boolean dsr, boolean ri, boolean dcd) {
        cableInputs = (cts ? MSR_CTS : 0) | (dsr ? MSR_DSR : 0) | (ri ? MSR_RI : 0) | (dcd ? MSR_DCD : 0);
        if (!loopback()) setMsrInputs(cableInputs);
        updateIrq();
    }

    public boolean irqAsserted() {
        return irqLevel;
    }

    public int divisor() {
        return divisor;
    }

    public long txBytes() {
        return txBytes;
    }

    public long rxBytes() {
        return rxBytes;
    }

    public long overruns() {
        return overruns;
    }

    /** Rising edges of the IRQ output. */
    public long irqRaises() {
        return irqRaises;
    }

    // ---- reset

    /**
     * Master reset (datasheet Table IV): IER, IIR, FCR, LCR, MCR, LSR and the MSR deltas return
     * to their reset values and the FIFOs are cleared; the divisor latch and SCR keep their
     * contents. Counters are not device state and are kept.
     */
    public void reset() {
        ier = 0;
        lcr = 0;
        mcr = 0;
        fcr = 0;
        lineErrors = 0;
        clearRx();
        thrInterrupt = false;
        msrInputs = cableInputs;
        msrDeltas = 0;
        lastRxActivity = now;
        updateIrq();
    }

    // ---- snapshot

    /** The device state as bytes: a version byte, then the registers, FIFO and timers. */
    public byte[] snapshot() {
        ByteBuffer b = ByteBuffer.allocate(64 + 2 * FIFO_SIZE);
        b.put((byte) SNAPSHOT_VERSION);
        b.put((byte) ier).put((byte) lcr).put((byte) mcr).put((byte) scr).putShort((short) divisor);
        b.put((byte) fcr).put((byte) lineErrors).put((byte) (fifoError ? 1 : 0));
        b.put((byte) msrDeltas).put((byte) msrInputs).put((byte) cableInputs).put((byte) rbr);
        b.put((byte) ((thrInterrupt ? 1 : 0) | (timeoutInterrupt ? 2 : 0)));
        b.put((byte) rx.count());
        for (int k = 0; k < rx.count(); k++) b.put((byte) rx.dataAt(k)).put((byte) rx.errorsAt(k));
        b.putLong(now).putLong(lastRxActivity);
        b.putLong(txBytes).putLong(rxBytes).putLong(overruns);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    /** Restores a {@link #snapshot()}; the IRQ line is driven to the restored level. */
    public void restore(byte[] snapshot) {
        ByteBuffer b = ByteBuffer.wrap(snapshot);
        try {
            int version = b.get();
            if (version != SNAPSHOT_VERSION)
                throw new IllegalArgumentException("Uart16550 snapshot version " + version + ", expected " + SNAPSHOT_VERSION);
            int nIer = b.get() & IER_MASK, nLcr = b.get() & 0xff, nMcr = b.get() & MCR_MASK, nScr = b.get() & 0xff;
            int nDivisor = b.getShort() & 0xffff;
            int nFcr = b.get() & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER_MASK);
            int nLineErrors = b.get() & LSR_LINE_ERRORS;
            boolean nFifoError = b.get() != 0;
            int nDeltas = b.get() & MSR_DELTAS, nInputs = b.get() & MSR_INPUTS, nCable = b.get() & MSR_INPUTS;
            int nRbr = b.get() & 0xff;
            int flags = b.get();
            int n = b.get() & 0xff;
            if (n > ((nFcr & FCR_ENABLE) != 0 ? FIFO_SIZE : 1))
                throw new IllegalArgumentException("Uart16550 snapshot holds " + n + " characters");
            RxFifo nRx = new RxFifo();
            for (int k = 0; k < n; k++) nRx.push(b.get() & 0xff, b.get() & LSR_CHAR_ERRORS);
            long nNow = b.getLong(), nLast = b.getLong();
            long nTx = b.getLong(), nRxBytes = b.getLong(), nOverruns = b.getLong();

            ier = nIer; lcr = nLcr; mcr = nMcr; scr = nScr; divisor = nDivisor; fcr = nFcr;
            lineErrors = nLineErrors; fifoError = nFifoError; msrDeltas = nDeltas; msrInputs = nInputs;
            cableInputs = nCable; rbr = nRbr;
            thrInterrupt = (flags & 1) != 0;
            timeoutInterrupt = (flags & 2) != 0;
            rx.clear();
            for (int k = 0; k < n; k++) rx.push(nRx.dataAt(k), nRx.errorsAt(k));
            now = nNow; lastRxActivity = nLast;
            txBytes = nTx; rxBytes = nRxBytes; overruns = nOverruns;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("Uart16550 snapshot is truncated", e);
        }
        irqLevel = out2GateOpen() && interruptId() != IIR_NO_INT;
        irq.set(irqLevel);
    }

    @Override
    public void saveState(StateWriter out) {
        out.bytes(snapshot()).i64(irqRaises).bool(timeoutTimer != null);
        if (timeoutTimer != null) timeoutTimer.saveState(out);
    }

    @Override
    public void loadState(StateReader in) {
        byte[] b = in.bytes();
        long raises = in.i64();
        try {
            restore(b);
        } catch (IllegalArgumentException e) {
            throw in.fail(": " + e.getMessage());
        }
        irqRaises = raises;
        boolean timer = in.bool();
        if (timer != (timeoutTimer != null)) throw in.fail("was saved from a UART " + (timer ? "with" : "without") + " a timeout timer");
        if (timeoutTimer != null) timeoutTimer.loadState(in);
    }
}
