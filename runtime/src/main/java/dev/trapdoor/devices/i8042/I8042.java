package dev.trapdoor.devices.i8042;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.MachineControl;
import dev.trapdoor.devices.PioDevice;
import java.util.Arrays;
import dev.trapdoor.snapshot.StateReader;
import dev.trapdoor.snapshot.StateWriter;
import dev.trapdoor.snapshot.Stateful;

/**
 * The Intel 8042 keyboard controller of a PC/AT with PS/2 ports, and nothing plugged into
 * them: data port 0x60, status/command port 0x64, IRQ 1 (keyboard port) and IRQ 12 (aux port).
 *
 * <p>The controller itself answers everything Linux's i8042 driver asks (self test, interface
 * tests, command byte, port enable/disable, the aux loopback it uses to detect the aux port,
 * a multiplexer and aux IRQ delivery), and its output port carries the A20 gate and the reset
 * line: pulsing or writing reset low asks the {@link MachineControl} to reset the machine.
 * A byte sent to either device gets what an 8042 gives when no device clocks it in: 0xFE with
 * the time-out status bit, so the atkbd and psmouse probes fail at once instead of waiting.
 *
 * <p>Commands complete instantly: IBF never reads 1. Not thread-safe.
 */
public final class I8042 implements Stateful {
    public static final int DATA_PORT = 0x60;
    public static final int COMMAND_PORT = 0x64;
    public static final int KBD_IRQ = 1;
    public static final int AUX_IRQ = 12;

    // ---- status register bits
    public static final int STR_OBF = 0x01, STR_IBF = 0x02, STR_SYS = 0x04, STR_CMD = 0x08,
            STR_KEYLOCK = 0x10, STR_AUXDATA = 0x20, STR_TIMEOUT = 0x40, STR_PARITY = 0x80;
    // ---- command byte (RAM byte 0) bits
    public static final int CTR_KBDINT = 0x01, CTR_AUXINT = 0x02, CTR_SYS = 0x04, CTR_KBDDIS = 0x10,
            CTR_AUXDIS = 0x20, CTR_XLATE = 0x40;
    // ---- output port bits
    private static final int OUT_RESET_HIGH = 0x01, OUT_A20 = 0x02;
    /** What a controller answers for a device that does not answer. */
    private static final int NO_DEVICE = 0xfe;

    private static final int SOURCE_CONTROLLER = 0, SOURCE_KBD = 1, SOURCE_AUX = 2;
    private static final int QUEUE_SIZE = 16;

    private final IrqLine kbdIrq;
    private final IrqLine auxIrq;
    private final MachineControl machine;

    private final byte[] ram = new byte[32];        // byte 0 is the command byte
    private int outputPort = OUT_RESET_HIGH | OUT_A20;
    private int pendingCommand = -1;                // a command waiting for its data byte
    private boolean lastWriteWasCommand;

    // The output buffer as a short queue of (byte, source, time-out) answers.
    private final int[] queue = new int[QUEUE_SIZE];
    private int head, count;
    private int lastRead;
    private boolean kbdLevel, auxLevel;
    private long unknownCommands, resets;

    public I8042(IrqLine kbdIrq, IrqLine auxIrq, MachineControl machine) {
        this.kbdIrq = kbdIrq;
        this.auxIrq = auxIrq;
        this.machine = machine;
        reset();
    }

    // ---- port access: 0x60 and 0x64 are not adjacent (0x61 is system control port B)

    private final PioDevice dataPort = new PioDevice() {
        @Override
        public int read(int offset, int size) { return readData(); }

        @Override
        public void write(int offset, int size, int value) { writeData(value & 0xff); }
    };

    private final PioDevice commandPort = new PioDevice() {
        @Override
        public int read(int offset, int size) { return status(); }

        @Override
        public void write(int offset, int size, int value) { command(value & 0xff); }
    };

    /** Port 0x60: output buffer (read), data for a pending command or the keyboard (write). */
    public PioDevice dataPort() { return dataPort; }

    /** Port 0x64: status register (read), controller command (write). */
    public PioDevice commandPort() { return commandPort; }

    public void mapOn(IoBus bus) {
        bus.map("i8042-data", DATA_PORT, 1, dataPort);
        bus.map("i8042-command", COMMAND_PORT, 1, commandPort);
    }

    private int status() {
        int s = STR_KEYLOCK;                        // keyboard not inhibited
        if ((ram[0] & CTR_SYS) != 0) s |= STR_SYS;
        if (lastWriteWasCommand) s |= STR_CMD;
        if (count > 0) {
            int e = queue[head];
            s |= STR_OBF;
            if (((e >>> 8) & 3) == SOURCE_AUX) s |= STR_AUXDATA;
            if ((e & 0x400) != 0) s |= STR_TIMEOUT;
        }
        return s;
    }

    private int readData() {
        if (count == 0) return lastRead;            // an empty buffer reads its last byte again
        int e = queue[head];
        lastRead = e & 0xff;
        head = (head + 1) % QUEUE_SIZE;
        count--;
        updateIrqs();
        return e & 0xff;
    }

