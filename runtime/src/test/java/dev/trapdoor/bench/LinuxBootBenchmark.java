package dev.trapdoor.bench;

import dev.trapdoor.api.Breakpoint;
import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.StopReason;
import dev.trapdoor.api.Vm;
import dev.trapdoor.boot.Initramfs;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Boots a Linux bzImage on the interpreter, once, cold (JIT warm-up included, as a user sees it),
 * and reports the wall time and guest instructions to the initramfs's ready marker and to the end
 * of the run. A benchmark, not a test: scripts/bench/linux-boot.sh runs it beside QEMU and Bochs.
 * <p>
 * Usage: {@code LinuxBootBenchmark KERNEL INITRD vmlinux|bzimage APPEND SECONDS [decompressor|decompressor-only]}.
 * With "decompressor" (bzimage only) a breakpoint at the kernel's load address 0x1000000 splits
 * the count: everything before the first instruction there after the entry is the bzImage's own
 * decompressor (Trapdoor's loader puts the protected-mode kernel at its pref_address, 0x1000000,
 * and enters there; the decompressor moves itself up and writes vmlinux back at 0x1000000).
 * "decompressor-only" stops there.
 * The console is echoed to stdout; the last line is {@code BENCH key=value ...}.
 */
public final class LinuxBootBenchmark {
    /** Where the 32-bit boot protocol's decompressor leaves vmlinux and jumps (LOAD_PHYSICAL_ADDR). */
    static final long KERNEL_LOAD = 0x1000000L;

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: LinuxBootBenchmark KERNEL INITRD vmlinux|bzimage APPEND SECONDS [decompressor]");
            System.exit(2);
        }
        String kernel = args[0], initrd = args[1], append = args[3];
        boolean vmlinux = args[2].equals("vmlinux");
        long seconds = Long.parseLong(args[4]);
        boolean splitDecompressor = args.length > 5 && args[5].startsWith("decompressor") && !vmlinux;
        boolean stopAtKernel = splitDecompressor && args[5].equals("decompressor-only");

        try (Hypervisor hv = Hypervisor.create()) {
            Vm[] holder = new Vm[1];
            MarkerConsole console = new MarkerConsole(Initramfs.READY_MARKER, System.out,
                    () -> holder[0].getVcpu().getInstructions());
            Vm vm = hv.createVm(Map.of("memory", "64M", "board", "pc", "console", console));
            holder[0] = vm;
            Map<String, Object> boot = new HashMap<>();
            boot.put("initrd", initrd);
            boot.put("vmlinux", vmlinux);
            boot.put("append", append);
            vm.boot(kernel, boot);

            Thread watchdog = Thread.ofVirtual().unstarted(() -> {
                try {
                    Thread.sleep(seconds * 1000);
                    vm.stop();
                } catch (InterruptedException ignored) {
                    // the run ended first
                }
            });
            long t0 = System.nanoTime();
            watchdog.start();
            long decompressorInstructions = -1, decompressorNanos = -1;
            RunResult r;
            if (splitDecompressor) {
                // A loader that honours pref_address puts the compressed kernel itself at
                // 0x1000000 and enters there: step past that entry before the breakpoint counts.
                r = vm.getVcpu().step(1);
                Breakpoint b = vm.breakAt(KERNEL_LOAD);
                if (r.reason() == StopReason.STEPPED) r = vm.run();
                if (r.reason() == StopReason.BREAKPOINT) {
                    decompressorNanos = System.nanoTime() - t0;
                    decompressorInstructions = vm.getVcpu().getInstructions();
                    vm.delete(b.id());
                    if (!stopAtKernel) r = vm.run();
                }
            } else {
                r = vm.run();
            }
            long total = System.nanoTime() - t0;
            watchdog.interrupt();

            long insns = vm.getVcpu().getInstructions();
            StringBuilder out = new StringBuilder("BENCH tool=trapdoor-interp-" + (vmlinux ? "vmlinux" : "bzimage"));
            kv(out, "stop", r.reason().name());
            kv(out, "marker", console.sawMarker());
            if (console.sawMarker()) {
                double ms = (console.markerNanos() - t0) / 1e9;
                kv(out, "marker_run_s", fmt(ms));
                kv(out, "marker_insns", console.markerInstructions());
                kv(out, "marker_mips", fmt(console.markerInstructions() / ms / 1e6));
            }
            if (decompressorInstructions >= 0) {
                double ds = decompressorNanos / 1e9;
                kv(out, "decompressor_s", fmt(ds));
                kv(out, "decompressor_insns", decompressorInstructions);
                kv(out, "decompressor_mips", fmt(decompressorInstructions / ds / 1e6));
            }
            kv(out, "total_run_s", fmt(total / 1e9));
            kv(out, "total_insns", insns);
            kv(out, "total_mips", fmt(insns / (total / 1e9) / 1e6));
            kv(out, "uname", console.text().contains("\ni686") || console.text().contains("\ni586"));
            System.out.println();
            System.out.println(out);
        }
        System.exit(0); // a stopped vCPU thread or the watchdog must not keep the JVM alive
    }

    private static void kv(StringBuilder b, String k, Object v) {
        b.append(' ').append(k).append('=').append(v);
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }
}
