package dev.trapdoor.e2e;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;
import dev.trapdoor.boot.Initramfs;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Debian's i386 kernel on the interpreter's PC board, once with {@code noapic nolapic} (the 8259
 * and the PIT, as the board ran it before it had APICs) and once finding the APICs through the MP
 * table (acpi=off): the local APIC timer as clock event device and the IO-APIC routing the ISA
 * IRQs. Both reach busybox. Skips when scripts/guests/fetch.sh has not put the guests in
 * build/guests.
 */
class LinuxApicBootTest {
    static final Path GUESTS = Path.of("..").toAbsolutePath().normalize().resolve("build/guests");
    static final long WATCHDOG_SECONDS = 900;
    /**
     * No lpj=: with the TSC's frequency known (Fast TSC calibration against the PIT) Linux skips the
     * delay-loop calibration anyway. The crypto self-tests (crypto_algapi_init, 3.1 s of busy virtual
     * time under initcall_debug) and the ISA PnP probe (isapnp_init, 0.35 s) are 75% of the boot's
     * instructions: cryptomgr.notests and noisapnp leave them out.
     */
    static final String BASE = "console=ttyS0 panic=-1 acpi=off pci=off nokaslr cryptomgr.notests noisapnp";
    static final String COMMAND = "cat /proc/interrupts; dmesg | grep -iE 'apic|mpt|timer|clockevent|smp|warn|fail|error|bug'";

    record Boot(String serial, RunResult result, long instructions, double seconds) {
        String afterMarker() {
            int at = serial.indexOf(Initramfs.READY_MARKER);
            return at < 0 ? "" : serial.substring(at);
        }
    }

    static Boot boot(String append) throws Exception {
        return boot(append, COMMAND);
    }

    static Boot boot(String append, String command) throws Exception {
        Path kernel = GUESTS.resolve("bzImage-686");
        Path busybox = GUESTS.resolve("busybox");
        assumeTrue(Files.isRegularFile(kernel) && Files.isRegularFile(busybox), "build/guests is missing: run scripts/guests/fetch.sh");
        Path initrd = Files.createTempFile("trapdoor-apic-initramfs", ".cpio.gz");
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().unstarted(r));
        try (Hypervisor hv = Hypervisor.create()) {
            Files.write(initrd, Initramfs.busybox(Files.readAllBytes(busybox)).toGzip());
            Vm vm = hv.newVm().board("pc").memory("64M").build();
            vm.boot(kernel.toString(), Map.of("initrd", initrd.toString(), "vmlinux", true,
                    "append", append + " trapdoor.cmd=\"" + command + "\""));
            watchdog.schedule(vm::stop, WATCHDOG_SECONDS, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            RunResult r = vm.run();
            double s = (System.nanoTime() - t0) / 1e9;
            Boot b = new Boot(vm.getSerialOutput(), r, vm.getVcpu().getInstructions(), s);
            System.out.printf("%n=== %s: %s after %,d instructions, %.1f s%n%s%n", append, r, b.instructions(), s, b.serial());
            return b;
        } finally {
            watchdog.shutdownNow();
            Files.deleteIfExists(initrd);
        }
    }

    @Test
    void bootsOnThe8259WithNoapicNolapic() throws Exception {
        Boot b = boot(BASE + " noapic nolapic");
        String out = b.afterMarker();
        assertTrue(out.contains("TRAPDOOR-CMD-EXIT 0"), "busybox ran the command: " + tail(b.serial()));
        String timer = line(out, "timer");
        assertTrue(timer.contains("XT-PIC") && count(timer) > 0, "the PIT through the 8259: " + timer);
        assertFalse(out.contains("IO-APIC"), out);
    }

    @Test
    void bootsOnTheApicsItFindsInTheMpTable() throws Exception {
        Boot b = boot(BASE);
        String out = b.afterMarker();
        assertTrue(out.contains("TRAPDOOR-CMD-EXIT 0"), "busybox ran the command: " + tail(b.serial()));
        assertTrue(out.contains("MPTABLE: APIC at: 0xFEE00000"), out);
        assertTrue(out.contains("IOAPIC[0]: apic_id 1, version 17, address 0xfec00000, GSI 0-23"), out);
        assertTrue(out.contains("..TIMER: vector=0x30 apic1=0 pin1=2"), "the PIT found on IO-APIC pin 2 at the first try: " + out);
        String timer = line(out, "timer");
        assertTrue(timer.contains("IO-APIC") && timer.contains("2-edge") && count(timer) > 0, "IRQ 0 through IO-APIC pin 2: " + timer);
        assertTrue(line(out, "ttyS0").contains("IO-APIC"), out);
        assertTrue(count(line(out, "LOC:")) > 0, "local APIC timer interrupts: " + line(out, "LOC:"));
        assertEquals(0, count(line(out, "ERR:")), "no APIC errors");
        assertEquals(0, count(line(out, "SPU:")), "no spurious interrupts");
        assertFalse(out.contains("APIC calibration not consistent"), out);
        assertFalse(out.contains("timer doesn't work"), out);
    }

    @Test
    @org.junit.jupiter.api.Tag("probe")
    void probe() throws Exception {
        String append = System.getenv("APIC_PROBE_APPEND");
        assumeTrue(append != null, "a diagnostic: set APIC_PROBE_APPEND to a command line");
        String cmd = System.getenv("APIC_PROBE_CMD");
        boot(append, cmd != null ? cmd : COMMAND);
    }

    /** The first line of /proc/interrupts or dmesg holding word. */
    static String line(String text, String word) {
        return text.lines().filter(l -> l.contains(word)).findFirst().orElse("");
    }

    /** The CPU0 count of a /proc/interrupts line ("  0:   63   IO-APIC   2-edge   timer"), or -1. */
    static long count(String line) {
        String[] f = line.trim().split("\\s+");
        return f.length >= 2 && f[0].endsWith(":") && f[1].matches("\\d+") ? Long.parseLong(f[1]) : -1;
    }

    static String tail(String serial) {
        var lines = serial.lines().toList();
        return String.join("|", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    }
}
