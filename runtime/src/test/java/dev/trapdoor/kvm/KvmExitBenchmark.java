package dev.trapdoor.kvm;

import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

/**
 * Exits per second through the whole KVM path (KVM_RUN, exit translation, instruction location)
 * for a real-mode guest looping {@code out 0x80, al}. Not a test: run it with
 * {@code java --enable-native-access=ALL-UNNAMED -cp ... dev.trapdoor.kvm.KvmExitBenchmark [seconds]}.
 */
public final class KvmExitBenchmark {
    public static void main(String[] args) {
        String why = KvmBackend.availability();
        if (why != null) {
            System.out.println("KVM unavailable: " + why);
            return;
        }
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        try (KvmGuest g = new KvmGuest().realMode(
                0xe6, 0x80,     // 1000 out 0x80, al
                0xeb, 0xfc)) {  // 1002 jmp 1000
            measure(g, 0.5);    // warm-up: JIT the exit path
            long exits = measure(g, seconds);
            System.out.printf("%s: %d exits in %.1f s = %.0f exits/s%s%n", g.backend.name(), exits, seconds, exits / seconds,
                    KvmBackend.isSoftwareKvm() ? " (" + KvmBackend.softwareKvmNote() + ")" : "");
        }
    }

    private static long measure(KvmGuest g, double seconds) {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        long exits = 0;
        ExitInfo e = g.exit;
        while (System.nanoTime() < end) {
            g.vcpu.run(e);
            if (e.reason != ExitReason.IO_INSTRUCTION || e.port != 0x80)
                throw new IllegalStateException("unexpected exit " + e.reason + " " + e.message);
            exits++;
        }
        return exits;
    }
}
