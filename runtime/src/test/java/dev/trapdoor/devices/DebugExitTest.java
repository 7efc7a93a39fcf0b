package dev.trapdoor.devices;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DebugExitTest {
    private final List<String> requests = new ArrayList<>();
    private final MachineControl machine = new MachineControl() {
        @Override
        public void requestShutdown(int status, String reason) {
            requests.add("shutdown " + status + ": " + reason);
        }

        @Override
        public void requestReset(String reason) {
            requests.add("reset: " + reason);
        }
    };

    @Test
    void writeRequestsShutdownWithQemusStatus() {
        IoBus bus = new IoBus();
        DebugExit exit = new DebugExit(machine);
        bus.map("isa-debug-exit", DebugExit.DEFAULT_BASE, exit.iosize(), exit);
        bus.write(0xf4, 1, 0);
        assertEquals(1, exit.lastStatus(), "(0 << 1) | 1");
        bus.write(0xf4, 1, 0x10);
        assertEquals(0x21, exit.lastStatus());
        assertEquals(2, exit.writes());
        assertEquals(2, requests.size());
        assertTrue(requests.get(1).startsWith("shutdown 33: isa-debug-exit"), requests.get(1));
    }

    @Test
    void fourByteWindowTakesTheWholeValue() {
        IoBus bus = new IoBus();
        DebugExit exit = new DebugExit(4, machine);
        bus.map("isa-debug-exit", 0xf4, 4, exit);
        bus.write(0xf4, 4, 0x31);
        assertEquals(0x63, exit.lastStatus());
        assertEquals(1, requests.size(), "one dword write is one request");
        assertEquals(0, bus.read(0xf4, 4), "reads return 0");
        assertEquals(0, bus.read(0xf7, 1));
    }

    @Test
    void readsNeverStopTheMachine() {
        DebugExit exit = new DebugExit(2, machine);
        assertEquals(0, exit.read(0, 2));
        assertEquals(-1, exit.lastStatus());
        assertTrue(requests.isEmpty());
    }

    @Test
    void iosizeIsOneTwoOrFour() {
        assertThrows(IllegalArgumentException.class, () -> new DebugExit(3, machine));
        assertThrows(IllegalArgumentException.class, () -> new DebugExit(0, machine));
    }
}
