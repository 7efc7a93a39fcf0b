package dev.trapdoor.trace;

import dev.trapdoor.experiment.Json;
import dev.trapdoor.experiment.OutputPath;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads an exit trace written by {@link ExitTraceWriter} back into records. A malformed line is an
 * error naming its line number; a file of a newer format version is refused.
 */
public final class ExitTraceReader {
    private ExitTraceReader() { }

    public static List<ExitRecord> read(Object path) {
        var p = OutputPath.of(path);
        try (Reader r = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
            return read(r);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    public static List<ExitRecord> read(Reader in) throws IOException {
        BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
        List<ExitRecord> out = new ArrayList<>();
        String line;
        int n = 0;
        boolean header = false;
        while ((line = r.readLine()) != null) {
            n++;
            if (line.isBlank()) continue;
            try {
                if (!(Json.parse(line) instanceof Map<?, ?> m)) throw new IllegalArgumentException("not a JSON object");
                if (!header) {
                    checkHeader(m);
                    header = true;
                    continue;
                }
                out.add(record(m));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("exit trace line " + n + ": " + e.getMessage(), e);
            }
        }
        if (!header) throw new IllegalArgumentException("exit trace: empty (no header line)");
        return out;
    }

    private static void checkHeader(Map<?, ?> m) {
        if (!ExitTraceWriter.FORMAT.equals(m.get("format"))) throw new IllegalArgumentException("not a " + ExitTraceWriter.FORMAT + " header");
        long v = integer(m, "version", -1);
        if (v < 1 || v > ExitTraceWriter.VERSION) throw new IllegalArgumentException("unsupported version " + m.get("version"));
    }

    static ExitRecord record(Map<?, ?> m) {
        Object reason = m.get("reason");
        if (!(reason instanceof String name)) throw new IllegalArgumentException("no reason");
        String access = m.get("access") instanceof String s ? s : null;
        String dir = m.get("dir") instanceof String s ? s : null;
        boolean in = "in".equals(dir) || "read".equals(access);
        return new ExitRecord(integer(m, "seq", null), (int) integer(m, "vcpu", null), name, (int) integer(m, "number", null),
                hex(m, "qual", 0), hex(m, "rip", 0), (int) integer(m, "len", 0L), integer(m, "vt_ns", ExitRecord.NO_TIME),
                (int) integer(m, "port", 0L), (int) integer(m, "size", 0L), in, hex(m, "value", 0),
                (int) integer(m, "count", 1L), hex(m, "gpa", 0), hex(m, "gla", 0), (int) integer(m, "vector", -1L),
                (int) integer(m, "error", -1L), m.get("message") instanceof String s ? s : "");
    }

    private static long integer(Map<?, ?> m, String key, Long absent) {
        Object v = m.get(key);
        if (v == null) {
            if (absent == null) throw new IllegalArgumentException("missing " + key);
            return absent;
        }
        if (v instanceof Long l) return l;
        throw new IllegalArgumentException(key + " is not an integer: " + v);
    }

    private static long integer(Map<?, ?> m, String key, long absent) {
        return integer(m, key, Long.valueOf(absent));
    }

    private static long hex(Map<?, ?> m, String key, long absent) {
        Object v = m.get(key);
        if (v == null) return absent;
        if (v instanceof String s && s.startsWith("0x") && s.length() > 2 && s.length() <= 18) {
            try {
                return Long.parseUnsignedLong(s.substring(2), 16);
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException(key + " is not a 0x hex string: " + v);
    }
}
