package dev.trapdoor.experiment;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Counts events per fixed-width bucket of x (virtual time, exit sequence, ...), one count per
 * series: the data of a time-series plot. Buckets are [k*width, (k+1)*width) and are named by
 * their start. Thread-safe.
 */
public final class Buckets {
    /** Empty buckets between the first and last are filled with zeros unless there are more than this many. */
    static final long MAX_FILL = 1_000_000;

    private final double width;
    private final Map<String, TreeMap<Long, Double>> counts = new LinkedHashMap<>();

    public Buckets(double width) {
        if (!(width > 0) || Double.isInfinite(width)) throw new IllegalArgumentException("bucket width must be positive and finite, not " + width);
        this.width = width;
    }

    public double width() { return width; }

    /** Counts one event of the series at x. */
    public void add(String series, double x) {
        add(series, x, 1);
    }

    /** Adds an amount to the series' bucket holding x (non-finite x is ignored). */
    public synchronized void add(String series, double x, double amount) {
        if (!Double.isFinite(x)) return;
        long k = (long) Math.floor(x / width);
        counts.computeIfAbsent(series, s -> new TreeMap<>()).merge(k, amount, Double::sum);
    }

    /** Makes a series appear even if it gets no events (it plots as zeros). */
    public synchronized void declare(String series) {
        counts.computeIfAbsent(series, s -> new TreeMap<>());
    }

    /**
     * Each series as bucket start -> total, over the same range of buckets for every series so
     * the lines of a plot line up (zeros where a series had nothing).
     */
    public synchronized Map<String, SortedMap<Double, Double>> series() {
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        for (TreeMap<Long, Double> m : counts.values()) {
            if (m.isEmpty()) continue;
            lo = Math.min(lo, m.firstKey());
            hi = Math.max(hi, m.lastKey());
        }
        boolean fill = lo <= hi && hi - lo < MAX_FILL;
        Map<String, SortedMap<Double, Double>> out = new LinkedHashMap<>();
        for (Map.Entry<String, TreeMap<Long, Double>> e : counts.entrySet()) {
            SortedMap<Double, Double> s = new TreeMap<>();
            if (fill) {
                for (long k = lo; k <= hi; k++) s.put(k * width, e.getValue().getOrDefault(k, 0.0));
            } else {
                e.getValue().forEach((k, v) -> s.put(k * width, v));
            }
            out.put(e.getKey(), s);
        }
        return out;
    }

    /** The total over all buckets of one series (0 if unknown). */
    public synchronized double total(String series) {
        TreeMap<Long, Double> m = counts.get(series);
        if (m == null) return 0;
        double t = 0;
        for (double v : m.values()) t += v;
        return t;
    }
}
