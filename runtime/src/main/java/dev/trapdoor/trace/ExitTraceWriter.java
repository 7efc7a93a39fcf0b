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
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Writes exits as JSON Lines: a header object, then one object per exit (docs/trace-format.md).
 * Address-like fields (qualification, rip, gpa, gla, value) are hex strings so no reader loses
 * bits to doubles; counts and small numbers are JSON numbers. Safe to call from several vCPU
 * threads; lines are whole.
 */
public final class ExitTraceWriter implements Closeable {
    public static final String FORMAT = "trapdoor-exit-trace";
    public static final int VERSION = 1;

    private final Writer out;
    private final StringBuilder line = new StringBuilder(256);
    private long written;
    private boolean closed;

    /** Writes to a file (parent directories made as needed), replacing it. */
    public static ExitTraceWriter open(Object path) {
        Path p = OutputPath.withParents(OutputPath.of(path));
        try {
            return new ExitTraceWriter(Files.newBufferedWriter(p, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
    }

    public ExitTraceWriter(Writer out) {
        this.out = out instanceof BufferedWriter ? out : new BufferedWriter(out);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("format", FORMAT);
        header.put("version", VERSION);
        emit(header);
    }

    public synchronized void write(ExitRecord r) {
        if (closed) throw new IllegalStateException("trace writer is closed");
        emit(toMap(r));
        written++;
    }

    /** Exits written so far. */
    public synchronized long count() { return written; }

    private void emit(Map<String, Object> m) {
        line.setLength(0);
        Json.write(line, m);
        line.append('\n');
        try {
            out.append(line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The object written for one exit; fields that do not apply to its reason are left out. */
    static Map<String, Object> toMap(ExitRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seq", r.seq());
        m.put("vcpu", r.vcpu());
        m.put("reason", r.reason());
        m.put("number", r.number());
        m.put("qual", hex(r.qualification()));
        m.put("rip", hex(r.rip()));
        m.put("len", r.instructionLength());
        if (r.hasTime()) m.put("vt_ns", r.virtualTimeNanos());
        if (r.isIo()) {
            m.put("port", r.port());
            m.put("size", r.size());
            m.put("dir", r.in() ? "in" : "out");
            m.put("count", r.count());
            m.put("value", hex(r.value()));
        } else if (r.isEpt()) {
            m.put("gpa", hex(r.gpa()));
            m.put("gla", hex(r.gla()));
            if (r.size() > 0) {
                m.put("size", r.size());
                m.put("access", r.in() ? "read" : "write");
                m.put("value", hex(r.value()));
            }
        }
        if (r.vector() >= 0) m.put("vector", r.vector());
        if (r.errorCode() >= 0) m.put("error", r.errorCode());
        if (!r.message().isEmpty()) m.put("message", r.message());
        return m;
    }

    static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    public synchronized void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
