package dev.trapdoor.devices.i8042;

import static dev.trapdoor.devices.i8042.I8042.*;
import static org.junit.jupiter.api.Assertions.*;

import dev.trapdoor.devices.IoBus;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.MachineControl;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The controller as drivers/input/serio/i8042.c probes it, and the x86 reboot path. */
class I8042Test {
    private IoBus bus;
    private I8042 kbc;
    private boolean irq1, irq12;
    private int irq12Edges;
    private final List<String> resets = new ArrayList<>();

    @BeforeEach
    void setUp() {
        bus = new IoBus();
        IrqLine kbd = l -> irq1 = l;
        IrqLine aux = l -> {
            if (l && !irq12) irq12Edges++;
            irq12 = l;
        };
        kbc = new I8042(kbd, aux, new MachineControl() {
            @Override
            public void requestShutdown(int status, String reason) { }

            @Override
            public void requestReset(String reason) { resets.add(reason); }
        });
        kbc.mapOn(bus);
    }

    private int status() { return bus.read(0x64, 1); }

    /** i8042_command: wait for IBF clear, write the command, params, then poll OBF for replies. */
    private int[] command(int cmd, int[] params, int replies) {
        assertEquals(0, status() & STR_IBF);
        bus.write(0x64, 1, cmd);
        for (int p : params) {
            assertEquals(0, status() & STR_IBF);
            bus.write(0x60, 1, p);
        }
        int[] out = new int[replies];
        for (int i = 0; i < replies; i++) {
            assertEquals(STR_OBF, status() & STR_OBF, "reply " + i + " to command " + Integer.toHexString(cmd));
            out[i] = bus.read(0x60, 1);
        }
        return out;
    }

    /** i8042_flush: read while OBF, bounded like I8042_BUFFER_SIZE. */
    private int flush() {
        int n = 0;
        while ((status() & STR_OBF) != 0 && n < 16) {
            bus.read(0x60, 1);
            n++;
        }
        return n;
    }

    @Test
    void linuxControllerCheckSelftestAndInit() {
        assertEquals(0, flush(), "nothing pending at boot");
        assertEquals(0x55, command(0xaa, new int[0], 1)[0]);           // i8042_controller_selftest
        int[] ctr = {command(0x20, new int[0], 1)[0], command(0x20, new int[0], 1)[0]};
        assertEquals(ctr[0], ctr[1], "a stable CTR read");
        assertEquals(STR_KEYLOCK, status() & STR_KEYLOCK, "no keylock warning");
        int newCtr = (ctr[0] | CTR_KBDDIS) & ~CTR_KBDINT;
        command(0x60, new int[] {newCtr}, 0);
        assertEquals(newCtr, kbc.commandByte());
        assertEquals(0, flush());
    }

    @Test
    void linuxAuxDetectionLoopAndBitAssignment() {
        // i8042_check_aux: AUX_LOOP must echo with the AUXDATA bit set.
        bus.write(0x64, 1, 0xd3);
        bus.write(0x60, 1, 0x5a);
        assertEquals(STR_OBF | STR_AUXDATA, status() & (STR_OBF | STR_AUXDATA));
        assertEquals(0x5a, bus.read(0x60, 1));
        command(0xa7, new int[0], 0);
        assertNotEquals(0, command(0x20, new int[0], 1)[0] & CTR_AUXDIS);
        command(0xa8, new int[0], 0);
        assertEquals(0, command(0x20, new int[0], 1)[0] & CTR_AUXDIS);
        assertEquals(0x00, command(0xa9, new int[0], 1)[0]);
    }

    @Test
    void linuxMuxProbeFindsNoMultiplexer() {
        // i8042_set_mux_mode: 0xf0, 0x56, then 0xa4 come back unchanged: no active MUX.
        for (int v : new int[] {0xf0, 0x56, 0xa4}) {
            bus.write(0x64, 1, 0xd3);
            bus.write(0x60, 1, v);
            assertEquals(v, bus.read(0x60, 1));
        }
    }

