package dev.trapdoor.trace;

import dev.trapdoor.experiment.Json;
import dev.trapdoor.experiment.OutputPath;

import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes exits in the Trace Event Format that chrome://tracing and ui.perfetto.dev load: a JSON
 * object whose "traceEvents" array holds, per vCPU track (pid = 1, tid = vCPU index):
 * <ul>
 * <li>metadata events ("ph":"M") naming the process (the VM) and each vCPU's thread;</li>
 * <li>a complete event ("ph":"X", name "guest") for each stretch the vCPU ran between exits;</li>
 * <li>an instant event ("ph":"i", thread scope) per exit, named by reason, with the exit's fields as args.</li>
 * </ul>
 * Times are virtual: "ts" and "dur" are microseconds of guest virtual time (fractions keep the
 * nanoseconds). Records without a virtual time fall back to their exit sequence number as the
 * clock (one exit = 1 us), which keeps the order visible. Each vCPU's first run starts at 0.
 *
 * <p>Events are written as they come and the file is valid JSON once {@link #close()} has run.
 */
public final class ChromeTraceWriter implements Closeable {
    static final int PID = 1;

    private final Writer out;
    private final StringBuilder event = new StringBuilder(256);
    private final Map<Integer, Long> lastExitNanos = new HashMap<>();
    private boolean first = true;
    private boolean closed;

    /** Writes to a file (parent directories made as needed), replacing it. */
    public static ChromeTraceWriter open(Object path, String processName) {
        Path p = OutputPath.withParents(OutputPath.of(path));
        try {
            return new ChromeTraceWriter(Files.newBufferedWriter(p, StandardCharsets.UTF_8), processName);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
    }

    public ChromeTraceWriter(Writer out, String processName) {
        this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out);
        raw("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n");
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("name", processName);
        emit(metadata("process_name", 0, args));
    }

    /** Adds one exit: the run that led to it (if it took any time) and the exit itself. */
    public synchronized void write(ExitRecord r) {
        if (closed) throw new IllegalStateException("trace writer is closed");
        Long last = lastExitNanos.get(r.vcpu());
        if (last == null) {
            nameTrack(r.vcpu());
            last = 0L;
        }
        long now = r.hasTime() ? r.virtualTimeNanos() : r.seq() * 1000;
        if (now > last) {
            Map<String, Object> run = event("guest", "run", "X", r.vcpu(), last);
            run.put("dur", micros(now - last));
            Map<String, Object> args = new LinkedHashMap<>();
            args.put("until", r.reason());
            run.put("args", args);
            emit(run);
        }
        Map<String, Object> exit = event(r.reason(), "exit", "i", r.vcpu(), now);
        exit.put("s", "t");
        Map<String, Object> args = ExitTraceWriter.toMap(r);
        args.remove("reason");
        args.remove("vcpu");
        exit.put("args", args);
        emit(exit);
        lastExitNanos.put(r.vcpu(), Math.max(now, last));
    }

    private void nameTrack(int vcpu) {
        Map<String, Object> name = new LinkedHashMap<>();
        name.put("name", "vCPU " + vcpu);
        emit(metadata("thread_name", vcpu, name));
        Map<String, Object> sort = new LinkedHashMap<>();
        sort.put("sort_index", vcpu);
        emit(metadata("thread_sort_index", vcpu, sort));
    }

    private static Map<String, Object> metadata(String name, int tid, Map<String, Object> args) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("ph", "M");
        m.put("pid", PID);
        m.put("tid", tid);
        m.put("args", args);
        return m;
    }

    private static Map<String, Object> event(String name, String cat, String ph, int tid, long nanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("cat", cat);
        m.put("ph", ph);
        m.put("pid", PID);
        m.put("tid", tid);
        m.put("ts", micros(nanos));
        return m;
    }

    /** Nanoseconds as microseconds, exact: whole values as integers, the rest with up to three decimals. */
    static Number micros(long nanos) {
        if (nanos % 1000 == 0) return nanos / 1000;
        return new java.math.BigDecimal(nanos).movePointLeft(3).stripTrailingZeros();
    }

    private void emit(Map<String, Object> m) {
        event.setLength(0);
        if (!first) event.append(",\n");
        first = false;
        Json.write(event, m);
        raw(event);
    }

    private void raw(CharSequence s) {
        try {
            out.append(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Ends the array and the object, and closes the file. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        raw("\n]}\n");
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
