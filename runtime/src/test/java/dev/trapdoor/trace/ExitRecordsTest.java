package dev.trapdoor.trace;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class ExitRecordsTest {
    @Test
    void histogramMostFrequentFirst() {
        var h = ExitRecords.histogram(TraceFixtures.stream());
        assertEquals(List.of("EPT_VIOLATION", "IO_INSTRUCTION", "CPUID", "EXCEPTION_NMI", "HLT", "INTERNAL_ERROR"), List.copyOf(h.keySet()));
        assertEquals(2L, h.get("IO_INSTRUCTION"));
    }

    @Test
    void timelineBucketsByVirtualMicroseconds() {
        var b = ExitRecords.timeline(TraceFixtures.stream(), 5);
        Map<String, ? extends Map<Double, Double>> s = b.series();
        assertEquals(Map.of(0.0, 2.0, 5.0, 0.0, 10.0, 0.0, 15.0, 0.0), s.get("IO_INSTRUCTION"));   // 1.5 and 4 us
        assertEquals(1.0, s.get("EPT_VIOLATION").get(5.0));    // 9.25 us
        assertEquals(1.0, s.get("EPT_VIOLATION").get(10.0));   // 12 us
        assertEquals(1.0, s.get("INTERNAL_ERROR").get(15.0));  // 15.001 us
        assertEquals(1.0, s.get("HLT").get(5.0));              // no time: seq 5
    }
}
