package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

class InterruptInjectionTest {
    /**
     * 0x1000: sti; l: hlt; cmp ebx,0; je l; mov ecx,0x77; out 0x80,al. Handler for vector 0x20 at
     * 0x100e: mov ebx,1; iret. With HLT exiting off the vCPU sleeps in HLT until the interrupt.
     */
    @Test
    void injectedInterruptWakesAHaltedVcpu() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("fbf483fb0074fab977000000e680bb01000000cf"))) {
            ProtectedModeTest.setupGdt(g);
            ProtectedModeTest.gate(g, 0x2000, 0x20, 0x100e, 0x8e);
            ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
            g.vcpu.vmcs.disable(dev.trapdoor.vmx.VmcsField.PROC_BASED_CONTROLS, "HLT_EXITING");
            AtomicReference<ExitInfo> result = new AtomicReference<>();
            Thread t = new Thread(() -> result.set(g.run()));
            t.start();
            assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
                while (g.vcpu.instructionsRetired() < 2) Thread.onSpinWait();
                Thread.sleep(20);
                assertTrue(g.vcpu.injectInterrupt(0x20));
                t.join();
            });
            ExitInfo e = result.get();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(0x80, e.port);
            assertEquals(1, g.reg(X86Registers.EBX));
            assertEquals(0x77, g.reg(X86Registers.ECX));
        }
    }

    @Test
    void interruptWaitsForIfAndTheStiShadow() {
        // cli; nop; sti; mov edx,5; out 0x80,al -- the interrupt is pending from the start
        try (Guest g = Guest.flat32(0x1000, Guest.hex("fa 90 fb ba05000000 e680"))) {
            ProtectedModeTest.setupGdt(g);
            g.memory.write(0x3000, Guest.hex("89d6 cf")); // handler: mov esi,edx; iret
            ProtectedModeTest.gate(g, 0x2000, 0x30, 0x3000, 0x8e);
            ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
            g.vcpu.injectInterrupt(0x30);
            X86Registers r = g.regs();
            r.eflags = 2; // IF clear
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(5, g.reg(X86Registers.ESI), "taken after the instruction following STI, not before");
        }
    }
}
