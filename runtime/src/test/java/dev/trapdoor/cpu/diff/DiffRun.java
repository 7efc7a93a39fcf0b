package dev.trapdoor.cpu.diff;

import dev.trapdoor.cpu.Disassembler;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates cases group by group, runs each batch natively and on the interpreter, and compares
 * the defined part of the outcomes: the eight GPRs, the arithmetic flags and DF, and the
 * scratch memory.
 */
final class DiffRun {
    static final int BATCH = 4000;
    private static final int SHOWN_PER_GROUP = 5;

    /** Per-group tallies and the first mismatches, as text. */
    static final class Stats {
        long cases, mismatches;
        final List<String> examples = new ArrayList<>();
    }

    final Map<String, Stats> groups = new LinkedHashMap<>();
    long nativeFailures;
    final List<String> problems = new ArrayList<>();

    /** Runs casesPerGroup cases of every group from seed. */
    void run(long seed, int casesPerGroup, String... only) throws IOException {
        String[] names = only.length > 0 ? only : CaseGen.GROUPS;
        CaseGen gen = new CaseGen(seed);
        List<TestCase> batch = new ArrayList<>();
        for (String g : names) groups.putIfAbsent(g, new Stats());
        for (int done = 0; done < casesPerGroup; ) {
            int n = Math.min(BATCH / names.length + 1, casesPerGroup - done);
            for (String g : names) for (int k = 0; k < n; k++) batch.add(gen.next(g));
            runBatch(batch);
            batch.clear();
            done += n;
        }
    }

    void runBatch(List<TestCase> cases) throws IOException {
        Harness.Image image = Harness.build(cases);
        NativeRunner.Result host = NativeRunner.run(image);
        Harness.Outcome[] emu = InterpRunner.run(image);
        if (host.exitCode() != 0 || host.outcomes().length != cases.size()) {
            nativeFailures++;
            int k = host.outcomes().length;
            problems.add("native run ended with status " + host.exitCode() + " after " + k + " of " + cases.size()
                    + " cases; next case: " + (k < cases.size() ? describe(cases.get(k)) : "-"));
        }
        for (int k = 0; k < host.outcomes().length; k++) {
            TestCase t = cases.get(k);
            Stats s = groups.computeIfAbsent(t.group, x -> new Stats());
            s.cases++;
            String diff = compare(t, host.outcomes()[k], emu[k]);
            if (diff != null) {
                s.mismatches++;
                if (s.examples.size() < SHOWN_PER_GROUP) s.examples.add(describe(t) + "\n      " + diff);
            }
        }
    }

    /** -Ddiff.strict=true also compares what the SDM leaves undefined (to see where the host's choices differ). */
    static final boolean STRICT = Boolean.getBoolean("diff.strict");

    static String compare(TestCase t, Harness.Outcome host, Harness.Outcome emu) {
        int flagMask = STRICT ? TestCase.COMPARED_FLAGS : t.flagMask, regMask = STRICT ? 0xff : t.regMask;
        if (emu == null) return "no interpreter outcome";
        if (emu.fault() >= 0) return "interpreter raised exception " + emu.fault();
        StringBuilder sb = new StringBuilder();
        String[] names = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (int r = 0; r < 8; r++) {
            if ((regMask & (1 << r)) != 0 && host.regs()[r] != emu.regs()[r]) {
                sb.append(String.format("%s host %08x interp %08x; ", names[r], host.regs()[r], emu.regs()[r]));
            }
        }
        int flags = (host.eflags() ^ emu.eflags()) & flagMask;
        if (flags != 0) {
            sb.append(String.format("flags differ in [%s] (host %s | interp %s); ", Flags.names(flags),
                    Flags.names(host.eflags() & flagMask), Flags.names(emu.eflags() & flagMask)));
        }
        if (!Arrays.equals(host.scratch(), emu.scratch())) {
            for (int i = 0; i < Harness.SCRATCH_SIZE; i++) {
                if (host.scratch()[i] != emu.scratch()[i]) {
                    sb.append(String.format("memory differs from %08x (host %02x interp %02x)", Harness.SCRATCH + i,
                            host.scratch()[i] & 0xff, emu.scratch()[i] & 0xff));
                    break;
                }
            }
        }
        if (t.x87) {
            String fpu = X87Outcome.compare(t, host.fpu(), emu.fpu(), STRICT);
            if (fpu != null) sb.append(fpu);
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    static String describe(TestCase t) {
        StringBuilder sb = new StringBuilder();
        sb.append('[').append(t.group).append("] ");
        sb.append(Disassembler.listing(t.code, 0, true).replaceAll("(?m)^[0-9a-f]+:\\t", "").trim().replace("\n", "; "));
        sb.append("  bytes");
        for (byte b : t.code) sb.append(String.format(" %02x", b & 0xff));
        sb.append(String.format("%n      in: eax=%08x ecx=%08x edx=%08x ebx=%08x ebp=%08x esi=%08x edi=%08x flags=%s%s",
                t.regs[0], t.regs[1], t.regs[2], t.regs[3], t.regs[5], t.regs[6], t.regs[7],
                Flags.names(t.eflags & TestCase.COMPARED_FLAGS), t.flagMask != TestCase.COMPARED_FLAGS
                        ? " (undefined: " + Flags.names(TestCase.COMPARED_FLAGS & ~t.flagMask) + ")" : ""));
        if (t.x87) sb.append(X87Outcome.describeInputs(t));
        return sb.toString();
    }

    long totalCases() {
        return groups.values().stream().mapToLong(s -> s.cases).sum();
    }

    long totalMismatches() {
        return groups.values().stream().mapToLong(s -> s.mismatches).sum();
    }

    String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("%-8s %10s %10s%n", "group", "cases", "mismatch"));
        for (Map.Entry<String, Stats> e : groups.entrySet()) {
            sb.append(String.format("%-8s %10d %10d%n", e.getKey(), e.getValue().cases, e.getValue().mismatches));
        }
        sb.append(String.format("%-8s %10d %10d%n", "total", totalCases(), totalMismatches()));
        for (Map.Entry<String, Stats> e : groups.entrySet()) {
            for (String x : e.getValue().examples) sb.append("  ").append(x).append('\n');
        }
        for (String p : problems) sb.append("  ").append(p).append('\n');
        if (X87Outcome.maxUlps.get() > 0)
            sb.append(String.format("x87 transcendentals: largest distance from the host %d ulps of the 64-bit significand (tolerance %d)%n",
                    X87Outcome.maxUlps.get(), X87Outcome.TRANSCENDENTAL_ULPS));
        return sb.toString();
    }
}
