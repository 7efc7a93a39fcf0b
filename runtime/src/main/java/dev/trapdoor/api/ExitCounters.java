package dev.trapdoor.api;

import dev.trapdoor.vmx.ExitReason;

import java.util.LinkedHashMap;
import java.util.Map;

/** Exits counted per reason. */
public final class ExitCounters {
    private static final ExitReason[] REASONS = ExitReason.values();
    private final long[] counts = new long[REASONS.length];

    void count(ExitReason r) {
        counts[r.ordinal()]++;
    }

    public long get(Object reason) {
        return counts[Reasons.resolve(reason).ordinal()];
    }

    public long total() {
        long t = 0;
        for (long c : counts) t += c;
        return t;
    }

    public void reset() {
        java.util.Arrays.fill(counts, 0);
    }

    /** Reason name to count, only reasons seen, in SDM order. */
    public Map<String, Long> toMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (ExitReason r : REASONS) if (counts[r.ordinal()] != 0) m.put(r.name(), counts[r.ordinal()]);
        return m;
    }

    /** A small table for the terminal. */
    public String table() {
        StringBuilder b = new StringBuilder(String.format("%-28s %4s %12s%n", "exit reason", "nr", "count"));
        for (ExitReason r : REASONS) {
            long c = counts[r.ordinal()];
            if (c != 0) b.append(String.format("%-28s %4s %12d%n", r.name(), r.isVmx() ? String.valueOf(r.number()) : "-", c));
        }
        b.append(String.format("%-28s %4s %12d", "total", "", total()));
        return b.toString();
    }

    @Override
    public String toString() {
        return table();
    }
}
