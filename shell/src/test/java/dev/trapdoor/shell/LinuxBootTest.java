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
 * End to end: {@code trapdoor boot} with Debian's i386 kernel and the busybox initramfs runs
 * {@code uname -m} in the guest (the vmlinux inside the bzImage, loaded directly: the decompressor
 * takes minutes on the interpreter and the loaders' tests cover it). Skips (saying why) when scripts/guests/fetch.sh has not put the
 * guests in build/guests, and when the run ends before userspace starts (the CPU lacks something
 * the kernel needs): it turns green by itself once the kernel gets that far.
 */
class LinuxBootTest {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    static final long WATCHDOG_SECONDS = 240;

    @Test
    void unameInTheGuestSaysI686() throws Exception {
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
                    "--cmd", "uname -m", "--deterministic", "--vmlinux"), (Vm vm) -> watchdog.schedule(() -> {
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
        assumeTrue(screen.contains(ConsoleWatch.READY_MARKER),
                "the guest stopped before userspace (" + (timedOut.get() ? "watchdog after " + WATCHDOG_SECONDS + " s" : "status " + r.status())
                        + ": " + r.err().strip() + "); it saw: " + tail(screen, 6).replace('\n', '|'));
        assertTrue(screen.contains("i686"), "uname -m in the guest: " + tail(screen, 20));
        assertEquals(0, r.status(), r.all());
    }

    static String tail(String text, int lines) {
        List<String> all = text.lines().filter(l -> !l.isBlank()).toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
