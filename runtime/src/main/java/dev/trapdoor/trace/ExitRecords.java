package dev.trapdoor.trace;

import dev.trapdoor.experiment.Buckets;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Summaries of an exit stream in the shapes {@link dev.trapdoor.experiment.Plots} draws. */
public final class ExitRecords {
    private ExitRecords() { }

    /** Exit reason -> count, most frequent first (ties by reason name). */
    public static Map<String, Long> histogram(Iterable<ExitRecord> records) {
        Map<String, Long> counts = new HashMap<>();
        for (ExitRecord r : records) counts.merge(r.reason(), 1L, Long::sum);
        List<Map.Entry<String, Long>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : sorted) out.put(e.getKey(), e.getValue());
        return out;
    }

    /**
     * Exits per bucket of virtual time, one series per reason; x is in microseconds. Records
     * without a virtual time are counted by sequence number instead (x = seq), as in
     * {@link ChromeTraceWriter}.
     */
    public static Buckets timeline(Iterable<ExitRecord> records, double bucketMicros) {
        Buckets b = new Buckets(bucketMicros);
        for (ExitRecord r : records) b.add(r.reason(), r.hasTime() ? r.virtualTimeNanos() / 1000.0 : r.seq());
        return b;
    }
}
