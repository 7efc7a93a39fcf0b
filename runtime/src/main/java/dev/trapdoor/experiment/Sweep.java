package dev.trapdoor.experiment;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.UndeclaredThrowableException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A parameter sweep: a function run at every point of a grid (or of a given list of points),
 * each point possibly several times, on several threads. Results come back in sweep order
 * whatever order the runs finished in; a run that throws is recorded as failed with its message
 * and the others go on.
 *
 * <pre>{@code
 * Results r = Sweep.over(Map.of("n", List.of(10, 100, 1000)))
 *         .repeat(3)
 *         .run(p -> Map.of("steps", simulate(p.getInt("n"))));
 * }</pre>
 *
 * <p>Grid order is that of nested loops over the parameters in the map's order, the last
 * parameter varying fastest; the repetitions of a point are adjacent.
 *
 * <p>With parallelism 1 the runs happen on the calling thread. A JavaScript function always runs
 * there: its context may not be entered by two threads at once.
 */
public final class Sweep {
    /** A grid past this many points is almost certainly a mistake in the parameter lists. */
    static final int MAX_RUNS = 10_000_000;

    private final List<String> names;
    private final List<Map<String, Object>> points;
    private int repeat = 1;
    private int parallelism = Runtime.getRuntime().availableProcessors();
    private Progress progress;
    private String label = "sweep";

    private Sweep(List<String> names, List<Map<String, Object>> points) {
        this.names = List.copyOf(names);
        this.points = points;
    }

