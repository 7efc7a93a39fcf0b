package dev.trapdoor.cpu.diff;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.junit.jupiter.api.Assertions.*;

/** A seeded sample of the fuzz runner (scripts/cpu/fuzz.sh runs the large one): no stream may end in a host exception. */
class FuzzTest {
    @Test
    @Timeout(120)
    void randomCodeInEveryModeEndsInGuestVisibleOutcomes() {
        FuzzRunner f = new FuzzRunner();
        try {
            f.run(0xf022, 200, 3);
            assertEquals(600, f.streams);
            assertTrue(f.instructions > 100_000, f.report());
            assertEquals(java.util.List.of(), f.failures, f.report());
        } finally {
            f.close();
        }
    }
}
