package dev.trapdoor.trace;

import dev.trapdoor.experiment.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ChromeTraceWriterTest {
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> events(String json) {
        Map<String, Object> doc = (Map<String, Object>) Json.parse(json);
        assertEquals("ns", doc.get("displayTimeUnit"));
        return (List<Map<String, Object>>) doc.get("traceEvents");
    }

    private static List<Map<String, Object>> select(List<Map<String, Object>> evs, String ph, long tid) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (var e : evs) if (ph.equals(e.get("ph")) && ((Long) e.get("tid")) == tid) out.add(e);
        return out;
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    @Test
    @SuppressWarnings("unchecked")
    void tracksRunsAndExitsPerVcpu(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("trace.json");
        try (var w = ChromeTraceWriter.open(file, "vm hello")) {
            for (ExitRecord r : TraceFixtures.stream()) w.write(r);
        }
        List<Map<String, Object>> evs = events(Files.readString(file));
        for (var e : evs) {
            assertTrue(e.keySet().containsAll(List.of("name", "ph", "pid", "tid")), e.toString());
            assertEquals(1L, e.get("pid"));
        }
        var meta = evs.stream().filter(e -> "M".equals(e.get("ph"))).toList();
        assertEquals(Map.of("name", "vm hello"), meta.getFirst().get("args"));
        assertEquals("process_name", meta.getFirst().get("name"));
        assertTrue(meta.stream().anyMatch(e -> "thread_name".equals(e.get("name")) && e.get("tid").equals(0L)
                && ((Map<String, Object>) e.get("args")).get("name").equals("vCPU 0")));
        assertTrue(meta.stream().anyMatch(e -> "thread_name".equals(e.get("name")) && e.get("tid").equals(1L)));

        // vCPU 0 exits at 1.5, 4, 9.25, 12 us, then one without time (seq 5 -> 5 us, before the last: no run).
        var runs0 = select(evs, "X", 0);
        assertEquals(4, runs0.size());
        double[][] expect = {{0, 1.5}, {1.5, 2.5}, {4, 5.25}, {9.25, 2.75}};
        for (int i = 0; i < expect.length; i++) {
            assertEquals(expect[i][0], num(runs0.get(i).get("ts")), 1e-9, "run " + i);
            assertEquals(expect[i][1], num(runs0.get(i).get("dur")), 1e-9, "run " + i);
            assertEquals("guest", runs0.get(i).get("name"));
        }
        var exits0 = select(evs, "i", 0);
        assertEquals(List.of("IO_INSTRUCTION", "IO_INSTRUCTION", "EPT_VIOLATION", "EXCEPTION_NMI", "HLT"),
                exits0.stream().map(e -> e.get("name")).toList());
        for (var e : exits0) assertEquals("t", e.get("s"));
        var io = (Map<String, Object>) exits0.getFirst().get("args");
        assertEquals("0x48", io.get("value"));
        assertEquals(1016L, io.get("port"));
        assertEquals("out", io.get("dir"));
        assertEquals(1.5, num(exits0.getFirst().get("ts")));

        // vCPU 1: runs 0..2, 2..12, 12..15.001 us.
        var runs1 = select(evs, "X", 1);
        assertEquals(3, runs1.size());
        assertEquals(3.001, num(runs1.get(2).get("dur")), 1e-9);
        assertEquals("INTERNAL_ERROR", ((Map<String, Object>) runs1.get(2).get("args")).get("until"));
    }

    @Test
    void noVirtualTimeUsesTheSequenceAsTheClock() {
        var out = new StringWriter();
        try (var w = new ChromeTraceWriter(out, "p")) {
            w.write(TraceFixtures.io(1, 0, ExitRecord.NO_TIME, 0x80, false, 1));
            w.write(TraceFixtures.io(2, 0, ExitRecord.NO_TIME, 0x80, false, 2));
        }
        var exits = select(events(out.toString()), "i", 0);
        assertEquals(1L, exits.get(0).get("ts"));
        assertEquals(2L, exits.get(1).get("ts"));
    }

    @Test
    void emptyTraceIsStillValid() {
        var out = new StringWriter();
        new ChromeTraceWriter(out, "empty").close();
        assertEquals(1, events(out.toString()).size());
    }

    @Test
    void microsecondsAreExact() {
        assertEquals(3L, ChromeTraceWriter.micros(3000));
        assertEquals("1.5", ChromeTraceWriter.micros(1500).toString());
        assertEquals("0.001", ChromeTraceWriter.micros(1).toString());
        assertEquals("1234567.891", ChromeTraceWriter.micros(1_234_567_891L).toString());
    }
}
