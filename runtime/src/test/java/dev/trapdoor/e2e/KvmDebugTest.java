package dev.trapdoor.e2e;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.StopReason;
import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Debugger breakpoints and steps on KVM (KVM_SET_GUEST_DEBUG): four breakpoints in DR0-DR3, a
 * fifth refused with the reason, stops before the instruction, single steps, and resuming from a
 * breakpoint without hitting it again. Skips where KVM is unusable.
 */
class KvmDebugTest {
    @Test
    void fourBreakpointsStopBeforeTheirInstructionsAndStepsAreSingleStepTraps() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "kvm");
            var first = vm.breakAt(0x1002);   // xor eax,eax (real mode)
            vm.breakAt(0x1043);               // mov ecx,0x1e (protected mode)
            vm.breakAt(0x1048);
            vm.breakAt(0x104e);               // hlt
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> vm.breakAt(0x1000));
            assertTrue(e.getMessage().contains("four"), e.getMessage());

            RunResult r = vm.run();
            assertEquals(StopReason.BREAKPOINT, r.reason(), r.toString());
            assertSame(first, r.breakpoint());
            assertEquals(0x1002, vm.getVcpu().getEip());
            r = vm.getVcpu().step(2);         // xor eax,eax; mov ds,ax
            assertEquals(StopReason.STEPPED, r.reason(), r.toString());
            assertEquals(0x1006, vm.getVcpu().getEip());
            vm.delete(first.getId());

            r = vm.run();
            assertEquals(0x1043, vm.getVcpu().getEip(), r.toString());
            r = vm.run();                     // resumes over the breakpoint it stopped at: the next one is 0x1048
            assertEquals(0x1048, vm.getVcpu().getEip(), r.toString());
            assertEquals(0x1e, vm.getVcpu().getEcx());
            r = vm.run();
            assertEquals(0x104e, vm.getVcpu().getEip(), r.toString());
            assertEquals("Hello from the guest!\nNow in 32-bit protected mode.\n", vm.getSerialOutput());
        }
    }
}
