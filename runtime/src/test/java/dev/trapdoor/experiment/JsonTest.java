package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class JsonTest {
    @Test
    void writesEscapesAndNumbers() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\n\u0001\u2028");
        m.put("i", 42);
        m.put("l", -7L);
        m.put("d", 2.5);
        m.put("whole", 3.0);
        m.put("nan", Double.NaN);
        m.put("list", List.of(1, true));
        m.put("arr", new int[] {1, 2});
        m.put("nul", null);
        m.put("e", Thread.State.NEW);
        assertEquals("{\"s\":\"a\\\"b\\\\c\\n\\u0001\\u2028\",\"i\":42,\"l\":-7,\"d\":2.5,\"whole\":3,\"nan\":null,"
                + "\"list\":[1,true],\"arr\":[1,2],\"nul\":null,\"e\":\"NEW\"}", Json.write(m));
    }

    @Test
    void parsesWhatItWrites() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", "tab\there \"q\" \u00e9 \u0000");
        m.put("big", 1e300);
        m.put("small", -1.25e-7);
        m.put("list", Arrays.asList(1L, null, false, List.of(), Map.of()));
        assertEquals(m, Json.parse(Json.write(m)));
    }

    @Test
    void rejectsMalformedText() {
        for (String bad : List.of("", "{", "[1,]", "{\"a\"1}", "01", "1.", "\"\\x\"", "tru", "[1] 2", "\"a\nb\"", "-")) {
            assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
        }
        assertThrows(Json.ParseException.class, () -> Json.parse("[".repeat(10_000)));
    }
}
