package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

import java.util.LinkedHashMap;
import java.util.Map;

/** Exits counted per reason, with the modelled cycles of their round trips ({@link ExitCostModel}). */
public final class ExitCounters {
    private static final ExitReason[] REASONS = ExitReason.values();
    private final long[] counts = new long[REASONS.length];
    private final long[] cycles = new long[REASONS.length];

    void count(ExitReason r) {
        counts[r.ordinal()]++;
    }

    void count(ExitReason r, long roundTripCycles) {
        counts[r.ordinal()]++;
        cycles[r.ordinal()] += roundTripCycles;
    }

    public long get(Object reason) {
        return counts[Reasons.resolve(reason).ordinal()];
    }

    /** Cycles spent in exits and entries for this reason. */
    public long cycles(Object reason) {
        return cycles[Reasons.resolve(reason).ordinal()];
    }

    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    public long totalCycles() {
        long t = 0;
        for (long c : cycles) t += c;
        return t;
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
        java.util.Arrays.fill(cycles, 0);
    }

    /** Reason name to count, only reasons seen, in SDM order. */
    public Map<String, Long> toMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (ExitReason r : REASONS) if (counts[r.ordinal()] != 0) m.put(r.name(), counts[r.ordinal()]);
        return m;
    }

    /** Reason name to transition cycles, only reasons seen, in SDM order. */
    public Map<String, Long> cyclesMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (ExitReason r : REASONS) if (counts[r.ordinal()] != 0) m.put(r.name(), cycles[r.ordinal()]);
        return m;
    }

    /** A small table for the terminal: count, cycles and cycles per exit. */
    public String table() {
        StringBuilder b = new StringBuilder(String.format("%-28s %4s %12s %14s %9s%n", "exit reason", "nr", "count", "cycles", "cyc/exit"));
        for (ExitReason r : REASONS) {
            long c = counts[r.ordinal()];
            if (c != 0) b.append(row(r.name(), r.isVmx() ? String.valueOf(r.number()) : "-", c, cycles[r.ordinal()]));
        }
        b.append(row("total", "", total(), totalCycles()).stripTrailing());
        return b.toString();
    }

    private static String row(String name, String nr, long count, long cyc) {
        return String.format("%-28s %4s %12d %14d %9d%n", name, nr, count, cyc, count == 0 ? 0 : cyc / count);
    }

    @Override
    public String toString() {
        return table();
    }
}
