package dev.trapdoor.cpu.diff;

/**
 * The large differential run: {@code DiffMain [casesPerGroup] [seed] [group...]}, the report on
 * stdout (scripts/cpu/difftest.sh runs it). Exit status 1 if anything differed.
 */
public final class DiffMain {
    private DiffMain() {}

    public static void main(String[] args) throws Exception {
        int perGroup = args.length > 0 ? Integer.parseInt(args[0]) : 80_000;
        long seed = args.length > 1 ? Long.decode(args[1]) : 1;
        String[] only = args.length > 2 ? java.util.Arrays.copyOfRange(args, 2, args.length) : new String[0];
        if (!NativeRunner.available()) {
            System.out.println("this host cannot run static i386 ELF executables: nothing to compare against");
            return;
        }
        long t0 = System.nanoTime();
        DiffRun run = new DiffRun();
        run.run(seed, perGroup, only);
        System.out.print(run.report());
        System.out.printf("%.1f s%n", (System.nanoTime() - t0) / 1e9);
        if (run.totalMismatches() > 0 || run.nativeFailures > 0) System.exit(1);
    }
}
