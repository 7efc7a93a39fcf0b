package dev.trapdoor.shell;

import dev.trapdoor.api.ExitCounters;
import dev.trapdoor.api.Vm;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's kernel boots to busybox on the interpreter with the VMX controls a script can turn on
 * switched on before the first instruction: external-interrupt exiting (every timer and serial
 * interrupt exits; the runtime acknowledges it at the guest's PIC and injects it), NMI
 * exiting with virtual NMIs, descriptor-table exiting, WBINVD, RDPMC, MONITOR/MWAIT, MOV-DR and
 * CR3-load/store exiting, and a CR4 guest/host mask on PGE (Linux flushes global pages by toggling
 * it). The runtime's default handlers must keep the guest correct. Skips without build/guests.
 */
class LinuxBootUnderVmxControlsTest {
    static final long WATCHDOG_SECONDS = 300;

    @Test
    void linuxBootsWithExternalInterruptExitingAndTheOtherControlsOn() throws Exception {
        Path kernel = LinuxBootTest.ROOT.resolve("build/guests/bzImage-686");
        Path busybox = LinuxBootTest.ROOT.resolve("build/guests/busybox");
        assumeTrue(Files.isRegularFile(kernel) && Files.isRegularFile(busybox),
                "build/guests/bzImage-686 or build/guests/busybox is missing: run scripts/guests/fetch.sh");
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicReference<Vm> booted = new AtomicReference<>();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));
        BootHarness.Run r;
        try {
            r = BootHarness.boot("", List.of("--kernel", kernel.toString(), "--initramfs-busybox", busybox.toString(),
                    "--cmd", "uname -m; grep -E 'timer|ttyS0' /proc/interrupts", "--deterministic", "--vmlinux"), (Vm vm) -> {
                booted.set(vm);
                controlsOn(vm.getVmcs());
                watchdog.schedule(() -> {
                    timedOut.set(true);
                    vm.stop();
                }, WATCHDOG_SECONDS, TimeUnit.SECONDS);
            });
        } finally {
            watchdog.shutdownNow();
        }
        String screen = r.screen();
        ExitCounters exits = booted.get().getExits();
        System.out.printf("linux boot under VMX controls: status %d%s%n%s%n", r.status(), timedOut.get() ? " (watchdog)" : "", exits.table());
        assertTrue(screen.contains(ConsoleWatch.READY_MARKER), "the guest stopped before userspace: " + LinuxBootTest.tail(screen, 8).replace('\n', '|')
                + " " + r.err().strip());
        String out = screen.substring(screen.indexOf(ConsoleWatch.READY_MARKER));
        assertTrue(out.contains("i686"), out);
        assertTrue(LinuxBootTest.interruptCount(out, "timer") > 0, "timer interrupts reached the guest: " + out);
        assertTrue(exits.get(ExitReason.EXTERNAL_INTERRUPT) > 0, exits.table());
        assertTrue(exits.get(ExitReason.CR_ACCESS) > 0, exits.table());
        assertTrue(exits.get(ExitReason.GDTR_IDTR_ACCESS) > 0, exits.table());
        assertEquals(0, r.status(), r.all());
    }

    static void controlsOn(Vmcs v) {
        v.enable(VmcsField.PIN_BASED_CONTROLS, "EXTERNAL_INTERRUPT_EXITING", "NMI_EXITING", "VIRTUAL_NMIS");
        v.enable(VmcsField.PROC_BASED_CONTROLS, "CR3_LOAD_EXITING", "CR3_STORE_EXITING", "MOV_DR_EXITING", "RDPMC_EXITING",
                "MONITOR_EXITING", "MWAIT_EXITING", "ACTIVATE_SECONDARY_CONTROLS");
        v.enable(VmcsField.SECONDARY_PROC_BASED_CONTROLS, "DESCRIPTOR_TABLE_EXITING", "WBINVD_EXITING");
        v.write(VmcsField.CR4_GUEST_HOST_MASK, 1 << 7); // PGE
    }
}
