package dev.trapdoor.api;

import dev.trapdoor.memory.paging.Ept;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A new VM on the interpreter looks like KVM on a processor with EPT: "enable EPT" and
 * "unrestricted guest" on over the runtime's identity EPT, so a real-mode guest enters and its
 * accesses walk the EPT; turning EPT off takes unrestricted guest with it, and then a real-mode
 * guest fails VM entry as it would on hardware.
 */
class DefaultEptTest {
    /** Real mode at 0x1000: mov ax,[0x5000]; inc ax; mov [0x5002],ax; hlt. */
    private static Vm realModeVm(Hypervisor hv, String board) {
        Vm vm = hv.newVm().memory("1M").board(board).build();
        vm.load(HexFormat.of().parseHex("a10050" + "40" + "a30250" + "f4"), 0x1000);
        vm.getMem().physical().write32(0x5000, 41);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    @Test
    void newVmRunsRealModeUnderTheIdentityEpt() {
        try (Hypervisor hv = Hypervisor.create(); Vm vm = realModeVm(hv, "mini")) {
            Vmcs v = vm.getVmcs();
            assertNotEquals(0, v.procBased() & ProcBased.ACTIVATE_SECONDARY_CONTROLS);
            assertEquals(ProcBased2.ENABLE_EPT | ProcBased2.UNRESTRICTED_GUEST, v.procBased2());
            assertEquals(vm.getDefaultEpt().eptp(), v.read(VmcsField.EPT_POINTER));
            assertTrue(vm.getVcpu().isUnrestrictedGuest());
            RunResult r = vm.run();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            assertEquals(42, vm.getMem().physical().read(0x5002, 2));
            var t = vm.getVcpu().tlbCounters();
            assertTrue(t.eptReferences() > 0, "a real-mode guest's accesses go through EPT: " + t);
            assertEquals(0, t.eptExits());
        }
    }

    @Test
    void eptOffTakesUnrestrictedGuestWithItAndRealModeFailsEntry() {
        try (Hypervisor hv = Hypervisor.create(); Vm vm = realModeVm(hv, "mini")) {
            vm.getVcpu().useEpt(null);
            assertFalse(vm.getVcpu().isUnrestrictedGuest());
            RunResult r = vm.run();
            assertEquals(StopReason.ERROR, r.reason(), r.toString());
            assertEquals(ExitReason.ENTRY_FAILURE_GUEST_STATE, r.exit().getReason());
            assertTrue(r.message().contains("CR0.PE"), r.message());
            assertEquals(0, vm.getVcpu().getInstructions());
            // Back to the default: the same guest runs.
            vm.getVcpu().useEpt(vm.getDefaultEpt());
            vm.getVcpu().setUnrestrictedGuest(true);
            assertEquals(StopReason.HALTED, vm.run().reason());
            assertEquals(42, vm.getMem().physical().read(0x5002, 2));
        }
    }

    @Test
    void scriptEptsShareThePoolWithTheDefault() {
        try (Hypervisor hv = Hypervisor.create(); Vm vm = realModeVm(hv, "mini")) {
            Ept mine = vm.getEpt();
            assertEquals(vm.getDefaultEpt().pages(), mine.pages());
            assertNotEquals(vm.getDefaultEpt().pml4(), mine.pml4());
            assertEquals(0, mine.entry(0, 4), "vm.ept starts empty: the script maps it");
            mine.map(0, 0, 1 << 20, Ept.RWX);
            vm.getVcpu().useEpt(mine);
            assertEquals(StopReason.HALTED, vm.run().reason());
        }
    }

    @Test
    void pcBoardDevicePagesAreLeftOutOfTheEpt() {
        try (Hypervisor hv = Hypervisor.create(); Vm vm = realModeVm(hv, "pc")) {
            Ept id = vm.getDefaultEpt();
            assertEquals(0, id.entry(0xfee00000L, 1), "the local APIC's page is a hole, as in KVM's memory slots");
            assertEquals(0, id.entry(0xfec00000L, 1), "and the IO-APIC's");
            assertNotEquals(0, id.entry(0xfed00000L, 1) | id.entry(0xfed00000L, 2), "unassigned space between them is mapped");
        }
    }
}
