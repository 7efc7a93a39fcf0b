package dev.trapdoor.experiment;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The runs of a sweep, in sweep order, as a table: a column per parameter, per result key, and
 * run/repeat/time_ms/status/failure. Aggregates skip cells that are not numbers (failed runs have
 * none), so {@code mean("y")} is the mean over the runs that produced a y.
 */
public final class Results {
    private final List<String> parameters;
    private final List<Run> runs;
    private final List<String> columns;

    Results(List<String> parameters, List<Run> runs) {
        this(parameters, runs, List.of());
    }

    /** A subset keeps its parent's columns, so a group whose runs all failed still has a "y" column (all empty). */
    private Results(List<String> parameters, List<Run> runs, List<String> inherited) {
        this.parameters = List.copyOf(parameters);
        this.runs = List.copyOf(runs);
        Set<String> results = new LinkedHashSet<>();
        for (String c : inherited) {
            if (!Run.isFixedColumn(c) && !this.parameters.contains(c)) results.add(c);
        }
        for (Run r : this.runs) results.addAll(r.result().keySet());
        List<String> cols = new ArrayList<>();
        cols.add(Run.RUN);
        cols.add(Run.REPEAT);
        cols.addAll(this.parameters);
        cols.addAll(results);
        cols.add(Run.TIME_MS);
        cols.add(Run.STATUS);
        cols.add(Run.ERROR);
        columns = List.copyOf(cols);
    }

    public int size() { return runs.size(); }
    public List<Run> runs() { return runs; }
    public Run get(int i) { return runs.get(i); }
    public List<String> parameterNames() { return parameters; }
    public List<String> columns() { return columns; }

    /** The runs that returned a result. */
    public Results ok() { return where(Run::ok); }

    /** The runs that threw or were cancelled. */
    public Results failures() { return where(r -> !r.ok()); }

    public Results where(Predicate<Run> keep) {
        List<Run> kept = new ArrayList<>();
        for (Run r : runs) if (keep.test(r)) kept.add(r);
        return new Results(parameters, kept, columns);
    }

    /** One column's cells, in run order (null where a run has no such value). */
    public List<Object> column(String name) {
        requireColumn(name);
        List<Object> out = new ArrayList<>(runs.size());
        for (Run r : runs) out.add(r.get(name));
        return out;
    }

    /** The column's numeric cells as doubles (others skipped). */
    public double[] numbers(String name) {
        requireColumn(name);
        double[] v = new double[runs.size()];
        int n = 0;
        for (Run r : runs) {
            if (r.get(name) instanceof Number x) v[n++] = x.doubleValue();
        }
        return java.util.Arrays.copyOf(v, n);
    }

    public double mean(String name) {
        double[] v = numbers(name);
        if (v.length == 0) return Double.NaN;
        double sum = 0;
        for (double x : v) sum += x;
        return sum / v.length;
    }

    public double min(String name) {
        double[] v = numbers(name);
        if (v.length == 0) return Double.NaN;
        double m = Double.POSITIVE_INFINITY;
        for (double x : v) m = Math.min(m, x);
        return m;
    }

    public double max(String name) {
        double[] v = numbers(name);
        if (v.length == 0) return Double.NaN;
        double m = Double.NEGATIVE_INFINITY;
        for (double x : v) m = Math.max(m, x);
        return m;
    }

    public double sum(String name) {
        double s = 0;
        for (double x : numbers(name)) s += x;
        return s;
    }

    /** Sample standard deviation (n - 1), NaN for fewer than two values. */
    public double stddev(String name) {
        double[] v = numbers(name);
        if (v.length < 2) return Double.NaN;
        double mean = mean(name);
        double ss = 0;
        for (double x : v) ss += (x - mean) * (x - mean);
        return Math.sqrt(ss / (v.length - 1));
    }

    /**
     * The runs split by the values of one or more columns, groups in order of first appearance.
     * With one column the key is its value; with several it is the list of values.
     */
    public Map<Object, Results> groupBy(String... names) {
        if (names.length == 0) throw new IllegalArgumentException("groupBy needs at least one column");
        for (String n : names) requireColumn(n);
        Map<Object, List<Run>> groups = new LinkedHashMap<>();
        for (Run r : runs) {
            Object key;
            if (names.length == 1) {
                key = r.get(names[0]);
            } else {
                List<Object> k = new ArrayList<>(names.length);
                for (String n : names) k.add(r.get(n));
                key = Collections.unmodifiableList(k);
            }
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(r);
        }
        Map<Object, Results> out = new LinkedHashMap<>();
        groups.forEach((k, v) -> out.put(k, new Results(parameters, v, columns)));
        return out;
    }

    /** Each run as a map from column name to cell, in column order. */
    public List<Map<String, Object>> rows() {
        List<Map<String, Object>> out = new ArrayList<>(runs.size());
        for (Run r : runs) {
            Map<String, Object> m = new LinkedHashMap<>();
            for (String c : columns) m.put(c, r.get(c));
            out.add(m);
        }
        return out;
    }

    public String toCsv() {
        List<List<Object>> rows = new ArrayList<>(runs.size());
        for (Map<String, Object> m : rows()) rows.add(new ArrayList<>(m.values()));
        return Csv.write(columns, rows);
    }

    /** {"parameters": [...], "columns": [...], "runs": N, "failed": F, "rows": [{column: cell, ...}, ...]} */
    public String toJson() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("parameters", parameters);
        doc.put("columns", columns);
        doc.put("runs", runs.size());
        doc.put("failed", failures().size());
        doc.put("rows", rows());
        return Json.write(doc);
    }

    /** Writes {@link #toCsv()} (UTF-8), creating parent directories; returns the path. */
    public Path writeCsv(Object path) {
        return write(path, toCsv());
    }

    /** Writes {@link #toJson()} (UTF-8), creating parent directories; returns the path. */
    public Path writeJson(Object path) {
        return write(path, toJson() + "\n");
    }

    static Path write(Object where, String text) {
        Path p = OutputPath.of(where);
        try {
            Files.writeString(OutputPath.withParents(p), text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
        return p;
    }

    private void requireColumn(String name) {
        if (!columns.contains(name)) throw new IllegalArgumentException("no column " + name + " (have " + columns + ")");
    }

    @Override
    public String toString() {
        int failed = failures().size();
        return runs.size() + " runs" + (failed > 0 ? ", " + failed + " failed" : "") + ", columns " + columns;
    }
}
