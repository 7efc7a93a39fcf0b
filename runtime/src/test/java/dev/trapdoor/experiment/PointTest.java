package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class PointTest {
    @Test
    void typedAccessorsAndErrors() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", 12);
        m.put("big", 1L << 40);
        m.put("text", " 7 ");
        m.put("word", "fast");
        Point p = new Point(m, 3, 1);
        assertEquals(12, p.getInt("n"));
        assertEquals(1L << 40, p.getLong("big"));
        assertThrows(ArithmeticException.class, () -> p.getInt("big"));
        assertEquals(7, p.getInt("text"));
        assertEquals(7.0, p.getDouble("text"));
        assertEquals("fast", p.getString("word"));
        var e = assertThrows(IllegalArgumentException.class, () -> p.getInt("word"));
        assertTrue(e.getMessage().contains("not a number"));
        e = assertThrows(IllegalArgumentException.class, () -> p.getInt("nope"));
        assertTrue(e.getMessage().contains("no parameter nope"));
        assertThrows(UnsupportedOperationException.class, () -> p.put("x", 1));
        assertEquals(m, p);
        assertEquals(3, p.index());
        assertEquals(1, p.repetition());
        assertNotEquals(new Point(m, 4, 0).seed(), p.seed());
        assertEquals(new Point(Map.of(), 3, 0).seed(), p.seed());   // the seed follows the run index only
    }

    @Test
    void bucketsRefuseBadWidthsAndIgnoreNonFiniteX() {
        assertThrows(IllegalArgumentException.class, () -> new Buckets(0));
        assertThrows(IllegalArgumentException.class, () -> new Buckets(Double.NaN));
        Buckets b = new Buckets(10);
        b.add("a", Double.NaN);
        b.add("a", -5);          // bucket [-10, 0)
        b.add("a", 25, 2.5);
        b.declare("b");
        var s = b.series();
        assertEquals(Map.of(-10.0, 1.0, 0.0, 0.0, 10.0, 0.0, 20.0, 2.5), s.get("a"));
        assertEquals(Map.of(-10.0, 0.0, 0.0, 0.0, 10.0, 0.0, 20.0, 0.0), s.get("b"));
        assertEquals(3.5, b.total("a"));
    }
}
