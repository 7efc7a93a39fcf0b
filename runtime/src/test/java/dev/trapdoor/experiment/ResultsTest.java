package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ResultsTest {
    private static Results sample() {
        Map<String, List<?>> g = new LinkedHashMap<>();
        g.put("n", List.of(1, 2, 3));
        g.put("mode", List.of("fast", "slow, careful"));
        return Sweep.over(g).repeat(2).parallelism(2).progress(Progress.silent()).run(p -> {
            int n = p.getInt("n");
            if (n == 3 && p.getString("mode").startsWith("slow") && p.repetition() == 1) throw new IllegalStateException("say \"no\"");
            return Map.of("y", n * 10 + p.repetition(), "note", n == 2 ? "line1\nline2" : "plain");
        });
    }

    @Test
    void columnsAndAggregates() {
        Results r = sample();
        assertEquals(List.of("run", "repeat", "n", "mode", "y", "note", "time_ms", "status", "failure"), orderedLike(r.columns()));
        assertEquals(12, r.size());
        assertEquals(11, r.ok().size());
        // y over ok runs: n=1 -> 10,11,10,11; n=2 -> 20,21,20,21; n=3 -> 30,31,30 (one failed)
        assertEquals((42 + 82 + 91) / 11.0, r.mean("y"), 1e-12);
        assertEquals(10, r.min("y"));
        assertEquals(31, r.max("y"));
        assertTrue(Double.isNaN(r.failures().mean("y")));
        assertThrows(IllegalArgumentException.class, () -> r.column("nope"));
    }

    private static List<String> orderedLike(List<String> cols) {
        // Result keys come from Map.of, whose order is unspecified: compare the fixed parts and the set.
        assertEquals(List.of("run", "repeat", "n", "mode"), cols.subList(0, 4));
        assertEquals(List.of("time_ms", "status", "failure"), cols.subList(cols.size() - 3, cols.size()));
        assertEquals(java.util.Set.of("y", "note"), java.util.Set.copyOf(cols.subList(4, cols.size() - 3)));
        return List.of("run", "repeat", "n", "mode", "y", "note", "time_ms", "status", "failure");
    }

    @Test
    void groupByOneAndSeveralColumns() {
        Results r = sample();
        Map<Object, Results> byN = r.groupBy("n");
        assertEquals(List.of(1, 2, 3), List.copyOf(byN.keySet()));
        assertEquals(10.5, byN.get(1).mean("y"), 1e-12);
        assertEquals(3, byN.get(3).ok().size());
        Map<Object, Results> byBoth = r.groupBy("n", "mode");
        assertEquals(6, byBoth.size());
        assertEquals(List.of(1, "fast"), byBoth.keySet().iterator().next());
        assertEquals(30, byBoth.get(List.of(3, "slow, careful")).mean("y"));
    }

    @Test
    void csvIsRfc4180AndReadsBack() {
        Results r = sample();
        String csv = r.toCsv();
        assertTrue(csv.endsWith("\r\n"));
        assertTrue(csv.contains("\"slow, careful\""), "comma field quoted");
        assertTrue(csv.contains("\"line1\nline2\""), "newline field quoted");
        assertTrue(csv.contains("\"IllegalStateException: say \"\"no\"\"\""), "quotes doubled");
        List<List<String>> back = Csv.parse(csv);
        assertEquals(13, back.size());
        assertEquals(r.columns(), back.getFirst());
        int mode = r.columns().indexOf("mode");
        int note = r.columns().indexOf("note");
        int error = r.columns().indexOf("failure");
        for (int i = 0; i < r.size(); i++) {
            List<String> row = back.get(i + 1);
            assertEquals(r.columns().size(), row.size());
            assertEquals(r.get(i).point().get("mode"), row.get(mode));
            assertEquals(r.get(i).ok() ? r.get(i).result().get("note") : "", row.get(note));
            assertEquals(r.get(i).ok() ? "" : r.get(i).error(), row.get(error));
        }
    }

    @Test
    void csvQuotingRules() {
        assertEquals("a,\"b,c\",\"say \"\"hi\"\"\",,\"x\r\ny\",3,2.5,NaN", Csv.record(java.util.Arrays.asList(
                "a", "b,c", "say \"hi\"", null, "x\r\ny", 3.0, 2.5, Double.NaN)));
        assertEquals(List.of(List.of("a", "", "b"), List.of("\"", "")), Csv.parse("a,,b\r\n\"\"\"\",\"\"\r\n"));
        assertThrows(IllegalArgumentException.class, () -> Csv.parse("\"open"));
        assertThrows(IllegalArgumentException.class, () -> Csv.parse("\"a\"b"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void jsonParsesBackWithTheSameRows() {
        Results r = sample();
        Map<String, Object> doc = (Map<String, Object>) Json.parse(r.toJson());
        assertEquals(List.of("n", "mode"), doc.get("parameters"));
        assertEquals(12L, doc.get("runs"));
        assertEquals(1L, doc.get("failed"));
        List<Map<String, Object>> rows = (List<Map<String, Object>>) doc.get("rows");
        assertEquals(12, rows.size());
        for (int i = 0; i < 12; i++) {
            Map<String, Object> row = rows.get(i);
            assertEquals(r.columns(), List.copyOf(row.keySet()));
            assertEquals((long) i, row.get("run"));
            assertEquals(r.get(i).point().get("mode"), row.get("mode"));
            Object y = r.get(i).result().get("y");
            assertEquals(y == null ? null : ((Integer) y).longValue(), row.get("y"));
        }
        assertEquals("IllegalStateException: say \"no\"", rows.get(11).get("failure"));
    }

    @Test
    void filesAreWrittenWithParentDirectories(@TempDir Path dir) throws Exception {
        Results r = sample();
        Path csv = r.writeCsv(dir.resolve("a/b/r.csv").toString());
        Path json = r.writeJson(dir.resolve("a/b/r.json").toFile());
        assertEquals(r.toCsv(), Files.readString(csv));
        assertNotNull(Json.parse(Files.readString(json)));
    }
}
