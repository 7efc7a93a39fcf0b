package dev.trapdoor.bench;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Exits per second through the whole runtime (backend, Exit value, dispatch, the default handler,
 * the POST port device) on every backend usable here, side by side, on the outloop guest. A
 * benchmark, not a test: run it with examples/bench/exit-rate.sh.
 */
public final class ExitRateBenchmark {
    public static void main(String[] args) throws Exception {
        Path guest = Path.of(args.length > 0 ? args[0] : "examples/bench/outloop.bin");
        long n = args.length > 1 ? Long.parseLong(args[1]) : 300_000;
        byte[] image = Files.readAllBytes(guest);
        try (Hypervisor hv = Hypervisor.create()) {
            System.out.printf("%-8s %12s %10s %14s%n", "backend", "exits", "seconds", "exits/s");
            for (String backend : args.length > 2 ? List.of(args[2].split(",")) : List.of("interp", "kvm")) {
                String why = hv.getBackends().get(backend);
                if (why != null) {
                    System.out.printf("%-8s skipped: %s%n", backend, why);
                    continue;
                }
                for (int round = 0; round < 3; round++) {
                    Vm vm = hv.newVm().backend(backend).memory("64K").build();
                    vm.load(image, 0x1000);
                    vm.getMem().poke32(0x1ffc, n);
                    vm.getVcpu().resetRealMode(0, 0x1000);
                    long t0 = System.nanoTime();
                    RunResult r = vm.run();
                    double s = (System.nanoTime() - t0) / 1e9;
                    long exits = vm.getExits().total();
                    if (!r.isShutdown()) throw new IllegalStateException(backend + ": " + r);
                    if (round == 2) // the first rounds warm the JIT
                        System.out.printf("%-8s %12d %10.3f %14.0f%n", backend, exits, s, exits / s);
                    hv.destroy(vm);
                }
            }
        }
    }
}
