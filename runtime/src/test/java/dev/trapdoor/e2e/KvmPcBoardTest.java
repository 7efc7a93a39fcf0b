package dev.trapdoor.e2e;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.StopReason;
import dev.trapdoor.api.Vm;
import dev.trapdoor.kvm.KvmBackend;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The PC board on KVM with a user-space 8259 and PIT: the timer guest of PcBoardTest (ten IRQ0
 * ticks through the guest's IVT, HLT between them) gets its interrupts through KVM_INTERRUPT.
 */
class KvmPcBoardTest {
    @Test
    void timerInterruptsReachAKvmGuestThroughTheUserSpacePic() {
        Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        String ticks = "fab011e620b020e621b004e621b001e621b0fee621c70680000011c70682000000"
                + "b034e643b0e8e640b003e640fbf4833e00050a72f8faa10005e6f4f4";
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend("kvm").board("pc").memory("64K").build();
            vm.load(HexFormat.of().parseHex(ticks), 0x1000);
            vm.load(HexFormat.of().parseHex("ff060005b020e620cf"), 0x1100);
            vm.getVcpu().resetRealMode(0, 0x1000);
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status());
        }
    }

    @Test
    void linuxOnKvmRunsOnlyOnHardwareKvm() throws Exception {
        Assumptions.assumeTrue(KvmBackend.availability() == null, () -> "KVM: " + KvmBackend.availability());
        Assumptions.assumeFalse(KvmBackend.isSoftwareKvm(), () -> "this host's /dev/kvm is kvm_pvm, a software KVM that "
                + "cannot run a stock Linux kernel (GUESTS.md: emulation failures, paging guests triple-fault); "
                + "the same test runs where /dev/kvm is hardware KVM");
        java.nio.file.Path kernel = java.nio.file.Path.of("../build/guests/bzImage-686");
        java.nio.file.Path busybox = java.nio.file.Path.of("../build/guests/busybox");
        Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(kernel) && java.nio.file.Files.isRegularFile(busybox), "run scripts/guests/fetch.sh");
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().backend("kvm").board("pc").memory("64M").build();
            java.nio.file.Path initrd = kernel.resolveSibling("initramfs-kvm-test.cpio.gz");
            java.nio.file.Files.write(initrd, dev.trapdoor.boot.Initramfs.busybox(java.nio.file.Files.readAllBytes(busybox)).toGzip());
            vm.boot(kernel.toString(), java.util.Map.of("initrd", initrd.toString(), "vmlinux", true,
                    "append", "console=ttyS0 panic=-1 acpi=off noapic nolapic nokaslr quiet trapdoor.cmd=\"uname -m\""));
            RunResult r = vm.run();
            assertTrue(vm.getSerialOutput().contains("i686"), vm.getSerialOutput() + "\n" + r);
        }
    }
}