    /**
     * The cartesian product of the parameters' values. A value that is not a collection or array
     * is a parameter with that one value.
     */
    public static Sweep over(Map<String, ?> parameters) {
        if (parameters.isEmpty()) throw new IllegalArgumentException("a sweep needs at least one parameter");
        List<String> names = new ArrayList<>();
        List<List<Object>> values = new ArrayList<>();
        long size = 1;
        for (Map.Entry<String, ?> e : parameters.entrySet()) {
            String name = String.valueOf(e.getKey());
            List<Object> vs = asList(e.getValue());
            if (vs.isEmpty()) throw new IllegalArgumentException("parameter " + name + " has no values");
            names.add(name);
            values.add(vs);
            size *= vs.size();
            if (size > MAX_RUNS) throw new IllegalArgumentException("the grid has more than " + MAX_RUNS + " points");
        }
        List<Map<String, Object>> points = new ArrayList<>((int) size);
        int[] at = new int[names.size()];
        for (int p = 0; p < size; p++) {
            Map<String, Object> point = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) point.put(names.get(i), values.get(i).get(at[i]));
            points.add(point);
            for (int i = names.size() - 1; i >= 0; i--) {   // odometer: the last parameter turns fastest
                if (++at[i] < values.get(i).size()) break;
                at[i] = 0;
            }
        }
        return new Sweep(names, points);
    }

    /** Exactly these points, in this order. Parameters missing from a point are absent (null) in its row. */
    public static Sweep points(List<? extends Map<String, ?>> points) {
        if (points.isEmpty()) throw new IllegalArgumentException("a sweep needs at least one point");
        if (points.size() > MAX_RUNS) throw new IllegalArgumentException("more than " + MAX_RUNS + " points");
        Set<String> names = new LinkedHashSet<>();
        List<Map<String, Object>> copy = new ArrayList<>(points.size());
        for (Map<String, ?> p : points) {
            Map<String, Object> m = new LinkedHashMap<>();
            Objects.requireNonNull(p, "a point is null").forEach((k, v) -> m.put(String.valueOf(k), v));
            names.addAll(m.keySet());
            copy.add(m);
        }
        return new Sweep(new ArrayList<>(names), copy);
    }

    private static List<Object> asList(Object v) {
        if (v instanceof Collection<?> c) return new ArrayList<>(c);
        if (v instanceof Iterable<?> it) {
            List<Object> l = new ArrayList<>();
            for (Object o : it) {
                l.add(o);
                if (l.size() > MAX_RUNS) throw new IllegalArgumentException("a parameter has more than " + MAX_RUNS + " values");
            }
            return l;
        }
        if (v != null && v.getClass().isArray()) {
            int n = java.lang.reflect.Array.getLength(v);
            List<Object> l = new ArrayList<>(n);
            for (int i = 0; i < n; i++) l.add(java.lang.reflect.Array.get(v, i));
            return l;
        }
        return java.util.Collections.singletonList(v);
    }

    /** Runs every point n times (n >= 1). */
    public Sweep repeat(int n) {
        if (n < 1) throw new IllegalArgumentException("repeat must be at least 1, not " + n);
        if ((long) n * points.size() > MAX_RUNS) throw new IllegalArgumentException("more than " + MAX_RUNS + " runs");
        repeat = n;
        return this;
    }

    /** How many runs go at once (default: the machine's processors). */
    public Sweep parallelism(int k) {
        if (k < 1) throw new IllegalArgumentException("parallelism must be at least 1, not " + k);
        parallelism = k;
        return this;
    }

    /** Where progress goes (default: {@link Progress#terminal()}). */
    public Sweep progress(Progress p) {
        progress = Objects.requireNonNull(p);
        return this;
    }

    /** The name the progress display shows. */
    public Sweep label(String name) {
        label = Objects.requireNonNull(name);
        return this;
    }

    public List<String> parameterNames() { return names; }

    /** The distinct points, before repetition. */
    public List<Map<String, Object>> points() { return java.util.Collections.unmodifiableList(points); }

    /** Number of runs: points times repetitions. */
    public int size() { return points.size() * repeat; }

    /**
     * Runs the sweep and waits for it. If the calling thread is interrupted, runs not yet started
     * are recorded as CANCELLED, the interrupt flag is set again, and the partial results return.
     */
    public Results run(RunFunction f) {
        Objects.requireNonNull(f, "run function");
        int total = size();
        Progress p = progress != null ? progress : Progress.terminal();
        var state = new State(total);
        p.start(label, total);
        int threads = confinedToCaller(f) ? 1 : Math.min(parallelism, total);
        if (threads == 1) {
            for (int i = 0; i < total; i++) {
                if (Thread.currentThread().isInterrupted()) break;
                state.finish(i, runOne(f, i), p);
            }
        } else {
            runParallel(f, threads, state, p);
        }
        List<Run> runs = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            Run r = state.runs.get(i);
            runs.add(r != null ? r : new Run(i, i % repeat, point(i), Map.of(), Run.Status.CANCELLED, "cancelled", 0, null));
        }
        p.finish(state.done.get(), state.failed.get());
        return new Results(names, runs);
    }

    /**
     * A JavaScript function (GraalJS) belongs to a context that only one thread may enter at a
     * time, and the caller is inside it while the sweep runs: such a function runs on the caller's
     * thread whatever the parallelism. Recognised by the polyglot host's adapter or proxy classes.
     */
    static boolean confinedToCaller(RunFunction f) {
        Class<?> c = f.getClass();
        if (isPolyglot(c.getName())) return true;
        return java.lang.reflect.Proxy.isProxyClass(c) && isPolyglot(java.lang.reflect.Proxy.getInvocationHandler(f).getClass().getName());
    }

    private static boolean isPolyglot(String className) {
        return className.startsWith("com.oracle.truffle.") || className.startsWith("org.graalvm.");
    }

    private void runParallel(RunFunction f, int threads, State state, Progress p) {
        AtomicInteger next = new AtomicInteger();
        List<Thread> workers = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name(label + "-" + t).daemon(true).start(() -> {
                int i;
                while (!state.cancelled && (i = next.getAndIncrement()) < state.total) {
                    state.finish(i, runOne(f, i), p);
                }
            }));
        }
        try {
            for (Thread w : workers) w.join();
        } catch (InterruptedException e) {
            state.cancelled = true;
            for (Thread w : workers) w.interrupt();
            // Give running points a moment to notice; one that ignores interrupts is left behind.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            for (Thread w : workers) {
                try {
                    w.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException again) {
                    break;
                }
            }
            Thread.currentThread().interrupt();
        }
    }

    private Point point(int i) {
        return new Point(points.get(i / repeat), i, i % repeat);
    }

    private Run runOne(RunFunction f, int i) {
        Point point = point(i);
        long t0 = System.nanoTime();
        try {
            Map<String, ?> answer = f.run(point);
            long nanos = System.nanoTime() - t0;
            Map<String, Object> result = new LinkedHashMap<>();
            if (answer != null) {
                for (Map.Entry<String, ?> e : answer.entrySet()) {
                    String key = String.valueOf(e.getKey());
                    if (names.contains(key) || Run.isFixedColumn(key)) {
                        String why = "result key '" + key + "' is also " + (Run.isFixedColumn(key) ? "a built-in column" : "a parameter")
                                + ": rename it";
                        return new Run(i, point.repetition(), point, Map.of(), Run.Status.FAILED, why, nanos, null);
                    }
                    result.put(key, e.getValue());
                }
            }
            return new Run(i, point.repetition(), point, java.util.Collections.unmodifiableMap(result), Run.Status.OK, null, nanos, null);
        } catch (Exception | AssertionError | StackOverflowError | LinkageError e) {
            Throwable cause = unwrap(e);
            long nanos = System.nanoTime() - t0;
            if (cause instanceof InterruptedException) {
                Thread.currentThread().interrupt();   // catching it cleared the flag the sweep loop checks
                return new Run(i, point.repetition(), point, Map.of(), Run.Status.CANCELLED, "interrupted", nanos, cause);
            }
            return new Run(i, point.repetition(), point, Map.of(), Run.Status.FAILED, message(cause), nanos, cause);
        }
    }

    /** Reflection and Groovy's closure calls wrap what the script threw; report the script's exception. */
    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        for (int depth = 0; depth < 8 && t.getCause() != null; depth++) {
            boolean wrapper = t instanceof InvocationTargetException || t instanceof UndeclaredThrowableException
                    || t.getClass().getName().equals("org.codehaus.groovy.runtime.InvokerInvocationException");
            if (!wrapper) break;
            t = t.getCause();
        }
        return t;
    }

    static String message(Throwable t) {
        String m = t.getMessage();
        String type = t.getClass().getSimpleName();
        return m == null || m.isBlank() ? type : type + ": " + m;
    }

    private static final class State {
        final int total;
        final AtomicReferenceArray<Run> runs;
        final AtomicInteger done = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        volatile boolean cancelled;

        State(int total) {
            this.total = total;
            runs = new AtomicReferenceArray<>(total);
        }

        void finish(int i, Run r, Progress p) {
            runs.set(i, r);
            int f = r.status() == Run.Status.FAILED ? failed.incrementAndGet() : failed.get();
            p.update(done.incrementAndGet(), f);
        }
    }
}
