package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Hostile input: random bytes as code (fixed seeds, so failures reproduce) never make a host exception. */
class RandomCodeTest {
    @Test
    @Timeout(120)
    void randomCodeEndsInGuestVisibleOutcomes() {
        Random rnd = new Random(0x7ad000L);
        for (boolean code32 : new boolean[] {true, false}) {
            X86Registers initial = code32 ? X86Registers.flat32(0x1000) : X86Registers.realMode(0, 0x1000);
            try (Guest g = new Guest(initial)) {
                byte[] junk = new byte[0x10000];
                for (int round = 0; round < 400; round++) {
                    rnd.nextBytes(junk);
                    g.memory.write(0, junk);
                    X86Registers r = initial.copy();
                    for (int k = 0; k < 8; k++) r.gpr[k] = rnd.nextInt() & (code32 ? 0x000fffff : 0xffff);
                    r.gpr[X86Registers.ESP] = 0x8000;
                    if (round % 2 == 0) {
                        r.idtBase = 0;
                        r.idtLimit = code32 ? 0x7ff : 0x3ff; // exceptions go through random gates/vectors
                    }
                    g.vcpu.setRegisters(r);
                    g.vcpu.vmcs.set("EXCEPTION_BITMAP", round % 2 == 0 ? 0 : -1);
                    Thread watchdog = Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(50);
                            g.vcpu.requestStop();
                        } catch (InterruptedException ignored) {
                        }
                    });
                    ExitInfo e = g.run();
                    for (int k = 0; k < 4 && e.reason == ExitReason.IO_INSTRUCTION; k++) e = g.run();
                    watchdog.interrupt();
                    try {
                        watchdog.join();
                    } catch (InterruptedException ex) {
                        throw new AssertionError(ex);
                    }
                    assertNotEquals(ExitReason.INTERNAL_ERROR, e.reason, "round " + round + " " + code32 + ": " + e.message);
                }
            }
        }
    }
}
