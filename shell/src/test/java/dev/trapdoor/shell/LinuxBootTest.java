package dev.trapdoor.shell;

import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * End to end: {@code trapdoor boot} with Debian's i386 kernel and the busybox initramfs on the
 * interpreter, in one boot: {@code uname -m}, our CPUID in /proc/cpuinfo, timer and serial
 * interrupts in /proc/interrupts, and dmesg free of complaints about the machine but for the
 * explained ones. It loads the vmlinux inside the bzImage directly (the decompressor adds ~2.3 G
 * instructions; the loaders' tests cover that path). Skips, saying why, only when
 * scripts/guests/fetch.sh has not put the guests in build/guests.
 */
class LinuxBootTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final long WATCHDOG_SECONDS = 240;

    @Test
    void debianLinuxBootsToBusyboxAndSeesOurMachine() throws Exception {
        Path kernel = ROOT.resolve("build/guests/bzImage-686");
        Path busybox = ROOT.resolve("build/guests/busybox");
        assumeTrue(Files.isRegularFile(kernel) && Files.isRegularFile(busybox),
                "build/guests/bzImage-686 or build/guests/busybox is missing: run scripts/guests/fetch.sh");
        AtomicBoolean timedOut = new AtomicBoolean();
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));
        long t0 = System.nanoTime();
        BootHarness.Run r;
        try {
            r = BootHarness.boot("", List.of("--kernel", kernel.toString(), "--initramfs-busybox", busybox.toString(),
                    "--cmd", COMMAND, "--deterministic", "--vmlinux"), (Vm vm) -> watchdog.schedule(() -> {
                        timedOut.set(true);
                        vm.stop();
                    }, WATCHDOG_SECONDS, TimeUnit.SECONDS));
        } finally {
            watchdog.shutdownNow();
        }
        long seconds = (System.nanoTime() - t0) / 1_000_000_000L;
        String screen = r.screen();
        System.out.printf("linux boot: status %d after %d s%s; stderr: %s%nlast console lines:%n%s%n", r.status(), seconds,
                timedOut.get() ? " (watchdog)" : "", r.err().strip(), tail(screen, 15));
        assertTrue(screen.contains(ConsoleWatch.READY_MARKER),
                "the guest stopped before userspace (" + (timedOut.get() ? "watchdog after " + WATCHDOG_SECONDS + " s" : "status " + r.status())
                        + ": " + r.err().strip() + "); it saw: " + tail(screen, 6).replace('\n', '|'));
        String out = screen.substring(screen.indexOf(ConsoleWatch.READY_MARKER));
        assertTrue(out.contains("i686"), "uname -m in the guest: " + tail(screen, 20));
        assertTrue(out.contains("Trapdoor IA-32 interpreter"), "/proc/cpuinfo shows our CPUID brand: " + out);
        assertTrue(interruptCount(out, "timer") > 0, "timer interrupts counted in /proc/interrupts: " + out);
        assertTrue(interruptCount(out, "ttyS0") > 0, "serial interrupts counted in /proc/interrupts: " + out);
        List<String> complaints = out.lines().filter(l -> l.matches("\\[[ 0-9.]+\\] .*"))
                .filter(l -> !l.contains("Kernel command line")).filter(l -> EXPLAINED.stream().noneMatch(l::contains)).toList();
        assertEquals(List.of(), complaints, "dmesg warnings that point at the machine");
        assertEquals(0, r.status(), r.all());
    }

    /** One boot checks several things: the kernel's view of the CPU, its interrupts, and its complaints. */
    static final String COMMAND = "uname -m; grep -m1 'model name' /proc/cpuinfo; cat /proc/interrupts; "
            + "dmesg | grep -iE 'warn|fail|error|bug|unable' || true";

    /**
     * dmesg lines that are expected on this machine, each for a reason:
     * pci=off on the default command line (the PCI host bridge works: boot without it to see the
     * bus); no machine-check architecture in our CPUID; the fast PIT calibration needs the PIT's
     * MSB to change within a bound of TSC cycles per port read, which an exit per read breaks, and
     * Linux falls back to the slow calibration, which succeeds.
     */
    static final List<String> EXPLAINED = List.of("PCI: Fatal: No config space access function found",
            "mce: Unable to init MCE device", "tsc: Fast TSC calibration failed");

    /** The count in /proc/interrupts for the line naming this handler, or -1. */
    static long interruptCount(String text, String handler) {
        for (String l : text.lines().toList()) {
            String[] f = l.trim().split("\\s+");
            if (f.length >= 4 && f[0].endsWith(":") && f[f.length - 1].equals(handler)) return Long.parseLong(f[1]);
        }
        return -1;
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().filter(l -> !l.isBlank()).toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