    private void writeData(int value) {
        lastWriteWasCommand = false;
        int cmd = pendingCommand;
        pendingCommand = -1;
        if (cmd >= 0x60 && cmd <= 0x7f) {
            ram[cmd & 0x1f] = (byte) value;
            updateIrqs();
            return;
        }
        switch (cmd) {
            case 0xd1 -> writeOutputPort(value);
            case 0xd2 -> enqueue(value, SOURCE_KBD, false);
            case 0xd3 -> enqueue(value, SOURCE_AUX, false);
            case 0xd4 -> enqueue(NO_DEVICE, SOURCE_AUX, true);      // to the absent aux device
            default -> enqueue(NO_DEVICE, SOURCE_KBD, true);        // to the absent keyboard
        }
    }

    /** Controller commands (IBM PC/AT Technical Reference, keyboard controller commands). */
    private void command(int cmd) {
        lastWriteWasCommand = true;
        pendingCommand = -1;
        if (cmd >= 0x20 && cmd <= 0x3f) {
            reply(ram[cmd & 0x1f] & 0xff);
            return;
        }
        if (cmd >= 0x60 && cmd <= 0x7f) {
            pendingCommand = cmd;
            return;
        }
        if (cmd >= 0xf0) {
            // Pulse output port bits 0-3 whose command bit is 0; bit 0 is the reset line.
            if ((cmd & 0x01) == 0) reset("i8042 pulse reset (0x" + Integer.toHexString(cmd) + ")");
            return;
        }
        switch (cmd) {
            case 0xa4 -> reply(0xf1);                                 // no password installed
            case 0xa7 -> setCtr(ram[0] | CTR_AUXDIS);
            case 0xa8 -> setCtr(ram[0] & ~CTR_AUXDIS);
            case 0xa9, 0xab -> reply(0x00);                           // interface test passed
            case 0xaa -> {
                setCtr(ram[0] | CTR_SYS);
                reply(0x55);                                          // self test passed
            }
            case 0xad -> setCtr(ram[0] | CTR_KBDDIS);
            case 0xae -> setCtr(ram[0] & ~CTR_KBDDIS);
            case 0xc0 -> reply(0x80);                                 // input port: not inhibited
            case 0xd0 -> reply(outputPort);
            case 0xd1, 0xd2, 0xd3, 0xd4 -> pendingCommand = cmd;
            case 0xdd -> outputPort &= ~OUT_A20;
            case 0xdf -> outputPort |= OUT_A20;
            default -> unknownCommands++;
        }
    }

    private void writeOutputPort(int value) {
        outputPort = value | OUT_RESET_HIGH;
        if ((value & OUT_RESET_HIGH) == 0) reset("i8042 output port reset line low");
    }

    private void reset(String why) {
        resets++;
        machine.requestReset(why);
    }

    private void setCtr(int value) {
        ram[0] = (byte) value;
        updateIrqs();
    }

    private void reply(int value) {
        enqueue(value, SOURCE_CONTROLLER, false);
    }

    private void enqueue(int value, int source, boolean timeout) {
        if (count == QUEUE_SIZE) return;            // a full buffer drops, as the 8042 does
        queue[(head + count) % QUEUE_SIZE] = (value & 0xff) | source << 8 | (timeout ? 0x400 : 0);
        count++;
        updateIrqs();
    }

    /** OBF raises IRQ 1 for keyboard-side bytes and IRQ 12 for aux bytes, if the CTR enables it. */
    private void updateIrqs() {
        boolean kbd = false, aux = false;
        if (count > 0) {
            int source = (queue[head] >>> 8) & 3;
            if (source == SOURCE_AUX) aux = (ram[0] & CTR_AUXINT) != 0;
            else kbd = (ram[0] & CTR_KBDINT) != 0;
        }
        if (kbd != kbdLevel) kbdIrq.set(kbdLevel = kbd);
        if (aux != auxLevel) auxIrq.set(auxLevel = aux);
    }

    /** State after a BIOS: translation on, keyboard interrupt on, self test passed. */
    public void reset() {
        Arrays.fill(ram, (byte) 0);
        ram[0] = (byte) (CTR_XLATE | CTR_SYS | CTR_KBDINT);
        outputPort = OUT_RESET_HIGH | OUT_A20;
        pendingCommand = -1;
        lastWriteWasCommand = false;
        head = count = 0;
        updateIrqs();
    }

    // ---- inspection

    public boolean a20Enabled() { return (outputPort & OUT_A20) != 0; }

    public int commandByte() { return ram[0] & 0xff; }

    public long unknownCommands() { return unknownCommands; }

    public long resetRequests() { return resets; }

    // ---- snapshot

    @Override
    public void saveState(StateWriter out) {
        out.bytes(ram).i32(outputPort).i32(pendingCommand).bool(lastWriteWasCommand).ints(queue).i32(head).i32(count)
                .i32(lastRead).bool(kbdLevel).bool(auxLevel).i64(unknownCommands).i64(resets);
    }

    @Override
    public void loadState(StateReader in) {
        in.bytesInto(ram);
        outputPort = in.range(0, 0xff, "output port");
        pendingCommand = in.range(-1, 0xff, "pending command");
        lastWriteWasCommand = in.bool();
        in.intsInto(queue);
        head = in.range(0, QUEUE_SIZE - 1, "queue head");
        count = in.range(0, QUEUE_SIZE, "queue length");
        lastRead = in.range(0, 0xff, "last byte read");
        kbdLevel = in.bool();
        auxLevel = in.bool();
        unknownCommands = in.i64();
        resets = in.i64();
        kbdIrq.set(kbdLevel);
        auxIrq.set(auxLevel);
    }
}