    @Test
    void auxIrqTestDeliversIrq12() {
        // The AUX IRQ delivery test: CTR with AUXINT, AUX_LOOP 0xa5 without polling.
        command(0x60, new int[] {CTR_XLATE | CTR_SYS | CTR_AUXINT | CTR_KBDDIS}, 0);
        bus.write(0x64, 1, 0xd3);
        bus.write(0x60, 1, 0xa5);
        assertTrue(irq12);
        assertEquals(1, irq12Edges);
        assertEquals(STR_AUXDATA, status() & STR_AUXDATA);
        assertEquals(0xa5, bus.read(0x60, 1));
        assertFalse(irq12);
    }

    @Test
    void bytesToTheAbsentKeyboardAreAnsweredWithTimeoutAndIrq1() {
        command(0x60, new int[] {CTR_XLATE | CTR_SYS | CTR_KBDINT}, 0);
        bus.write(0x60, 1, 0xf2);                   // atkbd: ATKBD_CMD_GETID
        assertTrue(irq1);
        assertEquals(STR_OBF | STR_TIMEOUT, status() & (STR_OBF | STR_TIMEOUT | STR_AUXDATA));
        assertEquals(0xfe, bus.read(0x60, 1));
        assertFalse(irq1);
        assertEquals(0, status() & (STR_OBF | STR_TIMEOUT));
    }

    @Test
    void bytesToTheAbsentMouseAreAnsweredOnTheAuxSide() {
        command(0x60, new int[] {CTR_XLATE | CTR_SYS | CTR_AUXINT}, 0);
        bus.write(0x64, 1, 0xd4);
        bus.write(0x60, 1, 0xf2);                   // psmouse: GETID
        assertTrue(irq12);
        assertFalse(irq1);
        assertEquals(STR_OBF | STR_TIMEOUT | STR_AUXDATA, status() & (STR_OBF | STR_TIMEOUT | STR_AUXDATA));
        assertEquals(0xfe, bus.read(0x60, 1));
    }

    @Test
    void portEnableBitsAndInterfaceTests() {
        command(0xad, new int[0], 0);
        assertNotEquals(0, kbc.commandByte() & CTR_KBDDIS);
        command(0xae, new int[0], 0);
        assertEquals(0, kbc.commandByte() & CTR_KBDDIS);
        assertEquals(0x00, command(0xab, new int[0], 1)[0]);
        assertEquals(STR_CMD, status() & STR_CMD, "last write went to the command port");
    }

    @Test
    void controllerRepliesRaiseIrq1OnlyWithKbdint() {
        command(0x60, new int[] {CTR_XLATE | CTR_SYS}, 0);
        bus.write(0x64, 1, 0x20);
        assertFalse(irq1);
        bus.read(0x60, 1);
        command(0x60, new int[] {CTR_XLATE | CTR_SYS | CTR_KBDINT}, 0);
        bus.write(0x64, 1, 0x20);
        assertTrue(irq1);
        bus.read(0x60, 1);
        assertFalse(irq1);
    }

    @Test
    void rebootThroughPulseResetAndOutputPort() {
        // native_machine_emergency_restart, BOOT_KBD: kb_wait() then outb(0xfe, 0x64).
        assertEquals(0, status() & STR_IBF);
        bus.write(0x64, 1, 0xfe);
        assertEquals(1, resets.size());
        bus.write(0x64, 1, 0xff);                   // pulses nothing
        assertEquals(1, resets.size());
        assertEquals(0x03, command(0xd0, new int[0], 1)[0] & 0x03);
        command(0xd1, new int[] {0x01}, 0);         // A20 off, reset high
        assertFalse(kbc.a20Enabled());
        assertEquals(1, resets.size());
        command(0xd1, new int[] {0x02}, 0);         // reset line low
        assertEquals(2, resets.size());
        assertTrue(kbc.a20Enabled());
    }

    @Test
    void unknownCommandsAreCountedAndAnswerNothing() {
        bus.write(0x64, 1, 0xc9);
        assertEquals(0, status() & STR_OBF);
        assertEquals(1, kbc.unknownCommands());
    }

    @Test
    void aFullOutputBufferDropsRatherThanGrows() {
        for (int i = 0; i < 100; i++) bus.write(0x64, 1, 0xaa);
        assertEquals(16, flush());
    }
}
