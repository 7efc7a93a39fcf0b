package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/** The PC board on the interpreter: timer interrupts on virtual time through the 8259, HLT idling, MSRs. */
class PcBoardTest {
    /**
     * Real mode at 0x1000: ICW1-4 put the master 8259 at vector 0x20 with only IRQ0 unmasked, IVT[0x20]
     * points at a handler at 0x1100 that counts ticks at 0x500 and sends EOI, the PIT's channel 0 runs
     * mode 2 with count 1000, then `sti; 1: hlt; cmpw $10, 0x500; jb 1b`, then the tick count goes out
     * to isa-debug-exit. Assembled with as --32 (.code16).
     */
    private static final String TICKS = "fab011e620b020e621b004e621b001e621b0fee621c70680000011c70682000000"
            + "b034e643b0e8e640b003e640fbf4833e00050a72f8faa10005e6f4f4";
    private static final String HANDLER = "ff060005b020e620cf";

    private static Vm tickVm(Hypervisor hv) {
        Vm vm = hv.newVm().board("pc").memory("64K").build();
        vm.load(HexFormat.of().parseHex(TICKS), 0x1000);
        vm.load(HexFormat.of().parseHex(HANDLER), 0x1100);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    @Test
    void timerInterruptsWakeAHaltedGuestOnVirtualTime() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status(), "ten ticks counted, then isa-debug-exit");
            // Mode 2 with count 1000 at 1.193182 MHz: one IRQ0 every 838 us of virtual time.
            long ns = vm.getClock().now();
            assertTrue(ns >= 9 * 838_000L && ns < 11 * 838_000L, "virtual time " + ns);
            assertTrue(vm.getExits().get(ExitReason.HLT) >= 10, vm.getExits().table());
        }
    }

    @Test
    void theSameRunTakesTheSameInterruptsAtTheSameInstructions() {
        long[] a = run();
        long[] b = run();
        assertArrayEquals(a, b, "instructions, virtual time and exits replay exactly");
    }

    private static long[] run() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            vm.run();
            return new long[]{vm.getVcpu().getInstructions(), vm.getClock().now(), vm.getExits().total()};
        }
    }

    @Test
    void busyGuestsAreStoppedByThePreemptionTimerForDeviceDeadlines() {
        // Same setup, but spin instead of halting: the PIT deadline must still interrupt the loop.
        String spin = TICKS.replace("fbf4833e00050a72f8", "fb90833e00050a72f8");
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().board("pc").memory("64K").build();
            vm.load(HexFormat.of().parseHex(spin), 0x1000);
            vm.load(HexFormat.of().parseHex(HANDLER), 0x1100);
            vm.getVcpu().resetRealMode(0, 0x1000);
            RunResult r = vm.run();
            assertEquals((10 << 1) | 1, r.status(), r.toString());
            assertTrue(vm.getExits().get(ExitReason.PREEMPTION_TIMER) >= 10, vm.getExits().table());
            assertEquals(0, vm.getExits().get(ExitReason.HLT));
        }
    }

    @Test
    void unknownMsrsRaiseGeneralProtectionInTheGuestAndKnownOnesAnswer() {
        // mov $0x1a0,%ecx; rdmsr; mov %al,%bl; mov $0xdead,%ecx; rdmsr; hlt  -- #GP handler at 0x1100: mov $0x21,%al; out %al,$0xf4
        String code = "66b9a0010000" + "0f32" + "88c3" + "66b9adde0000" + "0f32" + "f4";
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().board("pc").memory("64K").build();
            vm.load(HexFormat.of().parseHex(code), 0x1000);
            vm.load(HexFormat.of().parseHex("b021e6f4"), 0x1100);
            vm.getMem().poke16(13 * 4, 0x1100);
            vm.getMem().poke16(13 * 4 + 2, 0);
            vm.getVcpu().resetRealMode(0, 0x1000);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((0x21 << 1) | 1, r.status());
            assertEquals(1, vm.getVcpu().get("bl"), "IA32_MISC_ENABLE reads its table value");
            assertEquals(2, vm.getExits().get(ExitReason.RDMSR));
        }
    }
}
