package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;
import dev.trapdoor.kvm.KvmBackend;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end on hardware KVM: Debian's x86-64 kernel entered at startup_64 (the 64-bit boot
 * protocol) with the i386 busybox initramfs (the amd64 kernel runs i386 binaries), one command.
 * Skips with the reason on a host without usable KVM, on kvm_pvm (a software KVM: it ran the
 * amd64 decompressor for 100 s without finishing it, measured 2026-11-25), and when the image is
 * missing (run-tests fetches it only where KVM is hardware: scripts/guests/fetch.sh amd64).
 */
class LinuxAmd64OnKvmTest {
    static final long WATCHDOG_SECONDS = 120;

    @Test
    void debianAmd64BootsToBusyboxOnKvmThroughThe64BitEntry() {
        String why = KvmBackend.availability();
        assumeTrue(why == null, why);
        assumeFalse(KvmBackend.isSoftwareKvm(), KvmBackend.softwareKvmNote() + "."
                + " It emulates guest kernel code: Debian's amd64 kernel did not get out of its decompressor in 100 s.");
        Path kernel = LinuxBootTest.ROOT.resolve("build/guests/bzImage-amd64");
        Path busybox = LinuxBootTest.ROOT.resolve("build/guests/busybox");
        assumeTrue(Files.isRegularFile(kernel) && Files.isRegularFile(busybox),
                "build/guests/bzImage-amd64 or busybox is missing: run scripts/guests/fetch.sh amd64");
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));
        BootHarness.Run r;
        try {
            r = BootHarness.boot("", List.of("--kernel", kernel.toString(), "--initramfs-busybox", busybox.toString(),
                    "--backend", "kvm", "--memory", "256M", "--entry", "64", "--cmd", "uname -m", "--deterministic"),
                    (Vm vm) -> watchdog.schedule(vm::stop, WATCHDOG_SECONDS, TimeUnit.SECONDS));
        } finally {
            watchdog.shutdownNow();
        }
        String screen = r.screen();
        assertTrue(screen.contains(ConsoleWatch.READY_MARKER), "the guest stopped before userspace: " + LinuxBootTest.tail(screen, 8));
        assertTrue(screen.substring(screen.indexOf(ConsoleWatch.READY_MARKER)).contains("x86_64"), LinuxBootTest.tail(screen, 8));
        assertEquals(0, r.status(), r.all());
    }
}
