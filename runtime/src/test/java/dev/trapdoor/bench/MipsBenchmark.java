package dev.trapdoor.bench;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;
import dev.trapdoor.devices.BufferCharBackend;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Guest MIPS of a compute-bound Multiboot guest (examples/bench/crcsieve.bin) on each backend
 * usable here. A benchmark, not a test: scripts/bench/mips.sh runs it beside QEMU.
 * <p>
 * Usage: {@code MipsBenchmark GUEST PASSES BACKENDS ROUNDS SECONDS}. Each round is a fresh VM in
 * the same JVM: round 1 is cold (the JIT compiles the interpreter while it runs), later rounds are
 * warm. One line per round: {@code BENCH backend=... round=N seconds=... insns=... mips=... status=... output=...};
 * insns is -1 where the backend cannot count (KVM); for KVM rows ref_insns is the interpreter's
 * count for the same guest and passes (the guest is deterministic: no interrupts, no timing).
 */
public final class MipsBenchmark {
    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: MipsBenchmark GUEST PASSES BACKENDS ROUNDS SECONDS");
            System.exit(2);
        }
        String guest = args[0];
        long passes = Long.parseLong(args[1]);
        List<String> backends = List.of(args[2].split(","));
        int rounds = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        try (Hypervisor hv = Hypervisor.create()) {
            for (String backend : backends) {
                String why = hv.getBackends().get(backend);
                if (why != null) {
                    System.out.printf("BENCH backend=%s skipped=%s%n", backend, why.replace(' ', '_'));
                    continue;
                }
                for (int round = 1; round <= rounds; round++) {
                    BufferCharBackend console = new BufferCharBackend();
                    Vm vm = hv.createVm(Map.of("memory", "8M", "backend", backend, "console", console));
                    vm.boot(guest, Map.of("append", "passes=" + passes));
                    Thread watchdog = Thread.ofVirtual().start(() -> {
                        try {
                            Thread.sleep(seconds * 1000);
                            vm.stop();
                        } catch (InterruptedException ignored) {
                            // the run ended first
                        }
                    });
                    long t0 = System.nanoTime();
                    RunResult r = vm.run();
                    double s = (System.nanoTime() - t0) / 1e9;
                    watchdog.interrupt();
                    long insns = backend.equals("kvm") ? -1 : vm.getVcpu().getInstructions();
                    String out = console.output().strip().replace(' ', ',');
                    hv.destroy(vm);
                    long ref = insns >= 0 ? insns : referenceCount(hv, guest, passes);
                    System.out.printf(Locale.ROOT, "BENCH backend=%s round=%d seconds=%.3f insns=%d ref_insns=%d mips=%s status=%s output=%s%n",
                            backend, round, s, insns, ref, String.format(Locale.ROOT, "%.1f", ref / s / 1e6),
                            r.isShutdown() ? String.valueOf(r.status()) : r.reason().name(), out.isEmpty() ? "-" : out);
                    if (!r.isShutdown()) break;
                }
            }
        }
        System.exit(0);
    }

    /** The guest's instruction count for these passes, counted on the interpreter. */
    private static long referenceCount(Hypervisor hv, String guest, long passes) {
        Vm vm = hv.createVm(Map.of("memory", "8M", "backend", "interp", "console", new BufferCharBackend()));
        vm.boot(guest, Map.of("append", "passes=" + passes));
        RunResult r = vm.run();
        long n = r.isShutdown() ? vm.getVcpu().getInstructions() : -1;
        hv.destroy(vm);
        return n;
    }
}
