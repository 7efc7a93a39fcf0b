package dev.trapdoor.api;

import dev.trapdoor.devices.apic.LocalApic;
import dev.trapdoor.kvm.KvmBackend;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The same local APIC on KVM. No in-kernel irqchip is created, so the APIC page is unbacked guest
 * memory: each register access is a KVM_EXIT_MMIO that the board's LocalApic answers, and its
 * interrupts go in through KVM_INTERRUPT when the guest can take them (interrupt-window exits
 * otherwise), as the 8259's do.
 */
class ApicKvmTest {
    @Test
    void theLocalApicTimerInterruptsAFlatProtectedModeGuestOnKvm() {
        Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        // The guest's handler returns without IRET: kvm_pvm reports an emulation failure (KVM_EXIT_INTERNAL_ERROR) at
        // a flat protected-mode IRET; the delivery through KVM_INTERRUPT and the APIC's MMIO exits are what is tested here.
        run(ApicBoardTest.LAPIC_TIMER_NO_IRET);
    }

    @Test
    void theSameGuestWithIretOnHardwareKvm() {
        Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        Assumptions.assumeFalse(KvmBackend.isSoftwareKvm(), () -> "this host's /dev/kvm is kvm_pvm, a software KVM that fails "
                + "to emulate IRET in flat protected mode (KVM_EXIT_INTERNAL_ERROR, emulation failure, at the handler's iret); "
                + "the same test runs where /dev/kvm is hardware KVM");
        run(ApicBoardTest.LAPIC_TIMER);
    }

    private static void run(String guest) {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend("kvm").board("pc").memory("64K").build();
            vm.load(HexFormat.of().parseHex(guest), 0x1000);
            vm.getVcpu().resetFlat32(0x1000);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r + "; exits " + vm.getExits().table());
            assertEquals((10 << 1) | 1, r.status(), "ten local APIC timer interrupts, then isa-debug-exit");
            LocalApic lapic = (LocalApic) vm.device("lapic");
            assertEquals(10, lapic.acknowledgeCount(), lapic.toString());
            // Every register access left the guest: SVR, divide, LVT timer, initial count, and ten EOIs.
            assertTrue(vm.getExits().get(ExitReason.EPT_VIOLATION) >= 14, vm.getExits().table());
            assertTrue(vm.getClock().now() >= 1_000_000, "ten 100 us periods of virtual time: " + vm.getClock().now());
        }
    }
}
