package dev.trapdoor.e2e;

import dev.trapdoor.api.Breakpoint;
import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.StopReason;
import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Address breakpoints and stepping on the interpreter, with the hello guest. */
class DebuggingTest {
    @Test
    void anAddressBreakpointStopsBeforeTheInstructionAndContinueRunsIt() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            // Run a while first so the code is decoded and cached: the breakpoint must still take effect.
            vm.getVcpu().step(200);
            Breakpoint bp = vm.breakAt(0x104c); // the rep outsb of the protected-mode part
            RunResult r = vm.run();
            assertEquals(StopReason.BREAKPOINT, r.reason(), r.toString());
            assertSame(bp, r.breakpoint());
            assertEquals(0x104c, vm.getVcpu().getEip());
            assertEquals("Hello from the guest!\n", vm.getSerialOutput());
            r = vm.cont();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            assertEquals(HelloGuestTest.EXPECTED, vm.getSerialOutput());
            assertEquals(1, bp.getHits());
        }
    }

    @Test
    void deletedOrDisabledBreakpointsDoNotStop() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            Breakpoint a = vm.breakAt(0x104c);
            Breakpoint b = vm.breakAt(0x1034);
            vm.delete(a.id());
            b.disable();
            assertEquals(StopReason.HALTED, vm.run().reason());
            assertEquals(HelloGuestTest.EXPECTED, vm.getSerialOutput());
        }
    }

    @Test
    void stepExecutesExactlyTheInstructionsAsked() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            long before = vm.getVcpu().getInstructions();
            RunResult r = vm.getVcpu().step();
            assertEquals(StopReason.STEPPED, r.reason(), r.toString());
            assertEquals(before + 1, vm.getVcpu().getInstructions());
            long eip1 = vm.getVcpu().getEip();
            assertTrue(eip1 > 0x1000 && eip1 <= 0x1010, Long.toHexString(eip1));
            vm.getVcpu().step(10);
            assertEquals(before + 11, vm.getVcpu().getInstructions());
            assertEquals(StopReason.HALTED, vm.run().reason());
        }
    }

    @Test
    void translateFollowsTheGuestPageTables() throws Exception {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = HelloGuestTest.helloVm(hv, "interp");
            assertEquals(0x1234, vm.getVcpu().translate(0x1234), "paging off: identity");
            // A page directory at 0x3000 mapping 0xc0000000 (4 MiB page, PSE) to 0.
            vm.getMem().poke32(0x3000 + (0xc00 >> 2) * 4, 0x00000083L);
            var regs = vm.getVcpu().getRegisters();
            regs.cr3 = 0x3000;
            regs.cr4 = 0x10;
            regs.cr0 |= 0x80000001L;
            vm.getVcpu().setRegisters(regs);
            assertEquals(0x1234, vm.getVcpu().translate(0xc0001234L));
            assertEquals(-1, vm.getVcpu().translate(0x1234), "unmapped");
        }
    }
}
